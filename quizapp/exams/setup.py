"""Setting up an exam: its settings (checked against the rules table), publishing, and per-person overrides.

Services take models and plain values, flush and never commit; the view or CLI command commits once.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from ..accounts.models import Unit
from ..accounts.scope import unit_visible
from ..audit.services import diff, record
from ..common.clock import format_datetime, utcnow
from ..common.errors import ServiceError
from ..extensions import db
from . import grading
from .access import in_audience, lock_reason, require_unlocked
from .models import DEFAULT_BANDS, Attempt, Exam, ExamOverride, PaperVariant
from .papers import paper_problems
from .setting_rules import setting_problems
from .sitting import person_close

EXAM_FIELDS = ("title", "kind", "period", "description", "unit_id", "open_at", "close_at", "time_limit", "required",
               "categories", "audience_shufa_only", "full_marks", "pass_mark", "bands", "multi_scoring",
               "attempts_allowed", "counting", "unseen_first", "makeup_enabled", "makeup_open_at", "makeup_close_at",
               "makeup_attempts", "shuffle_questions", "shuffle_options", "review_policy")
# What may still change once someone has started: nothing that changes the paper, scoring or fairness.
UNLOCKED_FIELDS = ("close_at", "makeup_close_at", "description")


# ---------------------------------------------------------------- settings

def parse_bands(text):
    """"优秀 90；良好 80；合格 60" -> [["优秀", 90.0], ...]; raises ServiceError naming the bad part."""
    bands = []
    for part in re.split(r"[;；,，\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        match = re.match(r"^(.+?)\s*(?:[:：≥>=]+|\s)\s*(\d+(?:\.\d+)?)\s*分?$", part)
        if not match:
            raise ServiceError([("bands", f"等次“{part}”的格式不对，应为“等次名 分数线”，例如“优秀 90”。")])
        bands.append([match.group(1).strip(), float(match.group(2))])
    return bands


def format_bands(bands):
    return "；".join(f"{label} {grading.format_score(float(low))}" for label, low in bands or [])


def _with_parsed_bands(values):
    """The values with ``bands`` as a list (the page sends the text), and the problem if the text is malformed."""
    bands = values.get("bands")
    if not isinstance(bands, str):
        return values, []
    try:
        return {**values, "bands": parse_bands(bands)}, []
    except ServiceError as error:
        return {**values, "bands": []}, error.problems


def exam_problems(actor, values, exam=None):
    """Every problem with an exam's settings, as (field, message) pairs, from the one rules table."""
    values, problems = _with_parsed_bands(values)
    unit = db.session.get(Unit, values.get("unit_id")) if values.get("unit_id") else None
    settings = {
        **values,
        "unit": unit,
        "may_organise": unit is not None and actor.role in ("organiser", "admin") and unit_visible(actor, unit),
        "audience": [db.session.get(Unit, uid) for uid in values.get("audience_ids") or []],
    }
    return problems + setting_problems(settings)


def _assign(exam, values):
    for key in EXAM_FIELDS:
        if key == "categories":
            exam.categories = values.get("categories") or []
        elif key == "bands":
            exam.bands = [[label, low] for label, low in values.get("bands") or []]
        elif key in values:
            value = values[key]
            setattr(exam, key, value.strip() if isinstance(value, str) else value)
    if not exam.makeup_enabled:
        exam.makeup_open_at = exam.makeup_close_at = None


def _exam_snapshot(exam):
    snapshot = {key: getattr(exam, key) for key in EXAM_FIELDS if key not in ("categories", "bands")}
    snapshot["categories"] = ",".join(exam.categories)
    snapshot["bands"] = format_bands(exam.bands)
    snapshot["audience"] = ",".join(str(u.id) for u in exam.audience_units)
    return snapshot


def create_exam(actor, values):
    """A draft exam with one default blueprint paper; the paper is set on the next page.

    ``bands`` may be a list of [label, low] or the page's text ("优秀 90；合格 60").
    """
    values = dict(values)
    values.setdefault("bands", [list(b) for b in DEFAULT_BANDS])
    problems = exam_problems(actor, values)
    if problems:
        raise ServiceError(problems)
    values, _ = _with_parsed_bands(values)
    exam = Exam(created_by_id=actor.id if actor else None, status="draft")
    _assign(exam, values)
    exam.audience_units = [db.session.get(Unit, uid) for uid in values["audience_ids"]]
    exam.variants = [PaperVariant(name="通用试卷", position=0, mode="blueprint",
                                  points={"single": 2, "multiple": 2, "judge": 2})]
    db.session.add(exam)
    db.session.flush()
    record(actor, "exam.create", "exam", exam.id, exam.title)
    return exam


def update_exam(actor, exam, values):
    """Change settings; once someone has started only the close times and the description may change."""
    values = dict(values)
    reason = lock_reason(exam)
    before = _exam_snapshot(exam)
    if reason:
        locked = sorted(set(values) - set(UNLOCKED_FIELDS))
        if locked:
            raise ServiceError([(None, reason)])
        merged = {key: getattr(exam, key) for key in EXAM_FIELDS if key not in ("categories", "bands")}
        merged.update(categories=exam.categories, bands=exam.bands, audience_ids=[u.id for u in exam.audience_units])
        merged.update(values)
        values = merged
    values.setdefault("audience_ids", [u.id for u in exam.audience_units])
    problems = exam_problems(actor, values, exam)
    if reason and values.get("close_at") and values["close_at"] != exam.close_at and values["close_at"] < utcnow():
        problems.append(("close_at", "截止时间不能改到现在之前。"))
    if problems:
        raise ServiceError(problems)
    values, _ = _with_parsed_bands(values)
    _assign(exam, values)
    if not reason:
        exam.audience_units = [db.session.get(Unit, uid) for uid in values["audience_ids"]]
    changes = diff(before, _exam_snapshot(exam))
    if changes:
        record(actor, "exam.update", "exam", exam.id, exam.title, changes=changes)
    db.session.flush()
    return changes


# ---------------------------------------------------------------- publishing

def publish(actor, exam):
    """Make the exam visible to its audience; refuses a paper the banks cannot fill."""
    problems = paper_problems(exam)
    if problems:
        raise ServiceError([(None, p) for p in problems])
    exam.status = "published"
    exam.published_at = utcnow()
    record(actor, "exam.publish", "exam", exam.id, exam.title)
    db.session.flush()


def unpublish(actor, exam):
    require_unlocked(exam)
    exam.status = "draft"
    record(actor, "exam.unpublish", "exam", exam.id, exam.title)
    db.session.flush()


def delete_exam(actor, exam):
    require_unlocked(exam)
    record(actor, "exam.delete", "exam", exam.id, exam.title)
    db.session.delete(exam)
    db.session.flush()


# ---------------------------------------------------------------- overrides

def save_override(actor, exam, person, *, extra_minutes=0, close_at=None, extra_attempts=0, reason=""):
    """Give one person extra time, a later close or more attempts; the reason goes to the audit log."""
    reason = (reason or "").strip()
    problems = []
    if not reason:
        problems.append(("reason", "请填写特殊安排的原因。"))
    elif len(reason) > 500:
        problems.append(("reason", "原因不能超过 500 个字符。"))
    if extra_minutes is None or extra_minutes < 0 or extra_minutes > 600:
        problems.append(("extra_minutes", "延长时间应在 0 到 600 分钟之间。"))
    if extra_attempts is None or extra_attempts < 0 or extra_attempts > 10:
        problems.append(("extra_attempts", "增加次数应在 0 到 10 之间。"))
    if close_at is not None and close_at <= exam.close_at:
        problems.append(("close_at", "个人截止时间应晚于考试截止时间。"))
    if not in_audience(exam, person):
        problems.append(("user_id", "此人不在本场考试的参考范围内。"))
    if problems:
        raise ServiceError(problems)
    override = db.session.scalar(sa.select(ExamOverride).where(ExamOverride.exam_id == exam.id,
                                                               ExamOverride.user_id == person.id))
    before = {}
    if override is None:
        override = ExamOverride(exam_id=exam.id, user_id=person.id)
    else:
        before = {"extra_minutes": override.extra_minutes, "close_at": format_datetime(override.close_at),
                  "extra_attempts": override.extra_attempts}
    override.extra_minutes, override.close_at, override.extra_attempts = extra_minutes, close_at, extra_attempts
    override.reason, override.created_by_id = reason, actor.id
    db.session.add(override)
    after = {"extra_minutes": extra_minutes, "close_at": format_datetime(close_at), "extra_attempts": extra_attempts}
    db.session.flush()
    _extend_open_attempt(exam, person, override)
    record(actor, "exam.override", "exam", exam.id, exam.title,
           summary=f"{person.name}（{person.login}）：{reason}", changes=diff(before, after) or None)
    return override


def _extend_open_attempt(exam, person, override):
    """An arrangement made during a sitting applies to it at once (deadlines only ever move later)."""
    attempt = db.session.scalar(sa.select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == person.id,
                                                         Attempt.status == "open"))
    if attempt is None:
        return
    close = exam.makeup_close_at if attempt.is_makeup else person_close(exam, override)
    deadline = grading.deadline_for(attempt.started_at, exam.time_limit, close, override.extra_minutes)
    if deadline > attempt.deadline:
        attempt.deadline = deadline
        db.session.flush()


def delete_override(actor, exam, override):
    person = override.user
    record(actor, "exam.override", "exam", exam.id, exam.title,
           summary=f"取消{person.name}（{person.login}）的特殊安排")
    db.session.delete(override)
    db.session.flush()
