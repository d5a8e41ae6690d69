"""After the sitting: when an exam is over for everyone, when answers and 解析 may be shown (the review
policy), and sending each attempt's right and wrong answers to the 错题本 once its review opens.

Services flush and never commit. Item statistics and result lists are read-only and live in queries.py.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..common.clock import utcnow
from ..extensions import db
from ..practice.services import record_outcomes
from .models import Attempt, AttemptItem, Exam, ExamOverride


def latest_close(exam) -> datetime:
    """When the last window anyone has ends: the main close, the 补考 close, or a person's later close."""
    latest = exam.close_at
    if exam.makeup_enabled and exam.makeup_close_at:
        latest = max(latest, exam.makeup_close_at)
    override_close = db.session.scalar(sa.select(sa.func.max(ExamOverride.close_at))
                                       .where(ExamOverride.exam_id == exam.id))
    if override_close is not None:
        latest = max(latest, override_close)
    return latest


def exam_closed(exam, now=None) -> bool:
    """Every window (main, 补考, per-person later closes) has ended: statistics may be shown."""
    return (now or utcnow()) >= latest_close(exam)


def review_opens_at(exam) -> datetime | None:
    """When answers and 解析 become visible to everyone (None: never, for score-only)."""
    if exam.review_policy == "score":
        return None
    if exam.review_policy == "immediate":
        return exam.open_at
    return latest_close(exam)


def review_visible(exam, now=None) -> bool:
    opens = review_opens_at(exam)
    return opens is not None and (now or utcnow()) >= opens


def record_outcomes_for(attempt) -> bool:
    """Send one attempt's right/wrong per question to the 错题本, exactly once (a conditional flag update)."""
    done = db.session.execute(sa.update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "submitted",
                                                       Attempt.outcomes_recorded.is_(False))
                              .values(outcomes_recorded=True).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return False
    outcomes = [(qid, bool(correct)) for qid, correct in db.session.execute(
        sa.select(AttemptItem.question_id, AttemptItem.correct)
        .where(AttemptItem.attempt_id == attempt.id, AttemptItem.question_id.is_not(None))
        .order_by(AttemptItem.position))]
    record_outcomes(attempt.user, outcomes, "exam")
    return True


def release_reviews(now=None, *, exam_id=None, user_id=None) -> int:
    """Record 错题本 outcomes for submitted attempts whose review has become visible; returns how many.

    Run by ``flask exams close-overdue`` (cron) next to the sweep; a submission records its own at once
    when its review is already open.
    """
    now = now or utcnow()
    stmt = (sa.select(Attempt).join(Exam, Exam.id == Attempt.exam_id)
            .where(Attempt.status == "submitted", Attempt.outcomes_recorded.is_(False),
                   Exam.review_policy != "score"))
    if exam_id is not None:
        stmt = stmt.where(Attempt.exam_id == exam_id)
    if user_id is not None:
        stmt = stmt.where(Attempt.user_id == user_id)
    released, visible = 0, {}
    for attempt in db.session.scalars(stmt.order_by(Attempt.id)):
        if attempt.exam_id not in visible:
            visible[attempt.exam_id] = review_visible(attempt.exam, now)
        if visible[attempt.exam_id]:
            released += record_outcomes_for(attempt)
    return released
