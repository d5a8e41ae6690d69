"""Exam papers: variants by category or rank, blueprint rules or fixed questions, checking that the banks can
fill them, and drawing and freezing one person's paper at start.

Services take models and plain values, flush and never commit.
"""
from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from ..accounts.models import CATEGORIES, RANKS
from ..audit.services import record
from ..bank.models import DIFFICULTIES, Bank, Question
from ..bank.qtypes import REGISTRY
from ..bank.units import CASE, RULE_KINDS, DrawUnit, distinct_count, group_units, pick_units
from ..common.errors import ServiceError
from ..extensions import db
from . import grading
from .access import require_unlocked
from .models import PAPER_MODES, Attempt, AttemptItem, PaperQuestion, PaperRule, PaperVariant

BLUEPRINT_DIR = Path(__file__).resolve().parent.parent.parent / "question_bank" / "blueprints"


# ---------------------------------------------------------------- what a paper may draw from

def usable_banks_stmt(exam):
    """System banks, and banks of the exam's unit or any unit above it."""
    return sa.select(Bank).where(sa.or_(Bank.unit_id.is_(None), Bank.unit_id.in_(exam.unit.ancestor_ids())))


def _candidates_stmt(exam, qtype, *, bank_id=None, category="", law_name="", difficulty=""):
    """Active questions a rule may draw: stand-alone ones of the type, or (CASE) any 案例分析 sub-question."""
    usable = usable_banks_stmt(exam).with_only_columns(Bank.id)
    stmt = sa.select(Question.id).where(Question.status == "active", Question.bank_id.in_(usable))
    stmt = stmt.where(Question.case_id != "") if qtype == CASE else stmt.where(Question.qtype == qtype,
                                                                               Question.case_id == "")
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


def rule_units(exam, rule) -> list[DrawUnit]:
    """What a rule draws from, as units: one question, or a whole case (every active sub-question of a case
    of which any sub-question meets the rule), each with its variant groups."""
    ids = _candidates_stmt(exam, rule.qtype, bank_id=rule.bank_id, category=rule.category, law_name=rule.law_name,
                           difficulty=rule.difficulty)
    columns = (Question.id, Question.bank_id, Question.case_id, Question.variant_group)
    if rule.qtype == CASE:
        cases = sa.select(Question.bank_id, Question.case_id).where(Question.id.in_(ids.scalar_subquery())).distinct()
        cases = cases.subquery()
        stmt = (sa.select(*columns).join(cases, sa.and_(cases.c.bank_id == Question.bank_id,
                                                       cases.c.case_id == Question.case_id))
                .where(Question.status == "active").order_by(Question.id))
    else:
        stmt = sa.select(*columns).where(Question.id.in_(ids.scalar_subquery())).order_by(Question.id)
    return group_units(db.session.execute(stmt).all())


# ---------------------------------------------------------------- checking a paper

def describe_rule(rule, number=None) -> str:
    """"第 2 条规则（单选题 25 道，分类“宪法”）"."""
    parts = [f"{RULE_KINDS.get(rule.qtype, rule.qtype)} {rule.count} {'组' if rule.qtype == CASE else '道'}"]
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
            units = rule_units(exam, rule)
            available = distinct_count(units)
            if available < rule.count:
                what, unit = ("组可用案例", "组") if rule.qtype == CASE else ("道可用题目", "道")
                problems.append(f"{label}的{describe_rule(rule, number)}只有 {available} {what}，"
                                f"还差 {rule.count - available} {unit}。请减少题量、放宽条件或补充题库"
                                f"（同一变式组的题只算一道）。")
            counts[rule.qtype] = counts.get(rule.qtype, 0) + rule.count
            pools.setdefault(rule.qtype, {}).update({unit.key: unit for unit in units})
        for qtype, needed in counts.items():
            available = distinct_count(list(pools[qtype].values()))
            if available < needed and not problems:
                problems.append(f"{label}的{RULE_KINDS[qtype]}规则互相重叠，合计需要 {needed} 道不同的题，"
                                f"符合条件的只有 {available} 道。")
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
            problems.append(f"{label}没有设置{RULE_KINDS.get(qtype, qtype)}的{'每组' if qtype == CASE else '每题'}分值。")
    total = variant_total(variant)
    if abs(total - exam.full_marks) > 1e-6:
        problems.append(f"{label}总分为 {grading.format_score(total)} 分，应等于满分 "
                        f"{grading.format_score(exam.full_marks)} 分。")
    return problems


def variant_total(variant) -> float:
    """Blueprint: count × points per rule (a 案例分析 rule's points are per case)."""
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


# ---------------------------------------------------------------- editing a paper

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
        if qtype not in RULE_KINDS:
            continue
        if value is None or value == "":
            continue
        if float(value) < 0 or float(value) > 100:
            problems.append((f"points_{qtype}", f"{RULE_KINDS[qtype]}分值应在 0 到 100 之间。"))
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
    if qtype not in RULE_KINDS:
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
    available = distinct_count(rule_units(exam, rule))
    if available < count:
        raise ServiceError([(None, f"{describe_rule(rule, len(variant.rules) + 1)}无法满足：符合条件的"
                                   f"{'案例只有' if qtype == CASE else '题目只有'} {available} "
                                   f"{'组' if qtype == CASE else '道'}（同一变式组只算一道）。请减少题量、放宽条件或补充题库。")])
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
    variant.points = {k: float(v) for k, v in template.get("points", {}).items() if k in RULE_KINDS}
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

# ---------------------------------------------------------------- one person's paper

def choose_variant(exam, user):
    """The paper for this person: one naming their category, then one naming their rank, else the default."""
    for variant in exam.variants:
        if user.category in (variant.match_categories or []):
            return variant
    for variant in exam.variants:
        if user.rank in (variant.match_ranks or []):
            return variant
    return next((v for v in exam.variants if v.is_default), exam.variants[0] if exam.variants else None)



def _seen_question_ids(exam, user):
    return set(db.session.scalars(
        sa.select(AttemptItem.question_id).join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.exam_id == exam.id, Attempt.user_id == user.id, AttemptItem.question_id.is_not(None))))


def _in_sections(questions, shuffle, rng):
    """Stand-alone questions by type in registry order, then the 案例分析 units; a case's sub-questions stay
    together in their file order, and with ``shuffle`` the questions and the cases (not their insides) move."""
    sections, cases = {}, {}
    for question in questions:
        if question.case_id:
            cases.setdefault((question.bank_id, question.case_id), []).append(question)
        else:
            sections.setdefault(question.qtype, []).append(question)
    units = list(cases.values())
    for members in units:
        members.sort(key=lambda q: q.id)
    for group in sections.values():
        if shuffle:
            rng.shuffle(group)
        else:
            group.sort(key=lambda q: q.id)
    if shuffle:
        rng.shuffle(units)
    else:
        units.sort(key=lambda members: members[0].id)
    return [q for qtype in REGISTRY for q in sections.get(qtype, [])] + [q for members in units for q in members]


def draw_questions(exam, variant, user, rng) -> list[Question]:
    """The questions of a new paper, in section order; unseen ones first when the exam asks for it.

    A case is drawn whole, and at most one question of a variant group is taken across all rules.
    """
    if variant.mode == "fixed":
        chosen = [item.question for item in variant.fixed]
        if exam.shuffle_questions:
            return _in_sections(chosen, True, rng)
        return chosen
    seen = _seen_question_ids(exam, user) if exam.unseen_first else set()
    pools = [(rule, rule_units(exam, rule)) for rule in variant.rules]
    taken_units, taken_groups, chosen = set(), set(), []
    # The most constrained rules draw first, so a narrow rule is not starved by a broad one.
    for rule, units in sorted(pools, key=lambda pair: len(pair[1])):
        pick = pick_units(units, rule.count, rng, seen=seen, taken_units=taken_units, taken_groups=taken_groups)
        if len(pick) < rule.count:
            raise ServiceError("题库中的题目已不足以组成试卷（可能有题目被停用），请联系考试组织者。")
        chosen += [i for unit in pick for i in unit.ids]
    questions = db.session.scalars(sa.select(Question).where(Question.id.in_(chosen))).all()
    return _in_sections(questions, exam.shuffle_questions, rng)


def build_items(exam, variant, questions, rng) -> list[AttemptItem]:
    """Freeze the paper: stem, displayed options and key (after shuffling), points, 解析."""
    points = variant.points or {}
    case_sizes = {}
    for question in questions:
        if question.case_id:
            case_sizes[question.draw_unit] = case_sizes.get(question.draw_unit, 0) + 1
    items = []
    for position, question in enumerate(questions, 1):
        # A case drawn by a 案例分析 rule is worth the rule's points, shared by its sub-questions.
        if question.case_id and variant.mode == "blueprint" and points.get(CASE):
            worth = float(points[CASE]) / case_sizes[question.draw_unit]
        else:
            worth = float(points.get(question.qtype) or 0)
        shuffle = exam.shuffle_options and question.type.shuffles_options
        options, option_map, key = grading.shuffle_options(list(question.options or []), question.answer, rng,
                                                           shuffle=shuffle)
        items.append(AttemptItem(position=position, question_id=question.id, qtype=question.qtype,
                                 stem=question.stem, case_text=question.case_text or "", options=options,
                                 option_map=option_map, key=key, points=worth, explanation=question.explanation or "",
                                 citation=question.citation[:300]))
    return items
