"""The ``exam_api`` blueprint: the JSON endpoints the exam page talks to (contract in docs/api.md).

Writes carry the CSRF header. Reading the state never writes: an attempt whose time is up reads
``"status": "open"`` with its deadline and the server's clock, and the page's own timeout submission
(or any other write, or the sweep) collects it.
"""
from datetime import datetime

from flask import Blueprint, abort, jsonify, request, url_for
from flask_login import current_user

from ...bank.qtypes import REGISTRY, TYPE_LABELS
from ...common.arrival import arrived_at
from ...common.clock import as_utc, utcnow
from ...common.errors import ServiceError
from ...extensions import db, limiter
from .. import sitting
from .lookups import exam_for_examinee, examinee_required, mark_browser, own_attempt

api_bp = Blueprint("exam_api", __name__, url_prefix="/api/exams")


def _iso(value):
    """An aware datetime as ISO 8601 UTC with a Z, which every browser parses."""
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None


def _json_error(message, status, **extra):
    return jsonify(error=message, status=status, **extra), status


def attempt_state(attempt, now):
    """What the exam page's script works from: the attempt, its questions without keys, and the URLs."""
    exam = attempt.exam
    items = attempt.items
    return {
        "attempt": {
            "id": attempt.id, "exam_id": exam.id, "title": exam.title, "status": attempt.status,
            "attempt_no": attempt.attempt_no, "is_makeup": attempt.is_makeup,
            "started_at": _iso(attempt.started_at), "deadline": _iso(attempt.deadline), "server_now": _iso(now),
            "grace_seconds": sitting.grace_seconds(), "time_limit": exam.time_limit,
            "count": len(items), "answered": sum(1 for i in items if i.response), "page_leaves": attempt.page_leaves,
        },
        "items": [{"position": i.position, "qtype": i.qtype, "type_label": TYPE_LABELS[i.qtype], "points": i.points,
                   "several": REGISTRY[i.qtype].several, "case_text": i.case_text, "stem": i.stem, "options": list(i.options or []), "response": i.response, "seq": i.seq,
                   "marked": i.marked} for i in items],
        "urls": {
            "state": url_for("exam_api.state", attempt_id=attempt.id),
            "answers": url_for("exam_api.answers", attempt_id=attempt.id),
            "submit": url_for("exam_api.submit", attempt_id=attempt.id),
            "leave": url_for("exam_api.leave", attempt_id=attempt.id),
            "result": url_for("exams.result", attempt_id=attempt.id),
            "page": url_for("exams.take", attempt_id=attempt.id),
        },
    }


def _json_body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400)
    return body


def _instant(value):
    """An answer's own time (ISO 8601 on the server's clock, as the page computes it), or None."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        abort(400)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        abort(400)
    return as_utc(parsed)


def _answers_from(body):
    answers = body.get("answers")
    if answers is None and "position" in body:
        answers = [body]
    if not isinstance(answers, list) or len(answers) > 500:
        abort(400)
    cleaned = []
    for answer in answers:
        if not isinstance(answer, dict):
            abort(400)
        try:
            position, seq = int(answer["position"]), int(answer["seq"])
        except (KeyError, TypeError, ValueError):
            abort(400)
        response = answer.get("response", "")
        if isinstance(response, list):
            response = "".join(str(r) for r in response)
        if not isinstance(response, str) or len(response) > 20 or seq < 1 or seq > 2**31 - 1:
            abort(400)
        marked = answer.get("marked")
        cleaned.append({"position": position, "seq": seq, "response": response,
                        "marked": bool(marked) if marked is not None else None, "at": _instant(answer.get("at"))})
    return cleaned


@api_bp.route("/<int:exam_id>/start", methods=["POST"])
@examinee_required
def api_start(exam_id):
    exam = exam_for_examinee(exam_id)
    body = _json_body()
    if body.get("confirm") is not True:
        return _json_error("请先确认已阅读考试须知。", 400)
    try:
        attempt, created = sitting.start_attempt(exam, current_user)
    except ServiceError as error:
        db.session.rollback()
        return _json_error(error.messages[0], 409)
    mark_browser(attempt.id, started=True)
    db.session.commit()
    payload = {"attempt_id": attempt.id, "created": created,
               "state_url": url_for("exam_api.state", attempt_id=attempt.id),
               "page_url": url_for("exams.take", attempt_id=attempt.id)}
    return jsonify(payload), (201 if created else 200)


@api_bp.route("/attempts/<int:attempt_id>/state")
@examinee_required
def state(attempt_id):
    attempt = own_attempt(attempt_id)
    response = jsonify(attempt_state(attempt, utcnow()))
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(answers, reason, status="closed"):
    return [{"position": a["position"], "seq": a["seq"], "accepted": False, "status": status, "reason": reason}
            for a in answers]


@api_bp.route("/attempts/<int:attempt_id>/answers", methods=["POST"])
@limiter.exempt  # the hottest endpoint; it has no limits, so skip the per-request limit lookup
@examinee_required
def answers(attempt_id):
    arrived = arrived_at()
    body = _json_body()
    answers_in = _answers_from(body)
    now = utcnow()
    try:
        results_out = sitting.save_answers(current_user, attempt_id, answers_in, now, arrived) if answers_in else []
        if answers_in:
            mark_browser(attempt_id, now)
    except sitting.AttemptClosed as error:
        db.session.commit()
        return _json_error(error.messages[0], 409, closed=True, saved=_refused(answers_in, error.messages[0]),
                           result_url=url_for("exams.result", attempt_id=attempt_id))
    except ServiceError as error:
        db.session.rollback()
        return _json_error(error.messages[0], 400)
    db.session.commit()
    return jsonify(saved=results_out, server_now=_iso(now))


@api_bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@examinee_required
def submit(attempt_id):
    """Save the answers sent with it, then submit; the reply says what THIS request did (docs/api.md)."""
    arrived = arrived_at()
    body = _json_body()
    pending = _answers_from(body) if body.get("answers") else []
    attempt = own_attempt(attempt_id)
    now = utcnow()
    already = attempt.status != "open"
    saved = []
    mark_browser(attempt.id, now)
    if not already and sitting.collection_over(attempt, now):
        # Nothing sent now can have been given in time: collect the attempt with what was saved.
        saved = _refused(pending, sitting.LATE, "late")
    elif pending and not already:
        try:
            saved = sitting.save_answers(current_user, attempt.id, pending, now, arrived)
        except sitting.AttemptClosed as error:
            saved = _refused(pending, error.messages[0])
        except ServiceError as error:
            db.session.rollback()
            return _json_error(error.messages[0], 400)
    elif pending:
        saved = _refused(pending, "本场考试已交卷，答案不能再修改。")
    submitted = False
    if attempt.status == "open":
        kind = "overdue" if sitting.collection_over(attempt, now) else "timeout" if body.get("timeout") else "manual"
        submitted = sitting.submit_attempt(attempt, now, arrived=arrived, kind=kind, actor=current_user)
    db.session.commit()
    return jsonify(status=attempt.status, submitted=submitted, already=already,
                   submit_kind=attempt.submit_kind, score=attempt.score, band=attempt.band, passed=attempt.passed,
                   saved=saved, stored=[r["position"] for r in saved if r["status"] in ("stored", "superseded")],
                   refused=[r for r in saved if r["status"] not in ("stored", "superseded")],
                   result_url=url_for("exams.result", attempt_id=attempt.id))


@api_bp.route("/attempts/<int:attempt_id>/leave", methods=["POST"])
@examinee_required
def leave(attempt_id):
    body = _json_body()
    try:
        count = int(body.get("count", 1))
    except (TypeError, ValueError):
        abort(400)
    total = sitting.note_page_leave(current_user, attempt_id, count, utcnow())
    db.session.commit()
    return jsonify(page_leaves=total)
