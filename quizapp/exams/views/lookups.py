"""What the exam blueprints share: the role checks, and loading the exam or attempt a request names (or 404)."""
from flask import abort, session
from flask_login import current_user

from ...common.auth import LEARNERS, MANAGERS, roles_required
from ...common.errors import Forbidden
from ...extensions import db
from ..access import in_audience, manageable, visible_to_manager
from ..models import Attempt, Exam
from ..sitting import get_attempt_for, note_resume

examinee_required = roles_required(*LEARNERS)
manager_required = roles_required(*MANAGERS)


def exam_for_examinee(exam_id):
    """A published exam whose audience includes the signed-in person."""
    exam = db.session.get(Exam, exam_id)
    if exam is None or exam.status != "published":
        abort(404)
    if not in_audience(exam, current_user):
        raise Forbidden  # 404 all the same, and audited
    return exam


def own_attempt(attempt_id):
    """The signed-in person's own attempt; someone else's id is simply not found."""
    attempt = get_attempt_for(current_user, attempt_id)
    if attempt is None:
        if db.session.get(Attempt, attempt_id) is not None:
            raise Forbidden  # someone else's: 404 all the same, and audited
        abort(404)
    return attempt


def managed_exam(exam_id, *, write=False):
    """An exam the signed-in organiser may read (``write``: may change) — otherwise not found."""
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        abort(404)
    allowed = manageable(current_user, exam) if write else visible_to_manager(current_user, exam)
    if not allowed:
        raise Forbidden
    return exam


def mark_browser(attempt_id, now=None, *, started=False):
    """Note in the attempt's history when a browser session first writes to it (another device or sign-in).

    The browser session remembers the attempts it has written to, so the hot save path costs one cookie read;
    ``started`` marks the session that started or resumed through a start request (recorded there)."""
    seen = session.get("exam_writes", [])
    if attempt_id in seen:
        return
    if not started:
        note_resume(attempt_id, now)
    session["exam_writes"] = (seen + [attempt_id])[-20:]
