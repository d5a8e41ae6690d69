"""Sitting an exam: where a person stands, starting or resuming, saving answers, submitting, and collecting
attempts whose time ran out.

The server decides every time rule on its own clock: an answer counts by when it was given (the request's
arrival, or the page's own timestamp bounded by the late-delivery window; see ``answer_time``), never by
when a busy worker processed it. Reading never changes an attempt: one whose time is up stays open
("时间已到，系统正在收卷") until its collection time has passed and a write touches it (a save, a submission,
a start) or the sweep ``close_overdue`` runs from cron or a job. Services flush and never commit.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from ..accounts.models import User
from ..audit.services import record
from ..bank.qtypes import LETTERS, REGISTRY, normalise_letters
from ..common.clock import as_utc, format_datetime, utcnow
from ..common.errors import NotFound, ServiceError
from ..common.types import UTCDateTime
from ..extensions import db
from . import grading
from .access import in_audience
from .models import SUBMIT_KINDS, Attempt, AttemptEvent, AttemptItem, Exam, ExamOverride, ExamResult
from .papers import build_items, choose_variant, draw_questions
from .results import record_outcomes_for, review_visible

TIME_UP = "时间已到，系统正在收卷。"


class AttemptClosed(ServiceError):
    """The attempt takes no more answers (submitted, or past its deadline and grace)."""


def grace_seconds():
    return float(current_app.config.get("EXAM_SAVE_GRACE_SECONDS", 10))


def late_delivery_seconds():
    return float(current_app.config.get("EXAM_LATE_DELIVERY_SECONDS", 120))


def answer_time(arrived: datetime, claimed: datetime | None, window: float) -> datetime:
    """When an answer counts as given (the rule of docs/api.md, "When an answer counts").

    The request's arrival, or the page's own timestamp (on the server's clock) when that is earlier, but
    never more than ``window`` seconds before arrival: a forged timestamp gains at most the window.
    """
    if claimed is None or claimed >= arrived:
        return arrived
    return max(claimed, arrived - timedelta(seconds=window))


def in_time(answered_at: datetime, deadline: datetime, grace: float) -> bool:
    """An answer given by the deadline (plus the grace for the last click) counts; a later one never does."""
    return answered_at <= deadline + timedelta(seconds=grace)


def collection_time(attempt) -> datetime:
    """When an open attempt past its deadline is collected: late deliveries of in-time answers are over."""
    return attempt.deadline + timedelta(seconds=grace_seconds() + late_delivery_seconds())


def time_up(attempt, now) -> bool:
    """Still open but past its deadline: no longer answerable, waiting to be collected with what was saved."""
    return attempt.status == "open" and now >= attempt.deadline


def accepts_answers(attempt, at) -> bool:
    """Open, and ``at`` (when the answer was given) within its deadline plus the grace for the last click."""
    return attempt.status == "open" and in_time(at, attempt.deadline, grace_seconds())


# ---------------------------------------------------------------- the attempt's history (for disputes)

def _client():
    """(address, browser) of the request being served, blank outside one; like audit.record, the history
    notes where a write came from without every caller passing it."""
    if not has_request_context():
        return "", ""
    return (request.remote_addr or "")[:45], (request.user_agent.string or "")[:200]


def note_event(attempt_id, kind, detail="", now=None):
    """Add one event to the attempt's history (flushed with the caller's transaction)."""
    address, device = _client()
    db.session.add(AttemptEvent(attempt_id=attempt_id, at=now or utcnow(), kind=kind, detail=(detail or "")[:500],
                                address=address, device=device))


def note_resume(attempt_id, now=None):
    """A browser session that has not written to this attempt before does so: another device, tab or sign-in."""
    address, device = _client()
    first = db.session.execute(sa.select(AttemptEvent.address, AttemptEvent.device)
                               .where(AttemptEvent.attempt_id == attempt_id, AttemptEvent.kind == "start")).first()
    if first is None or (first.address, first.device) == (address, device):
        detail = "在新的浏览器会话中继续作答（同一地址和浏览器）。"
    else:
        detail = "在另一设备或网络上继续作答。"
    note_event(attempt_id, "resume", detail, now)


def events_of(attempt) -> list[AttemptEvent]:
    return list(db.session.scalars(sa.select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id)
                                   .order_by(AttemptEvent.at, AttemptEvent.id)))


def _positions(results):
    return "、".join(str(r["position"]) for r in results)


# ---------------------------------------------------------------- standing: may this person start?

@dataclass
class Standing:
    """Where one person stands with one exam right now."""

    exam: Exam
    # "in_progress" 进行中 / "collecting" 收卷中 (time up, not yet collected) / "pending" 待参加 /
    # "done" 已完成 / "ended" 已结束
    state: str
    round: str | None = None  # "main" or "makeup" when a round is open to this person now
    window_open: datetime | None = None
    window_close: datetime | None = None
    attempts_used: int = 0
    attempts_left: int = 0
    can_start: bool = False
    reason: str = ""
    open_attempt_id: int | None = None
    result: ExamResult | None = None
    upcoming: bool = False
    days_left: int | None = None  # whole local days until window_close (set by 我的考试)

    @property
    def state_label(self):
        return {"pending": "待参加", "in_progress": "进行中", "collecting": "收卷中", "done": "已完成",
                "ended": "已结束"}[self.state]


def person_close(exam, override) -> datetime:
    if override is not None and override.close_at and override.close_at > exam.close_at:
        return override.close_at
    return exam.close_at


def standing(exam, user, now, *, attempts, override, result) -> Standing:
    """Decide state, open round, attempts left and whether a new attempt may start (pure over loaded rows)."""
    extra = override.extra_attempts if override is not None else 0
    main_used = sum(1 for a in attempts if not a.is_makeup)
    makeup_used = sum(1 for a in attempts if a.is_makeup)
    open_attempt = next((a for a in attempts if a.status == "open"), None)
    main_close = person_close(exam, override)
    info = Standing(exam=exam, state="pending", attempts_used=len(attempts), result=result)
    passed = bool(result and result.passed)
    if exam.open_at <= now < main_close:
        info.round, info.window_open, info.window_close = "main", exam.open_at, main_close
        info.attempts_left = max(0, exam.attempts_allowed + extra - main_used)
    elif (exam.makeup_enabled and exam.makeup_open_at and exam.makeup_open_at <= now < exam.makeup_close_at
          and not passed):
        info.round, info.window_open, info.window_close = "makeup", exam.makeup_open_at, exam.makeup_close_at
        info.attempts_left = max(0, exam.makeup_attempts + extra - makeup_used)
    elif now < exam.open_at:
        info.window_open, info.window_close, info.upcoming = exam.open_at, main_close, True
        info.attempts_left = exam.attempts_allowed + extra
    elif exam.makeup_enabled and exam.makeup_open_at and now < exam.makeup_open_at and not passed:
        info.window_open, info.window_close, info.upcoming = exam.makeup_open_at, exam.makeup_close_at, True
        info.attempts_left = exam.makeup_attempts + extra
    else:
        info.window_open, info.window_close = exam.open_at, main_close
    if open_attempt is not None:
        info.open_attempt_id = open_attempt.id
        if time_up(open_attempt, now):
            info.state, info.reason = "collecting", TIME_UP
        else:
            info.state, info.reason = "in_progress", "您有一场未交卷的考试，请继续作答。"
        return info
    if info.round is not None:
        if info.attempts_left > 0:
            info.can_start = True
        else:
            info.reason = "您的考试次数已用完。"
    elif info.upcoming:
        info.reason = f"考试将于 {format_datetime(info.window_open)} 开始。"
    else:
        info.reason = "考试已结束。"
    if result is not None:
        info.state = "done"
    elif info.round is not None or info.upcoming:
        info.state = "pending"
    else:
        info.state = "ended"
    return info


def load_standing(exam, user, now=None) -> Standing:
    now = now or utcnow()
    attempts = db.session.scalars(sa.select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user.id)
                                  .order_by(Attempt.attempt_no)).all()
    override = db.session.scalar(sa.select(ExamOverride).where(ExamOverride.exam_id == exam.id,
                                                               ExamOverride.user_id == user.id))
    result = db.session.scalar(sa.select(ExamResult).where(ExamResult.exam_id == exam.id,
                                                           ExamResult.user_id == user.id))
    return standing(exam, user, now, attempts=attempts, override=override, result=result)


# ---------------------------------------------------------------- starting

def _lock_person(user):
    """Serialise this person's starts: a row lock on PostgreSQL, the write lock (BEGIN IMMEDIATE) on SQLite."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    elif connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def start_attempt(exam, user, now=None):
    """Start (or resume) this person's attempt; returns (attempt, created). Race-safe: one attempt per number.

    A start is a write, so it first collects this person's attempts (in any exam) whose time ran out.
    """
    now = now or utcnow()
    if exam.status != "published" or not in_audience(exam, user):
        raise ServiceError("您不在本场考试的参考范围内。")
    _lock_person(user)
    close_overdue(now, user_id=user.id)
    existing = db.session.scalar(sa.select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user.id,
                                                          Attempt.status == "open"))
    if existing is not None:
        note_resume(existing.id, now)
        return existing, False
    info = load_standing(exam, user, now)
    if not info.can_start:
        raise ServiceError(info.reason or "现在不能开始考试。")
    override = db.session.scalar(sa.select(ExamOverride).where(ExamOverride.exam_id == exam.id,
                                                               ExamOverride.user_id == user.id))
    variant = choose_variant(exam, user)
    if variant is None:
        raise ServiceError("本场考试还没有试卷，请联系考试组织者。")
    rng = random.Random(secrets.randbits(64))
    questions = draw_questions(exam, variant, user, rng)
    items = build_items(exam, variant, questions, rng)
    number = (db.session.scalar(sa.select(sa.func.max(Attempt.attempt_no))
                                .where(Attempt.exam_id == exam.id, Attempt.user_id == user.id)) or 0) + 1
    deadline = grading.deadline_for(now, exam.time_limit, info.window_close,
                                    override.extra_minutes if override is not None else 0)
    attempt = Attempt(exam_id=exam.id, user_id=user.id, unit_id=user.unit_id, variant_id=variant.id,
                      attempt_no=number, is_makeup=info.round == "makeup", status="open", started_at=now,
                      deadline=deadline, max_score=sum(item.points for item in items), items=items)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
        note_event(attempt.id, "start", f"第 {number} 次作答，截止 {format_datetime(deadline, '%Y-%m-%d %H:%M:%S')}。",
                   now)
    except sa.exc.IntegrityError:
        # Another request started this very attempt number a moment ago: resume that one.
        won = db.session.scalar(sa.select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user.id,
                                                         Attempt.attempt_no == number))
        if won is None:
            raise
        return won, False
    return attempt, True


# ---------------------------------------------------------------- saving answers

def get_attempt_for(user, attempt_id):
    """The person's own attempt, or None (another person's attempt id is simply not found)."""
    return db.session.scalar(sa.select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user.id))


def _closed_message(attempt, now):
    if attempt.status != "open":
        return "本场考试已交卷，答案不能再修改。"
    return "考试时间已到，此后的作答不能再保存。系统已按截止时保存的答案收卷。"


LATE = "作答时间晚于考试截止时间，未计入。"
SUPERSEDED = "该题已有更新的答案（来自其他页面或设备），保留了较新的答案。"


# Built once: saving an answer is the hottest path of the app (one request per answer per cadre), so the
# common case is a single conditional UPDATE that checks owner, open status, deadline, sequence number and
# that the letters exist; only when it changes nothing do we look closer to say why.
# Types whose answer may hold several letters; the others take at most one.
SEVERAL = [code for code, kind in REGISTRY.items() if kind.several]
_SAVE_ANSWER = (
    sa.update(AttemptItem.__table__)
    .where(AttemptItem.attempt_id == sa.bindparam("attempt"), AttemptItem.position == sa.bindparam("at"),
           AttemptItem.seq < sa.bindparam("number"),
           sa.func.length(AttemptItem.option_map) >= sa.bindparam("needs", type_=sa.Integer),
           sa.or_(AttemptItem.qtype.in_(SEVERAL), sa.bindparam("letters", type_=sa.Integer) <= 1),
           sa.exists().where(Attempt.id == AttemptItem.attempt_id, Attempt.user_id == sa.bindparam("user"),
                             Attempt.status == "open", Attempt.deadline >= sa.bindparam("cutoff", type_=UTCDateTime())))
    .values(response=sa.bindparam("answer"), seq=sa.bindparam("number"), saved_at=sa.bindparam("when")))
_SAVE_ANSWER_AND_MARK = _SAVE_ANSWER.values(marked=sa.bindparam("mark"))


def save_answers(user, attempt_id, answers, now=None, arrived=None):
    """Apply answers [{position, response, seq, marked, at}] where seq is newer than the stored one.

    ``arrived`` is when the request reached the app (``now`` when not given) and ``at`` the page's own time of
    each answer; together they decide when each answer counts as given (``answer_time``). Returns one
    {position, seq, accepted, status, reason} per answer: status "stored"; "superseded" (a newer answer is
    already stored, which is success for the client: nothing is left to send); or "late" (given after the
    deadline: never credited). Raises NotFound for someone else's attempt, AttemptClosed once the attempt is
    submitted or past its collection time (collecting it), ServiceError for a question or option that does
    not exist.
    """
    now = now or utcnow()
    arrived = arrived or now
    connection = db.session.connection()
    grace, window = grace_seconds(), late_delivery_seconds()
    results = []
    for answer in answers:
        position, seq = int(answer["position"]), int(answer["seq"])
        response = normalise_letters(answer.get("response") or "")
        given = answer_time(arrived, answer.get("at"), window)
        params = {"attempt": attempt_id, "at": position, "number": seq, "answer": response, "when": now,
                  "user": user.id, "cutoff": given - timedelta(seconds=grace), "letters": len(response),
                  "needs": max((LETTERS.index(ch) + 1 for ch in response), default=0)}
        statement = _SAVE_ANSWER
        if answer.get("marked") is not None:
            statement, params["mark"] = _SAVE_ANSWER_AND_MARK, bool(answer["marked"])
        if connection.execute(statement, params).rowcount == 1:
            status = "stored"
        else:
            status = _save_refused(user, attempt_id, answer, position, response, seq, now, given)
        results.append({"position": position, "seq": seq, "accepted": status == "stored", "status": status,
                        "reason": {"late": LATE, "superseded": SUPERSEDED}.get(status, "")})
    late = [r for r in results if r["status"] == "late"]
    if late:
        note_event(attempt_id, "refused", f"第 {_positions(late)} 题：{LATE}", now)
    return results


def _own_attempt(user, attempt_id):
    attempt = get_attempt_for(user, attempt_id)
    if attempt is None:
        raise NotFound(attempt_id)
    return attempt


def _refuse_if_closed(attempt, now):
    """Raise AttemptClosed for a submitted attempt or one past its collection time (collecting it first)."""
    message = _closed_message(attempt, now)
    if attempt.status != "open" or finalise_if_overdue(attempt, now):
        note_event(attempt.id, "refused", message, now)
        raise AttemptClosed(message)


def _save_refused(user, attempt_id, answer, position, response, seq, now, given):
    """Why the conditional update changed nothing: raise for a real refusal, else "late", "superseded" or,
    for a response the type reads differently (two letters for a 单选 means no answer), "stored" as the type
    reads it.
    """
    attempt = _own_attempt(user, attempt_id)
    _refuse_if_closed(attempt, now)
    item = db.session.scalar(sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt_id,
                                                          AttemptItem.position == position))
    if item is None:
        raise ServiceError(f"第 {position} 题不存在。")
    if any(LETTERS.index(ch) >= len(item.option_map) for ch in response):
        raise ServiceError(f"第 {position} 题的选项不存在。")
    if not in_time(given, attempt.deadline, grace_seconds()):
        return "late"
    if item.seq >= seq:
        return "superseded"
    item.response = REGISTRY[item.qtype].normalise_response(response)
    item.seq, item.saved_at = seq, now
    if answer.get("marked") is not None:
        item.marked = bool(answer["marked"])
    db.session.flush()
    return "stored"


@dataclass
class PageSave:
    """What a no-JavaScript page post did: positions stored, and those kept because a newer answer exists."""

    stored: list[int]
    kept: list[int]
    late: list[int]


def save_page(user, attempt, answers, marks, versions, now=None, arrived=None) -> PageSave:
    """The no-JavaScript path: a page of answers from a plain form, judged by when the post arrived.

    ``versions`` maps position to the answer's sequence number when the page was drawn: a field whose stored
    answer has moved on since (another tab or device) is stale, and the newer stored answer is kept.
    """
    now = now or utcnow()
    arrived = arrived or now
    _refuse_if_closed(attempt, now)
    by_position = {item.position: item for item in attempt.items}
    payload, kept = [], []
    for position, response in answers.items():
        item = by_position.get(position)
        if item is None:
            continue
        normalised = REGISTRY[item.qtype].normalise_response(response)
        marked = position in marks
        if normalised == item.response and marked == item.marked:
            continue
        seen = versions.get(position)
        if seen is None or seen < item.seq:
            kept.append(position)
            continue
        payload.append({"position": position, "response": normalised, "seq": item.seq + 1, "marked": marked})
    outcome = PageSave(stored=[], kept=kept, late=[])
    if payload:
        for result in save_answers(user, attempt.id, payload, now, arrived):
            {"stored": outcome.stored, "superseded": outcome.kept, "late": outcome.late}[result["status"]].append(
                result["position"])
        db.session.expire(attempt)
    outcome.kept.sort()
    if outcome.kept:
        note_event(attempt.id, "refused", "第 " + "、".join(map(str, outcome.kept)) + " 题：旧页面提交的答案，" + SUPERSEDED,
                   now)
    return outcome


def note_page_leave(user, attempt_id, count=1, now=None):
    """Count a visibilitychange away from the exam page (information only); collects the attempt if overdue."""
    now = now or utcnow()
    count = max(1, min(int(count or 1), 50))
    done = db.session.execute(sa.update(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user.id,
                                                       Attempt.status == "open")
                              .values(page_leaves=Attempt.page_leaves + count)
                              .execution_options(synchronize_session=False))
    if done.rowcount:
        note_event(attempt_id, "leave", f"离开考试页面 {count} 次。", now)
        finalise_if_overdue(get_attempt_for(user, attempt_id), now, actor=user)
    else:
        _own_attempt(user, attempt_id)  # NotFound for someone else's; a submitted one is left alone
    return db.session.scalar(sa.select(Attempt.page_leaves).where(Attempt.id == attempt_id))


# ---------------------------------------------------------------- submitting and collecting

def submit_attempt(attempt, now=None, *, kind="manual", arrived=None, actor=None):
    """Close and grade the attempt exactly once (a conditional update); False when it was already closed.

    Answers count when given by the deadline (plus grace); a submission that arrived after the deadline is
    recorded at the deadline, one that arrived before it at its arrival, however late it was processed.
    """
    now = now or utcnow()
    arrived = arrived or now
    at = min(arrived, now, attempt.deadline)
    if kind == "manual" and arrived >= attempt.deadline:
        kind = "timeout"
    done = db.session.execute(sa.update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "open")
                              .values(status="submitted", submitted_at=at, submit_kind=kind)
                              .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.refresh(attempt)
        return False
    db.session.refresh(attempt)
    grading.grade_attempt(attempt)
    grading.refresh_result(attempt.exam, attempt.user_id)
    _record_submission(attempt, kind, at, actor, now)
    if review_visible(attempt.exam, now):
        record_outcomes_for(attempt)
    return True


def _record_submission(attempt, kind, at, actor, now):
    """Every submission goes to the audit log (who, when in UTC, from where, how) and the attempt's history."""
    how = SUBMIT_KINDS.get(kind, kind)
    when = as_utc(at).strftime("%Y-%m-%dT%H:%M:%SZ")
    summary = f"{how}；记录的交卷时间 {when}（UTC）；得分 {grading.format_score(attempt.score)}/" \
              f"{grading.format_score(attempt.max_score)}"
    if actor is not None and actor.id != attempt.user_id:
        summary += f"；操作人 {actor.name}"
    record(actor, "exam.submit", "attempt", attempt.id,
           f"{attempt.user.name} · {attempt.exam.title} · 第 {attempt.attempt_no} 次", summary)
    note_event(attempt.id, "submit", summary, now)


def collection_over(attempt, now) -> bool:
    """Open past its deadline, grace and late-delivery window: nothing in time can still arrive."""
    return attempt.status == "open" and now > collection_time(attempt)


def finalise_if_overdue(attempt, now=None, *, actor=None) -> bool:
    """Submit an attempt left open past its collection time, with what was saved. True if it is closed now.

    Only write paths call this (a save, a submission, a start); pages that read show such an attempt as
    time-up instead. Until the collection time, answers given in time and delivered late are still taken.
    """
    now = now or utcnow()
    if attempt.status != "open":
        return True
    if not collection_over(attempt, now):
        return False
    submit_attempt(attempt, now, kind="overdue", actor=actor)
    return True


def overdue_attempt_ids(now=None, *, exam_id=None, user_id=None) -> list[int]:
    now = now or utcnow()
    cutoff = now - timedelta(seconds=grace_seconds() + late_delivery_seconds())
    stmt = sa.select(Attempt.id).where(Attempt.status == "open", Attempt.deadline < cutoff)
    if exam_id is not None:
        stmt = stmt.where(Attempt.exam_id == exam_id)
    if user_id is not None:
        stmt = stmt.where(Attempt.user_id == user_id)
    return list(db.session.scalars(stmt.order_by(Attempt.id)))


def close_overdue(now=None, *, exam_id=None, user_id=None, after_each=None) -> int:
    """The sweep: finalise every overdue open attempt (optionally of one exam or person); returns how many
    this call closed.

    Called by ``flask exams close-overdue`` (cron), by a background job, by starts (for the person), and by
    the reports before they compute figures. Each close is a conditional update, so several runners close
    each attempt once; ``after_each`` (e.g. the CLI's commit) runs after every attempt looked at, so a long
    sweep keeps its transactions short.
    """
    now = now or utcnow()
    closed = 0
    for attempt_id in overdue_attempt_ids(now, exam_id=exam_id, user_id=user_id):
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is not None and attempt.status == "open":
            closed += submit_attempt(attempt, now, kind="overdue")
        if after_each is not None:
            after_each()
    return closed
