"""Scoring. First the hard rules as small pure functions (deadlines, shuffling, grading, bands, item
statistics); then grading stored attempts, the one result row per person, and regrades after a key
correction, which apply those rules to the database (flushing, never committing).
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..audit.services import record
from ..bank.models import Question
from ..bank.qtypes import LETTERS, REGISTRY, shuffle_options, to_bank_letters, to_displayed_letters  # noqa: F401
from ..common.clock import utcnow
from ..common.errors import ServiceError
from ..extensions import db
from .models import Attempt, AttemptItem, ExamResult

UPPER_LOWER_SHARE = 0.27


def deadline_for(started: datetime, limit_minutes: int, close_at: datetime, extra_minutes: int = 0) -> datetime:
    """min(start + limit (+ extra), close): a sitting never runs past the window."""
    return min(started + timedelta(minutes=limit_minutes + (extra_minutes or 0)), close_at)


def accepts_saves(now: datetime, deadline: datetime, grace_seconds: float) -> bool:
    """Saves are taken up to the deadline plus a short grace for network lag."""
    return now <= deadline + timedelta(seconds=grace_seconds)


def grade_item(qtype: str, key: str, response: str, points: float, *, partial: bool) -> tuple[float, bool]:
    """(points earned, fully correct) for one answer, by the question type's own rule."""
    kind = REGISTRY[qtype]
    response = kind.normalise_response(response)
    earned = kind.grade(key, response, points, partial=partial)
    return earned, bool(response) and response == key


def band_for(score: float, bands, pass_mark: float) -> str:
    """The band label for a score: the highest band reached, else 不合格 (or 合格 when passing without a band)."""
    for label, low in sorted(((str(b[0]), float(b[1])) for b in bands or []), key=lambda b: -b[1]):
        if score >= low:
            return label
    return "合格" if score >= pass_mark else "不合格"


def is_implausibly_fast(time_used: int | None, item_count: int, answered: int, seconds_per_question: float) -> bool:
    """Flag a sitting that answered questions faster than anyone can read them (information for organisers)."""
    if time_used is None or answered == 0 or item_count == 0:
        return False
    return time_used < item_count * seconds_per_question


def group_size(n: int) -> int:
    """People in each of the upper and lower groups (27% of the sitters, at least one)."""
    return max(1, math.ceil(n * UPPER_LOWER_SHARE)) if n else 0


def discrimination_index(upper_correct: int, upper_n: int, lower_correct: int, lower_n: int) -> float | None:
    """D = p(upper) - p(lower); None without both groups. Below 0.2 suggests a question to review."""
    if not upper_n or not lower_n:
        return None
    return round(upper_correct / upper_n - lower_correct / lower_n, 2)


def format_duration(seconds: int | None) -> str:
    """"12分05秒" for tables; empty when unknown."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes:02d}分"
    return f"{minutes}分{secs:02d}秒"


def format_score(value: float | None) -> str:
    """Scores without a useless ".0" (88, 88.5)."""
    if value is None:
        return ""
    return f"{value:g}" if value == round(value, 1) else f"{value:.2f}"


# ---------------------------------------------------------------- grading stored attempts

def fast_seconds_per_question():
    return float(current_app.config.get("EXAM_FAST_SECONDS_PER_QUESTION", 3))


def grade_attempt(attempt):
    """Score every item and the attempt (also used by regrades)."""
    exam = attempt.exam
    partial = exam.multi_scoring == "partial"
    items = db.session.scalars(sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                               .execution_options(populate_existing=True)).all()
    total, answered = 0.0, 0
    for item in items:
        earned, correct = grade_item(item.qtype, item.key, item.response, item.points, partial=partial)
        total += earned
        answered += bool(item.response)
        item.earned, item.correct = earned, correct
        item.bank_response = to_bank_letters(item.response, item.option_map)
    attempt.score = round(total, 2)
    attempt.max_score = round(sum(item.points for item in items), 2)
    attempt.answered = answered
    attempt.passed = attempt.score >= exam.pass_mark
    attempt.band = band_for(attempt.score, exam.bands, exam.pass_mark)
    attempt.time_used = int((attempt.submitted_at - attempt.started_at).total_seconds())
    attempt.flagged_fast = is_implausibly_fast(attempt.time_used, len(items), answered,
                                               fast_seconds_per_question())
    attempt.graded_at = utcnow()
    db.session.flush()


def refresh_result(exam, user_id):
    """Recompute the person's one result row (best or last submitted attempt) in the current transaction."""
    attempts = db.session.scalars(sa.select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user_id)
                                  .order_by(Attempt.attempt_no)).all()
    graded = [a for a in attempts if a.status == "submitted" and a.score is not None]
    result = db.session.scalar(sa.select(ExamResult).where(ExamResult.exam_id == exam.id,
                                                           ExamResult.user_id == user_id))
    if not graded:
        if result is not None:
            db.session.delete(result)
        return None
    last = max(graded, key=lambda a: (a.submitted_at, a.attempt_no))
    best = max(graded, key=lambda a: (a.score, -a.attempt_no))
    counting = best if exam.counting == "best" else last
    if result is None:
        result = ExamResult(exam_id=exam.id, user_id=user_id)
        db.session.add(result)
    result.unit_id = counting.unit_id
    result.attempt_id = counting.id
    result.attempts_used = len(attempts)
    result.score, result.best_score, result.last_score = counting.score, best.score, last.score
    result.max_score = counting.max_score
    result.band = counting.band
    result.passed = bool(counting.passed)
    result.time_used = counting.time_used
    result.submitted_at = counting.submitted_at
    result.is_makeup = counting.is_makeup
    result.page_leaves = sum(a.page_leaves for a in attempts)
    result.flagged = any(a.flagged_fast for a in attempts)
    db.session.flush()
    return result



# ---------------------------------------------------------------- regrade

def key_changes(exam):
    """Questions whose bank key differs from the key frozen in this exam's papers: [(question, old bank key)]."""
    rows = db.session.execute(
        sa.select(AttemptItem.question_id, AttemptItem.key, AttemptItem.option_map)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.exam_id == exam.id, AttemptItem.question_id.is_not(None))
        .distinct()).all()
    frozen = {}
    for qid, key, option_map in rows:
        frozen.setdefault(qid, set()).add(to_bank_letters(key, option_map))
    if not frozen:
        return []
    questions = db.session.scalars(sa.select(Question).where(Question.id.in_(frozen))).all()
    return [(q, "/".join(sorted(frozen[q.id]))) for q in questions if frozen[q.id] != {q.answer}]


def regrade(actor, exam, corrections=None):
    """Re-key this exam's papers (the bank's current keys, or ``corrections`` {question id: bank key}) and regrade.

    Returns (questions re-keyed, attempts whose score changed). Audited.
    """
    corrections = dict(corrections or {})
    for qid, key in corrections.items():
        question = db.session.get(Question, qid)
        if question is None:
            raise ServiceError("题目不存在。")
        problems = REGISTRY[question.qtype].key_problems(question.options or [], key)
        if problems:
            raise ServiceError(f"第 {qid} 号题目的答案无效：{'；'.join(problems)}。")
    if not corrections:
        corrections = {question.id: question.answer for question, _ in key_changes(exam)}
    if not corrections:
        raise ServiceError("题库答案与考试中记录的答案一致，无需重新评分。")
    items = db.session.execute(
        sa.select(AttemptItem.id, AttemptItem.attempt_id, AttemptItem.question_id, AttemptItem.key,
                  AttemptItem.option_map)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.exam_id == exam.id, AttemptItem.question_id.in_(list(corrections)))).all()
    updates, touched = [], set()
    for item_id, attempt_id, qid, key, option_map in items:
        new_key = to_displayed_letters(corrections[qid], option_map)
        if new_key != key:
            updates.append((item_id, new_key))
            touched.add(attempt_id)
    for item_id, key in updates:
        db.session.execute(sa.update(AttemptItem).where(AttemptItem.id == item_id).values(key=key)
                           .execution_options(synchronize_session=False))
    changed, users = 0, set()
    for attempt in db.session.scalars(sa.select(Attempt).where(Attempt.id.in_(touched), Attempt.status == "submitted")):
        old = attempt.score
        grade_attempt(attempt)
        changed += attempt.score != old
        users.add(attempt.user_id)
    for user_id in users:
        refresh_result(exam, user_id)
    rekeyed = len({qid for _, _, qid, _, _ in items if qid in corrections})
    record(actor, "exam.regrade", "exam", exam.id, exam.title,
           summary=f"更正 {len(corrections)} 道题的答案并重新评分：涉及 {len(touched)} 份答卷，{changed} 份成绩变化",
           changes={str(qid): [None, key] for qid, key in corrections.items()})
    db.session.flush()
    return rekeyed, changed
