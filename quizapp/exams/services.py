"""Exam use cases: setup, papers, starting, saving, submitting, grading, results, regrades, certificates.

Services take models and plain values, flush and never commit; the view or
CLI command commits once. Every time rule asks ``utcnow()``.
"""
from __future__ import annotations

import json
import random
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..accounts.models import CATEGORIES, RANKS, Unit, User
from ..accounts.scope import unit_visible
from ..accounts.services import unit_full_name
from ..audit.services import diff, record
from ..bank.models import DIFFICULTIES, Bank, Question
from ..bank.qtypes import LETTERS, REGISTRY, TYPE_LABELS, normalise_letters
from ..common.auth import LEARNERS
from ..common.clock import format_datetime, utcnow
from ..common.errors import ServiceError
from ..common.types import UTCDateTime
from ..extensions import db
from ..practice.services import record_outcomes
from . import grading
from .models import (COUNTING, DEFAULT_BANDS, KINDS, MULTI_SCORING, PAPER_MODES, REVIEW_POLICIES,
                     Attempt, AttemptItem, Certificate, Exam, ExamOverride, ExamResult, ExamUnit, PaperQuestion,
                     PaperRule, PaperVariant)

BLUEPRINT_DIR = Path(__file__).resolve().parent.parent.parent / "question_bank" / "blueprints"
PERIOD_RE = re.compile(r"^(\d{4})(-(0[1-9]|1[0-2]))?$")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class AttemptClosed(ServiceError):
    """The attempt takes no more answers (submitted, or past its deadline and grace)."""


def grace_seconds():
    return float(current_app.config.get("EXAM_SAVE_GRACE_SECONDS", 10))


def fast_seconds_per_question():
    return float(current_app.config.get("EXAM_FAST_SECONDS_PER_QUESTION", 3))


# ---------------------------------------------------------------- scope

def manageable(actor, exam) -> bool:
    """Organisers manage exams owned by units in their subtree; admins manage all."""
    return actor.role in ("organiser", "admin") and unit_visible(actor, exam.unit)


def visible_to_manager(actor, exam) -> bool:
    """Organisers also read (for their own people) exams set above them whose audience reaches into their subtree."""
    if manageable(actor, exam):
        return True
    if actor.role not in ("organiser", "admin"):
        return False
    path = actor.unit.path
    return any(u.path.startswith(path) or path.startswith(u.path) for u in exam.audience_units)


def managed_exams_stmt(actor):
    """Exams an organiser can open: owned in their subtree, or with audience reaching into it."""
    stmt = sa.select(Exam)
    if actor.role == "admin":
        return stmt
    path = actor.unit.path
    owner = sa.orm.aliased(Unit)
    audience = sa.orm.aliased(Unit)
    reaching = (sa.select(ExamUnit.exam_id).join(audience, audience.id == ExamUnit.unit_id)
                .where(sa.or_(audience.path.startswith(path), sa.literal(path).startswith(audience.path))))
    return (stmt.join(owner, owner.id == Exam.unit_id)
            .where(sa.or_(owner.path.startswith(path), Exam.id.in_(reaching))))


# ---------------------------------------------------------------- audience

def audience_users_stmt(exam, *, within_path=None):
    """Active people who sit this exam (optionally only those under ``within_path``), as one select."""
    audience = sa.orm.aliased(Unit)
    member = sa.orm.aliased(Unit)
    unit_ids = (sa.select(member.id)
                .join(audience, member.path.startswith(audience.path))
                .join(ExamUnit, sa.and_(ExamUnit.unit_id == audience.id, ExamUnit.exam_id == exam.id)))
    stmt = sa.select(User).where(User.unit_id.in_(unit_ids), User.active.is_(True), User.role.in_(LEARNERS))
    if exam.categories:
        stmt = stmt.where(User.category.in_(exam.categories))
    if exam.audience_shufa_only:
        stmt = stmt.where(User.shufa.is_(True))
    if within_path:
        stmt = stmt.where(User.unit_id.in_(sa.select(Unit.id).where(Unit.path.startswith(within_path))))
    return stmt


def in_audience(exam, user) -> bool:
    if not user.active or user.role not in LEARNERS:
        return False
    if exam.categories and user.category not in exam.categories:
        return False
    if exam.audience_shufa_only and not user.shufa:
        return False
    return any(user.unit.path.startswith(u.path) for u in exam.audience_units)


def exams_for_user_stmt(user):
    """Published exams whose audience covers this person (by unit ancestry, category and 述法)."""
    ancestors = user.unit.ancestor_ids()
    stmt = (sa.select(Exam).where(Exam.status == "published",
                                  Exam.id.in_(sa.select(ExamUnit.exam_id).where(ExamUnit.unit_id.in_(ancestors))))
            .where(sa.or_(Exam.audience_categories == "", Exam.audience_categories.contains(f",{user.category},"))))
    if not user.shufa:
        stmt = stmt.where(Exam.audience_shufa_only.is_(False))
    return stmt


# ---------------------------------------------------------------- exam setup

EXAM_FIELDS = ("title", "kind", "period", "description", "unit_id", "open_at", "close_at", "time_limit", "required",
               "categories", "audience_shufa_only", "full_marks", "pass_mark", "bands", "multi_scoring",
               "attempts_allowed", "counting", "unseen_first", "makeup_enabled", "makeup_open_at", "makeup_close_at",
               "makeup_attempts", "shuffle_questions", "shuffle_options", "review_policy")
# What may still change once someone has started: nothing that changes the paper, scoring or fairness.
UNLOCKED_FIELDS = ("close_at", "makeup_close_at", "description")


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


def exam_problems(actor, values, exam=None):
    """Every problem with an exam's settings, as (field, message) pairs."""
    problems = []
    title = (values.get("title") or "").strip()
    if not title:
        problems.append(("title", "请填写考试名称。"))
    elif len(title) > 200:
        problems.append(("title", "考试名称不能超过 200 个字符。"))
    if values.get("kind") not in KINDS:
        problems.append(("kind", "请选择考试类型。"))
    period = (values.get("period") or "").strip()
    if not PERIOD_RE.match(period):
        problems.append(("period", "考试期次应写作“2026-11”（月度）或“2026”（年度）。"))
    unit = db.session.get(Unit, values.get("unit_id")) if values.get("unit_id") else None
    if unit is None:
        problems.append(("unit_id", "请选择组织单位。"))
    elif not unit_visible(actor, unit) or actor.role not in ("organiser", "admin"):
        problems.append(("unit_id", "您无权以该单位名义组织考试。"))
    audience = [db.session.get(Unit, uid) for uid in values.get("audience_ids") or []]
    if not audience or any(u is None for u in audience):
        problems.append(("audience_ids", "请至少选择一个参考单位。"))
    elif unit is not None:
        outside = [u.name for u in audience if not u.is_within(unit)]
        if outside:
            problems.append(("audience_ids", f"参考单位必须在组织单位之下：{'、'.join(outside)}。"))
    opens, closes = values.get("open_at"), values.get("close_at")
    if opens is None:
        problems.append(("open_at", "请填写开始时间。"))
    if closes is None:
        problems.append(("close_at", "请填写截止时间。"))
    if opens and closes and closes <= opens:
        problems.append(("close_at", "截止时间必须晚于开始时间。"))
    limit = values.get("time_limit")
    if not limit or limit < 1 or limit > 600:
        problems.append(("time_limit", "考试时长应在 1 到 600 分钟之间。"))
    full = values.get("full_marks") or 0
    if full <= 0 or full > 1000:
        problems.append(("full_marks", "满分应在 1 到 1000 之间。"))
    pass_mark = values.get("pass_mark")
    if pass_mark is None or pass_mark < 0 or (full and pass_mark > full):
        problems.append(("pass_mark", "及格线应在 0 到满分之间。"))
    bands = values.get("bands") or []
    labels = [label for label, _ in bands]
    if len(set(labels)) != len(labels):
        problems.append(("bands", "等次名称不能重复。"))
    if any(low < 0 or (full and low > full) for _, low in bands):
        problems.append(("bands", "等次分数线应在 0 到满分之间。"))
    if bands and pass_mark is not None and min(low for _, low in bands) < pass_mark:
        problems.append(("bands", "最低等次的分数线不能低于及格线。"))
    if values.get("multi_scoring") not in MULTI_SCORING:
        problems.append(("multi_scoring", "请选择多选题计分方式。"))
    if values.get("counting") not in COUNTING:
        problems.append(("counting", "请选择成绩计取方式。"))
    if values.get("review_policy") not in REVIEW_POLICIES:
        problems.append(("review_policy", "请选择查看答案的方式。"))
    attempts = values.get("attempts_allowed")
    if not attempts or attempts < 1 or attempts > 20:
        problems.append(("attempts_allowed", "考试次数应在 1 到 20 之间。"))
    if values.get("makeup_enabled"):
        m_open, m_close = values.get("makeup_open_at"), values.get("makeup_close_at")
        if m_open is None or m_close is None:
            problems.append(("makeup_open_at", "开启补考时须填写补考开始和截止时间。"))
        elif m_close <= m_open:
            problems.append(("makeup_close_at", "补考截止时间必须晚于补考开始时间。"))
        elif closes and m_open < closes:
            problems.append(("makeup_open_at", "补考应在正式考试截止之后开始。"))
        m_attempts = values.get("makeup_attempts")
        if not m_attempts or m_attempts < 1 or m_attempts > 10:
            problems.append(("makeup_attempts", "补考次数应在 1 到 10 之间。"))
    unknown = [c for c in values.get("categories") or [] if c not in CATEGORIES]
    if unknown:
        problems.append(("categories", "未知的人员类别。"))
    return problems


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
    """A draft exam with one default blueprint paper; the paper is set on the next page."""
    values = dict(values)
    values.setdefault("bands", [list(b) for b in DEFAULT_BANDS])
    problems = exam_problems(actor, values)
    if problems:
        raise ServiceError(problems)
    exam = Exam(created_by_id=actor.id if actor else None, status="draft")
    _assign(exam, values)
    exam.audience_units = [db.session.get(Unit, uid) for uid in values["audience_ids"]]
    exam.variants = [PaperVariant(name="通用试卷", position=0, mode="blueprint",
                                  points={"single": 2, "multiple": 2, "judge": 2})]
    db.session.add(exam)
    db.session.flush()
    record(actor, "exam.create", "exam", exam.id, exam.title)
    return exam


def started_count(exam) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(Attempt.exam_id == exam.id)) or 0


def lock_reason(exam) -> str | None:
    """Why settings other than the close time are locked, or None when everything may change."""
    count = started_count(exam)
    if not count:
        return None
    return (f"已有 {count} 人次开始作答。为保证公平，试卷、计分和参考范围已锁定，"
            "只能修改截止时间、补考截止时间、考试说明和个人特殊安排。")


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
    _assign(exam, values)
    if not reason:
        exam.audience_units = [db.session.get(Unit, uid) for uid in values["audience_ids"]]
    changes = diff(before, _exam_snapshot(exam))
    if changes:
        record(actor, "exam.update", "exam", exam.id, exam.title, changes=changes)
    db.session.flush()
    return changes


def require_unlocked(exam):
    reason = lock_reason(exam)
    if reason:
        raise ServiceError(reason)


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


# ---------------------------------------------------------------- papers

def usable_banks_stmt(exam):
    """System banks, and banks of the exam's unit or any unit above it."""
    return sa.select(Bank).where(sa.or_(Bank.unit_id.is_(None), Bank.unit_id.in_(exam.unit.ancestor_ids())))


def _candidates_stmt(exam, qtype, *, bank_id=None, category="", law_name="", difficulty=""):
    usable = usable_banks_stmt(exam).with_only_columns(Bank.id)
    stmt = sa.select(Question.id).where(Question.status == "active", Question.qtype == qtype,
                                        Question.bank_id.in_(usable))
    if bank_id:
        stmt = stmt.where(Question.bank_id == bank_id)
    if category:
        stmt = stmt.where(sa.or_(Question.category == category,
                                 Question.category.startswith(category + "/", autoescape=True)))
    if law_name:
        stmt = stmt.where(Question.law_name.contains(law_name.strip("《》 "), autoescape=True))
    if difficulty:
        stmt = stmt.where(Question.difficulty == difficulty)
    return stmt


def rule_candidates(exam, rule) -> list[int]:
    return list(db.session.scalars(_candidates_stmt(exam, rule.qtype, bank_id=rule.bank_id, category=rule.category,
                                                    law_name=rule.law_name, difficulty=rule.difficulty)))


def describe_rule(rule, number=None) -> str:
    """"第 2 条规则（单选题 25 道，分类“宪法”）"."""
    parts = [f"{TYPE_LABELS.get(rule.qtype, rule.qtype)} {rule.count} 道"]
    if rule.bank_id:
        bank = db.session.get(Bank, rule.bank_id)
        parts.append(f"题库“{bank.name if bank else rule.bank_id}”")
    if rule.category:
        parts.append(f"分类“{rule.category}”")
    if rule.law_name:
        parts.append(f"法规“{rule.law_name}”")
    if rule.difficulty:
        parts.append(f"难度“{DIFFICULTIES.get(rule.difficulty, rule.difficulty)}”")
    prefix = f"第 {number} 条规则" if number else "规则"
    return f"{prefix}（{'，'.join(parts)}）"


def variant_problems(exam, variant) -> list[str]:
    """What stops this paper from being drawn: empty paper, wrong total, a rule the banks cannot fill."""
    label = f"试卷“{variant.name}”"
    problems = []
    points = variant.points or {}
    if variant.mode == "blueprint":
        if not variant.rules:
            return [f"{label}还没有抽题规则。"]
        counts = {}
        pools = {}
        for number, rule in enumerate(variant.rules, 1):
            ids = rule_candidates(exam, rule)
            if len(ids) < rule.count:
                problems.append(f"{label}的{describe_rule(rule, number)}只有 {len(ids)} 道可用题目，"
                                f"还差 {rule.count - len(ids)} 道。请减少题量、放宽条件或补充题库。")
            counts[rule.qtype] = counts.get(rule.qtype, 0) + rule.count
            pools.setdefault(rule.qtype, set()).update(ids)
        for qtype, needed in counts.items():
            if len(pools[qtype]) < needed and not problems:
                problems.append(f"{label}的{TYPE_LABELS[qtype]}规则互相重叠，合计需要 {needed} 道不同的题，"
                                f"符合条件的只有 {len(pools[qtype])} 道。")
        qtypes = counts
    else:
        if not variant.fixed:
            return [f"{label}还没有选题。"]
        qtypes = {}
        for item in variant.fixed:
            qtypes[item.question.qtype] = qtypes.get(item.question.qtype, 0) + 1
            if item.question.status != "active":
                problems.append(f"{label}中的第 {item.position} 题已停用，请移除或更换。")
    for qtype in qtypes:
        if not points.get(qtype) or float(points[qtype]) <= 0:
            problems.append(f"{label}没有设置{TYPE_LABELS.get(qtype, qtype)}的每题分值。")
    total = variant_total(variant)
    if abs(total - exam.full_marks) > 1e-6:
        problems.append(f"{label}总分为 {grading.format_score(total)} 分，应等于满分 "
                        f"{grading.format_score(exam.full_marks)} 分。")
    return problems


def variant_total(variant) -> float:
    points = variant.points or {}
    if variant.mode == "blueprint":
        return sum(rule.count * float(points.get(rule.qtype) or 0) for rule in variant.rules)
    return sum(float(points.get(item.question.qtype) or 0) for item in variant.fixed)


def variant_question_count(variant) -> int:
    return sum(r.count for r in variant.rules) if variant.mode == "blueprint" else len(variant.fixed)


def paper_problems(exam) -> list[str]:
    problems = []
    if not exam.variants:
        return ["还没有设置试卷。"]
    if not any(v.is_default for v in exam.variants):
        problems.append("缺少适用于其他人员的默认试卷（不限人员类别和职级）。")
    for variant in exam.variants:
        problems += variant_problems(exam, variant)
    return problems


def _clean_matches(categories, ranks):
    return ([c for c in CATEGORIES if c in set(categories or [])], [r for r in RANKS if r in set(ranks or [])])


def save_variant(actor, exam, variant, *, name, mode, categories, ranks, points):
    """Create (variant None) or change a paper: its name, who gets it, fixed or blueprint, points per type."""
    require_unlocked(exam)
    name = (name or "").strip()
    problems = []
    if not name or len(name) > 50:
        problems.append(("name", "试卷名称必填，且不超过 50 个字符。"))
    if mode not in PAPER_MODES:
        problems.append(("mode", "请选择组卷方式。"))
    clean_points = {}
    for qtype, value in (points or {}).items():
        if qtype not in REGISTRY:
            continue
        if value is None or value == "":
            continue
        if float(value) < 0 or float(value) > 100:
            problems.append((f"points_{qtype}", f"{TYPE_LABELS[qtype]}每题分值应在 0 到 100 之间。"))
        elif float(value) > 0:
            clean_points[qtype] = float(value)
    categories, ranks = _clean_matches(categories, ranks)
    others = [v for v in exam.variants if v is not variant]
    if not categories and not ranks and any(v.is_default for v in others):
        problems.append(("match_categories", "已有默认试卷。其他试卷须指定适用的人员类别或职级。"))
    taken = {c for v in others for c in v.match_categories or []} & set(categories)
    taken |= {r for v in others for r in v.match_ranks or []} & set(ranks)
    if taken:
        labels = [CATEGORIES.get(t) or RANKS.get(t) for t in taken]
        problems.append(("match_categories", f"“{'、'.join(labels)}”已有适用的试卷。"))
    if problems:
        raise ServiceError(problems)
    created = variant is None
    if created:
        variant = PaperVariant(exam=exam, position=max((v.position for v in exam.variants), default=-1) + 1)
        db.session.add(variant)
    variant.name, variant.mode = name, mode
    variant.match_categories, variant.match_ranks = categories, ranks
    variant.points = clean_points
    db.session.flush()
    record(actor, "exam.paper", "exam", exam.id, exam.title,
           summary=f"{'新增' if created else '修改'}试卷“{name}”（{variant.match_label}，{PAPER_MODES[mode]}）")
    return variant


def delete_variant(actor, exam, variant):
    require_unlocked(exam)
    if len(exam.variants) == 1:
        raise ServiceError("每场考试至少要有一套试卷。")
    exam.variants.remove(variant)
    record(actor, "exam.paper", "exam", exam.id, exam.title, summary=f"删除试卷“{variant.name}”")
    db.session.flush()


def add_rule(actor, exam, variant, *, qtype, count, bank_id=None, category="", law_name="", difficulty=""):
    """Add N questions of a type; refused, naming the rule, when the banks cannot fill it."""
    require_unlocked(exam)
    problems = []
    if qtype not in REGISTRY:
        problems.append(("qtype", "请选择题型。"))
    if not count or count < 1 or count > 200:
        problems.append(("count", "题量应在 1 到 200 之间。"))
    if bank_id:
        usable = db.session.scalar(usable_banks_stmt(exam).where(Bank.id == bank_id))
        if usable is None:
            problems.append(("bank_id", "该题库不能用于本单位的考试。"))
    if difficulty and difficulty not in DIFFICULTIES:
        problems.append(("difficulty", "未知的难度。"))
    if problems:
        raise ServiceError(problems)
    rule = PaperRule(qtype=qtype, count=count, bank_id=bank_id or None, category=(category or "").strip(),
                     law_name=(law_name or "").strip(), difficulty=difficulty or "",
                     position=max((r.position for r in variant.rules), default=-1) + 1)
    available = len(rule_candidates(exam, rule))
    if available < count:
        raise ServiceError([(None, f"{describe_rule(rule, len(variant.rules) + 1)}无法满足：符合条件的题目只有 "
                                   f"{available} 道。请减少题量、放宽条件或补充题库。")])
    variant.rules.append(rule)
    db.session.flush()
    record(actor, "exam.paper", "exam", exam.id, exam.title,
           summary=f"试卷“{variant.name}”新增{describe_rule(rule)}")
    return rule


def delete_rule(actor, exam, variant, rule):
    require_unlocked(exam)
    variant.rules.remove(rule)
    record(actor, "exam.paper", "exam", exam.id, exam.title, summary=f"试卷“{variant.name}”删除{describe_rule(rule)}")
    db.session.flush()


def add_fixed_questions(actor, exam, variant, question_ids):
    """Add chosen questions (from usable banks, active) to a fixed paper; returns how many were added."""
    require_unlocked(exam)
    ids = {int(i) for i in question_ids or []}
    if not ids:
        raise ServiceError("请先勾选要加入试卷的题目。")
    usable = usable_banks_stmt(exam).with_only_columns(Bank.id)
    found = set(db.session.scalars(sa.select(Question.id).where(Question.id.in_(ids), Question.status == "active",
                                                                Question.bank_id.in_(usable))))
    if found != ids:
        raise ServiceError("部分题目不存在、已停用或不能用于本单位的考试。")
    present = {item.question_id for item in variant.fixed}
    position = max((item.position for item in variant.fixed), default=0)
    added = 0
    for qid in sorted(ids - present):
        position += 1
        variant.fixed.append(PaperQuestion(question_id=qid, position=position))
        added += 1
    db.session.flush()
    record(actor, "exam.paper", "exam", exam.id, exam.title, summary=f"试卷“{variant.name}”加入 {added} 道固定题目")
    return added


def remove_fixed_question(actor, exam, variant, item):
    require_unlocked(exam)
    variant.fixed.remove(item)
    for position, rest in enumerate(variant.fixed, 1):
        rest.position = position
    record(actor, "exam.paper", "exam", exam.id, exam.title, summary=f"试卷“{variant.name}”移除一道固定题目")
    db.session.flush()


def blueprint_templates() -> dict[str, dict]:
    """Reusable paper templates shipped in question_bank/blueprints/*.json, by file stem."""
    templates = {}
    if BLUEPRINT_DIR.is_dir():
        for path in sorted(BLUEPRINT_DIR.glob("*.json")):
            templates[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return templates


def apply_template(actor, exam, variant, template):
    """Replace a paper's rules and points with a template's (e.g. 25 单选 + 10 多选 + 15 判断, 2 points each)."""
    require_unlocked(exam)
    variant.mode = "blueprint"
    variant.points = {k: float(v) for k, v in template.get("points", {}).items() if k in REGISTRY}
    variant.rules.clear()
    db.session.flush()
    for position, spec in enumerate(template.get("rules", [])):
        variant.rules.append(PaperRule(qtype=spec["qtype"], count=int(spec["count"]), position=position,
                                       category=spec.get("category", ""), law_name=spec.get("law_name", ""),
                                       difficulty=spec.get("difficulty", "")))
    db.session.flush()
    problems = variant_problems(exam, variant)
    record(actor, "exam.paper", "exam", exam.id, exam.title,
           summary=f"试卷“{variant.name}”套用模板“{template.get('name', '')}”")
    return problems


# ---------------------------------------------------------------- standing: may this person start?

@dataclass
class Standing:
    """Where one person stands with one exam right now."""

    exam: Exam
    state: str  # "pending" 待参加 / "in_progress" 进行中 / "done" 已完成 / "ended" 已结束
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

    @property
    def state_label(self):
        return {"pending": "待参加", "in_progress": "进行中", "done": "已完成", "ended": "已结束"}[self.state]


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
        info.state, info.open_attempt_id = "in_progress", open_attempt.id
        info.reason = "您有一场未交卷的考试，请继续作答。"
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

def choose_variant(exam, user):
    """The paper for this person: one naming their category, then one naming their rank, else the default."""
    for variant in exam.variants:
        if user.category in (variant.match_categories or []):
            return variant
    for variant in exam.variants:
        if user.rank in (variant.match_ranks or []):
            return variant
    return next((v for v in exam.variants if v.is_default), exam.variants[0] if exam.variants else None)


def _lock_person(user):
    """Serialise this person's starts: a row lock on PostgreSQL, the write lock (BEGIN IMMEDIATE) on SQLite."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    elif connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _seen_question_ids(exam, user):
    return set(db.session.scalars(
        sa.select(AttemptItem.question_id).join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.exam_id == exam.id, Attempt.user_id == user.id, AttemptItem.question_id.is_not(None))))


def draw_questions(exam, variant, user, rng) -> list[Question]:
    """The questions of a new paper, in section order; unseen ones first when the exam asks for it."""
    if variant.mode == "fixed":
        chosen = [item.question for item in variant.fixed]
        groups = {}
        for question in chosen:
            groups.setdefault(question.qtype, []).append(question)
        if exam.shuffle_questions:
            for group in groups.values():
                rng.shuffle(group)
            return [q for qtype in REGISTRY for q in groups.get(qtype, [])]
        return chosen
    seen = _seen_question_ids(exam, user) if exam.unseen_first else set()
    pools = [(rule, rule_candidates(exam, rule)) for rule in variant.rules]
    taken, picks = set(), {}
    # The most constrained rules draw first, so a narrow rule is not starved by a broad one.
    for rule, ids in sorted(pools, key=lambda pair: len(pair[1])):
        free = [i for i in ids if i not in taken]
        fresh = [i for i in free if i not in seen]
        again = [i for i in free if i in seen]
        rng.shuffle(fresh)
        rng.shuffle(again)
        pick = (fresh + again)[:rule.count]
        if len(pick) < rule.count:
            raise ServiceError("题库中的题目已不足以组成试卷（可能有题目被停用），请联系考试组织者。")
        taken.update(pick)
        picks[rule.id] = pick
    questions = {q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(taken)))}
    sections = {}
    for rule in variant.rules:
        sections.setdefault(rule.qtype, []).extend(questions[i] for i in picks[rule.id])
    if not exam.shuffle_questions:
        for group in sections.values():
            group.sort(key=lambda q: q.id)
    return [q for qtype in REGISTRY for q in sections.get(qtype, [])]


def build_items(exam, variant, questions, rng) -> list[AttemptItem]:
    """Freeze the paper: stem, displayed options and key (after shuffling), points, 解析."""
    points = variant.points or {}
    items = []
    for position, question in enumerate(questions, 1):
        shuffle = exam.shuffle_options and question.qtype != "judge"
        options, option_map, key = grading.shuffle_options(list(question.options or []), question.answer, rng,
                                                           shuffle=shuffle)
        items.append(AttemptItem(position=position, question_id=question.id, qtype=question.qtype,
                                 stem=question.stem, options=options, option_map=option_map, key=key,
                                 points=float(points.get(question.qtype) or 0), explanation=question.explanation or "",
                                 citation=question.citation[:300]))
    return items


def start_attempt(exam, user, now=None):
    """Start (or resume) this person's attempt; returns (attempt, created). Race-safe: one attempt per number."""
    now = now or utcnow()
    if exam.status != "published" or not in_audience(exam, user):
        raise ServiceError("您不在本场考试的参考范围内。")
    _lock_person(user)
    existing = db.session.scalar(sa.select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user.id,
                                                          Attempt.status == "open"))
    if existing is not None:
        if not finalise_if_overdue(existing, now):
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


# Built once: saving an answer is the hottest path of the app (one request per answer per cadre), so the
# common case is a single conditional UPDATE that checks owner, open status, deadline, sequence number and
# that the letters exist; only when it changes nothing do we look closer to say why.
_SAVE_ANSWER = (
    sa.update(AttemptItem.__table__)
    .where(AttemptItem.attempt_id == sa.bindparam("attempt"), AttemptItem.position == sa.bindparam("at"),
           AttemptItem.seq < sa.bindparam("number"),
           sa.func.length(AttemptItem.option_map) >= sa.bindparam("needs", type_=sa.Integer),
           sa.or_(AttemptItem.qtype == "multiple", sa.bindparam("letters", type_=sa.Integer) <= 1),
           sa.exists().where(Attempt.id == AttemptItem.attempt_id, Attempt.user_id == sa.bindparam("user"),
                             Attempt.status == "open", Attempt.deadline >= sa.bindparam("cutoff", type_=UTCDateTime())))
    .values(response=sa.bindparam("answer"), seq=sa.bindparam("number"), saved_at=sa.bindparam("when")))
_SAVE_ANSWER_AND_MARK = _SAVE_ANSWER.values(marked=sa.bindparam("mark"))


def save_answers(user, attempt_id, answers, now=None):
    """Apply answers [{position, response, seq, marked}] where seq is newer than the stored one.

    Returns [{position, seq, accepted}] ("accepted": False means a newer answer was already saved, which
    is success for the client: nothing is left to send). Raises LookupError for someone else's attempt,
    AttemptClosed past the deadline and grace, ServiceError for a question or option that does not exist.
    """
    now = now or utcnow()
    connection = db.session.connection()
    cutoff = now - timedelta(seconds=grace_seconds())
    results = []
    for answer in answers:
        position, seq = int(answer["position"]), int(answer["seq"])
        response = normalise_letters(answer.get("response") or "")
        params = {"attempt": attempt_id, "at": position, "number": seq, "answer": response, "when": now,
                  "user": user.id, "cutoff": cutoff, "letters": len(response),
                  "needs": max((LETTERS.index(ch) + 1 for ch in response), default=0)}
        statement = _SAVE_ANSWER
        if answer.get("marked") is not None:
            statement, params["mark"] = _SAVE_ANSWER_AND_MARK, bool(answer["marked"])
        accepted = connection.execute(statement, params).rowcount == 1
        if not accepted:
            accepted = _save_refused(user, attempt_id, answer, position, response, seq, now)
        results.append({"position": position, "seq": seq, "accepted": accepted})
    return results


def _save_refused(user, attempt_id, answer, position, response, seq, now):
    """Why the conditional update changed nothing: raise for a real refusal, else False (a newer answer won).

    A response the type reads differently (two letters for a 单选 means no answer) is saved as the type reads it.
    """
    attempt = get_attempt_for(user, attempt_id)
    if attempt is None:
        raise LookupError(attempt_id)
    if attempt.status != "open" or not grading.accepts_saves(now, attempt.deadline, grace_seconds()):
        message = _closed_message(attempt, now)
        finalise_if_overdue(attempt, now)
        raise AttemptClosed(message)
    item = db.session.scalar(sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt_id,
                                                          AttemptItem.position == position))
    if item is None:
        raise ServiceError(f"第 {position} 题不存在。")
    if any(LETTERS.index(ch) >= len(item.option_map) for ch in response):
        raise ServiceError(f"第 {position} 题的选项不存在。")
    if item.seq >= seq:
        return False
    item.response = REGISTRY[item.qtype].normalise_response(response)
    item.seq, item.saved_at = seq, now
    if answer.get("marked") is not None:
        item.marked = bool(answer["marked"])
    db.session.flush()
    return True


def save_page(user, attempt, answers, marks, now=None):
    """The no-JavaScript path: a page of answers from a plain form, each newer than anything stored."""
    now = now or utcnow()
    if attempt.status != "open" or not grading.accepts_saves(now, attempt.deadline, grace_seconds()):
        message = _closed_message(attempt, now)
        finalise_if_overdue(attempt, now)
        raise AttemptClosed(message)
    by_position = {item.position: item for item in attempt.items}
    payload = []
    for position, response in answers.items():
        item = by_position.get(position)
        if item is None:
            continue
        normalised = REGISTRY[item.qtype].normalise_response(response)
        marked = position in marks
        if normalised == item.response and marked == item.marked:
            continue
        payload.append({"position": position, "response": normalised, "seq": item.seq + 1, "marked": marked})
    if payload:
        save_answers(user, attempt.id, payload, now)
        db.session.expire(attempt)
    return len(payload)


def note_page_leave(user, attempt_id, count=1):
    """Count a visibilitychange away from the exam page (information only)."""
    count = max(1, min(int(count or 1), 50))
    done = db.session.execute(sa.update(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user.id,
                                                       Attempt.status == "open")
                              .values(page_leaves=Attempt.page_leaves + count)
                              .execution_options(synchronize_session=False))
    if done.rowcount == 0 and get_attempt_for(user, attempt_id) is None:
        raise LookupError(attempt_id)
    return db.session.scalar(sa.select(Attempt.page_leaves).where(Attempt.id == attempt_id))


# ---------------------------------------------------------------- submitting and grading

def submit_attempt(attempt, now=None, *, kind="manual"):
    """Close and grade the attempt exactly once (a conditional update); False when it was already closed.

    Answers count as saved up to the deadline (plus grace); a submission after the deadline is
    recorded at the deadline.
    """
    now = now or utcnow()
    at = min(now, attempt.deadline)
    if kind == "manual" and now >= attempt.deadline:
        kind = "timeout"
    done = db.session.execute(sa.update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "open")
                              .values(status="submitted", submitted_at=at, submit_kind=kind)
                              .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.refresh(attempt)
        return False
    db.session.refresh(attempt)
    grade_attempt(attempt)
    refresh_result(attempt.exam, attempt.user_id)
    if review_visible(attempt.exam, now):
        record_outcomes_for(attempt)
    return True


def grade_attempt(attempt):
    """Score every item and the attempt (also used by regrades)."""
    exam = attempt.exam
    partial = exam.multi_scoring == "partial"
    items = db.session.scalars(sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                               .execution_options(populate_existing=True)).all()
    total, answered = 0.0, 0
    for item in items:
        earned, correct = grading.grade_item(item.qtype, item.key, item.response, item.points, partial=partial)
        total += earned
        answered += bool(item.response)
        item.earned, item.correct = earned, correct
        item.bank_response = grading.to_bank_letters(item.response, item.option_map)
    attempt.score = round(total, 2)
    attempt.max_score = round(sum(item.points for item in items), 2)
    attempt.answered = answered
    attempt.passed = attempt.score >= exam.pass_mark
    attempt.band = grading.band_for(attempt.score, exam.bands, exam.pass_mark)
    attempt.time_used = int((attempt.submitted_at - attempt.started_at).total_seconds())
    attempt.flagged_fast = grading.is_implausibly_fast(attempt.time_used, len(items), answered,
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


def finalise_if_overdue(attempt, now=None) -> bool:
    """Submit an attempt left open past its deadline and grace, with what was saved. True if it is closed now."""
    now = now or utcnow()
    if attempt.status != "open":
        return True
    if grading.accepts_saves(now, attempt.deadline, grace_seconds()):
        return False
    submit_attempt(attempt, now, kind="overdue")
    return True


def overdue_attempt_ids(now=None, *, exam_id=None, user_id=None) -> list[int]:
    now = now or utcnow()
    stmt = sa.select(Attempt.id).where(Attempt.status == "open",
                                       Attempt.deadline < now - timedelta(seconds=grace_seconds()))
    if exam_id is not None:
        stmt = stmt.where(Attempt.exam_id == exam_id)
    if user_id is not None:
        stmt = stmt.where(Attempt.user_id == user_id)
    return list(db.session.scalars(stmt.order_by(Attempt.id)))


def close_overdue(now=None, *, exam_id=None, user_id=None) -> int:
    """Finalise every overdue open attempt (optionally of one exam or person); returns how many this call closed.

    Each close is a conditional update, so several servers running this at once close each attempt once.
    """
    now = now or utcnow()
    closed = 0
    for attempt_id in overdue_attempt_ids(now, exam_id=exam_id, user_id=user_id):
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is not None and attempt.status == "open":
            closed += submit_attempt(attempt, now, kind="overdue")
    return closed


# ---------------------------------------------------------------- review and the 错题本

def review_opens_at(exam) -> datetime | None:
    """When answers and 解析 become visible to everyone (None: never, for score-only)."""
    if exam.review_policy == "score":
        return None
    if exam.review_policy == "immediate":
        return exam.open_at
    latest = exam.close_at
    if exam.makeup_enabled and exam.makeup_close_at:
        latest = max(latest, exam.makeup_close_at)
    override_close = db.session.scalar(sa.select(sa.func.max(ExamOverride.close_at))
                                       .where(ExamOverride.exam_id == exam.id))
    if override_close is not None:
        latest = max(latest, override_close)
    return latest


def review_visible(exam, now=None) -> bool:
    opens = review_opens_at(exam)
    return opens is not None and (now or utcnow()) >= opens


def exam_closed(exam, now=None) -> bool:
    """Every window (main, 补考, per-person later closes) has ended: statistics may be shown."""
    now = now or utcnow()
    latest = exam.close_at
    if exam.makeup_enabled and exam.makeup_close_at:
        latest = max(latest, exam.makeup_close_at)
    override_close = db.session.scalar(sa.select(sa.func.max(ExamOverride.close_at))
                                       .where(ExamOverride.exam_id == exam.id))
    if override_close is not None:
        latest = max(latest, override_close)
    return now >= latest


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
    """Record 错题本 outcomes for submitted attempts whose review has become visible; returns how many."""
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


def touch_exam(exam, now=None):
    """Before reading an exam's figures: close its overdue attempts and open reviews that are due."""
    now = now or utcnow()
    closed = close_overdue(now, exam_id=exam.id)
    release_reviews(now, exam_id=exam.id)
    return closed


def touch_user(user, now=None):
    """Before showing a person their exams and results: the same, for their attempts only."""
    now = now or utcnow()
    closed = close_overdue(now, user_id=user.id)
    release_reviews(now, user_id=user.id)
    return closed


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
        frozen.setdefault(qid, set()).add(grading.to_bank_letters(key, option_map))
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
        new_key = grading.to_displayed_letters(corrections[qid], option_map)
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


# ---------------------------------------------------------------- certificates

def required_exams_stmt(user, year):
    return (exams_for_user_stmt(user).where(Exam.required.is_(True), Exam.period.startswith(str(year)))
            .order_by(Exam.open_at))


@dataclass
class CertificateStatus:
    year: int
    exams: list = field(default_factory=list)  # [(exam, result or None)]

    @property
    def eligible(self):
        return bool(self.exams) and all(r is not None and r.passed for _, r in self.exams)

    @property
    def missing(self):
        return [e for e, r in self.exams if r is None or not r.passed]


def certificate_status(user, year) -> CertificateStatus:
    exams = db.session.scalars(required_exams_stmt(user, year)).all()
    results = {r.exam_id: r for r in db.session.scalars(
        sa.select(ExamResult).where(ExamResult.user_id == user.id, ExamResult.exam_id.in_([e.id for e in exams])))}
    return CertificateStatus(year=year, exams=[(e, results.get(e.id)) for e in exams])


def issue_certificate(user, year):
    """The person's certificate for ``year`` (issued once, on first request, when they qualify)."""
    existing = db.session.scalar(sa.select(Certificate).where(Certificate.user_id == user.id,
                                                              Certificate.year == year))
    status = certificate_status(user, year)
    if not status.eligible:
        if existing is not None:
            return existing
        raise ServiceError("尚未通过本年度全部必考考试，暂不能生成合格证书。")
    ids = [e.id for e, _ in status.exams]
    titles = [e.title for e, _ in status.exams]
    if existing is not None:
        if existing.exam_ids != ids:
            existing.exam_ids, existing.exam_titles = ids, titles
            db.session.flush()
        return existing
    certificate = Certificate(user_id=user.id, year=year, name=user.name, unit_name=unit_full_name(user.unit),
                              exam_ids=ids, exam_titles=titles, code=_new_code(), issued_at=utcnow())
    db.session.add(certificate)
    db.session.flush()
    return certificate


def _new_code():
    while True:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
        code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        if db.session.scalar(sa.select(Certificate.id).where(Certificate.code == code)) is None:
            return code


def normalise_code(text):
    raw = re.sub(r"[^A-Z0-9]", "", (text or "").upper())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}" if len(raw) == 12 else ""


def verify_certificate(code):
    """(certificate, still valid) for a code, or (None, False). Valid while every listed exam is still passed."""
    code = normalise_code(code)
    if not code:
        return None, False
    certificate = db.session.scalar(sa.select(Certificate).where(Certificate.code == code))
    if certificate is None:
        return None, False
    passed = db.session.scalar(sa.select(sa.func.count()).select_from(ExamResult).where(
        ExamResult.user_id == certificate.user_id, ExamResult.exam_id.in_(certificate.exam_ids or [-1]),
        ExamResult.passed.is_(True)))
    return certificate, passed == len(certificate.exam_ids or [])
