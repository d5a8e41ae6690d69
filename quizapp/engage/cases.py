"""以案释法: reading case files, loading the shipped ones, organisers' own cases, who sees what, practising a case.

Each case is also a study material of category 典型案例 (its whole text), so reading it earns honest study
time and an organiser makes it 必学 through the study module's requirements, as for any material.
Services flush, never commit.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..accounts.models import User
from ..accounts.scope import subtree_unit_ids, unit_visible
from ..audit.services import record
from ..bank.models import Bank, ImportRecord, Question
from ..bank.qtypes import REGISTRY
from ..bank.services import SHIPPED_BANK_NAMES
from ..common.clock import utcnow
from ..common.errors import ServiceError
from ..common.uploads import sha256_hex
from ..extensions import db
from ..study import materials as study_materials
from ..practice.models import PracticeSession
from ..exams.access import question_ids_hidden_from
from .daily import new_practice_session
from .models import Case

HEADER_KEYS = ("title", "category", "laws", "questions", "tags")
SECTIONS = {"案情": "facts", "问题": "issue", "分析": "analysis", "法律依据": "basis"}
CASE_CATEGORY = "典型案例"
CHARS_PER_MINUTE = 300
MAX_SECTION_CHARS = 20_000
_HEADING = re.compile(r"^##\s+(.+?)\s*$")
_REF = re.compile(r"^\s*([\w.-]+?)(?:\.csv)?\s*#\s*([\w-]+)\s*$")


class CaseFileError(ValueError):
    """A case file cannot be read; the message is Chinese."""


@dataclass
class CaseInput:
    """A case's fields as read from a file or typed in the form."""

    title: str
    facts: str
    issue: str
    analysis: str
    basis: str
    laws: str = ""
    tags: list[str] = field(default_factory=list)
    question_refs: str = ""
    question_ids: list[int] = field(default_factory=list)

    def markdown(self) -> str:
        """The whole case as one Markdown text (the study material's body)."""
        return "\n\n".join(f"## {heading}\n\n{getattr(self, name).strip()}" for heading, name in SECTIONS.items())


def parse_case_file(text: str) -> CaseInput:
    """A case file (header between ``---`` lines, then ## 案情 / ## 问题 / ## 分析 / ## 法律依据) as a CaseInput."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise CaseFileError("第 1 行：文件应以“---”开头的信息头开始。")
    header, end = {}, None
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            end = number
            break
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or key.strip() not in HEADER_KEYS:
            raise CaseFileError(f"第 {number} 行：无法识别的信息头“{line.strip()[:30]}”（可用：{'、'.join(HEADER_KEYS)}）。")
        header[key.strip()] = value.strip()
    if end is None:
        raise CaseFileError("信息头缺少结尾的“---”。")
    if not header.get("title"):
        raise CaseFileError("信息头缺少：title。")
    if header.get("category", CASE_CATEGORY) != CASE_CATEGORY:
        raise CaseFileError(f"category 应为“{CASE_CATEGORY}”。")
    sections, current = {}, None
    for number, line in enumerate(lines[end:], start=end + 1):
        match = _HEADING.match(line)
        if match:
            heading = match.group(1)
            if heading not in SECTIONS:
                raise CaseFileError(f"第 {number} 行：未知的小标题“{heading}”（应为：{'、'.join(SECTIONS)}）。")
            if heading in sections:
                raise CaseFileError(f"第 {number} 行：小标题“{heading}”重复。")
            current = heading
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
        elif line.strip():
            raise CaseFileError(f"第 {number} 行：正文应从“## 案情”开始。")
    values = {SECTIONS[heading]: "\n".join(body).strip() for heading, body in sections.items()}
    case = CaseInput(title=header["title"], laws=header.get("laws", ""),
                     tags=[t.strip() for t in header.get("tags", "").replace("；", ";").split(";") if t.strip()],
                     question_refs=header.get("questions", ""), **{name: values.get(name, "")
                                                                     for name in SECTIONS.values()})
    problems = case_problems(case)
    if problems:
        raise CaseFileError("；".join(message for _, message in problems))
    return case


def case_problems(case: CaseInput) -> list[tuple[str, str]]:
    """Every problem of a case at once, as (field, message)."""
    problems = []
    if not case.title.strip():
        problems.append(("title", "请填写标题。"))
    elif len(case.title.strip()) > 200:
        problems.append(("title", "标题不超过 200 个字符。"))
    for heading, name in SECTIONS.items():
        text = getattr(case, name).strip()
        if not text:
            problems.append((name, f"请填写“{heading}”。"))
        elif len(text) > MAX_SECTION_CHARS:
            problems.append((name, f"“{heading}”不超过 {MAX_SECTION_CHARS} 个字符。"))
    if case.basis.strip() and "](law:" not in case.basis:
        problems.append(("basis", "法律依据应至少链接一条法条，如 [第十六条](law:中华人民共和国草原法@2021-04-29#第十六条)。"))
    return problems


def minutes_for(case: CaseInput) -> int:
    """Reading time by the app's reading rate: characters / 300, rounded up, at least one minute."""
    return max(1, math.ceil(len(case.markdown()) / CHARS_PER_MINUTE))


# ---------------------------------------------------------------- the questions that test a case

def resolve_questions(refs: str) -> list[int]:
    """Active question ids of the 案例分析 groups named in ``refs`` ("caoyuan.csv#CY-02; …"), in order.

    A group is found in the system bank that file was imported into (its import record, else the shipped
    banks' name for the file) by its 案例编号: the questions' ``case_id``, or (for banks imported before 案例编号 existed) a tag
    equal to the code.
    """
    ids = []
    for ref in (refs or "").replace("；", ";").split(";"):
        match = _REF.match(ref)
        if not match:
            continue
        stem, code = match.groups()
        banks = sa.union(
            sa.select(ImportRecord.bank_id).where(ImportRecord.filename == f"{stem}.csv"),
            sa.select(Bank.id).where(Bank.name == SHIPPED_BANK_NAMES.get(stem, stem)))
        stmt = (sa.select(Question.id, Question.tags).join(Bank, Bank.id == Question.bank_id)
                .where(Bank.unit_id.is_(None), Bank.id.in_(banks), Question.status == "active")
                .order_by(Question.id))
        found = list(db.session.scalars(stmt.where(Question.case_id == code).with_only_columns(Question.id)))
        ids += found or [qid for qid, tags in db.session.execute(stmt) if code in (tags or [])]
    return list(dict.fromkeys(ids))


# ---------------------------------------------------------------- writing cases

def _material_input(case: CaseInput, unit_id) -> study_materials.MaterialInput:
    return study_materials.MaterialInput(title=case.title.strip(), category=CASE_CATEGORY, body=case.markdown(),
                                         minutes=minutes_for(case), sources=case.laws.strip(), unit_id=unit_id)


def _apply(row: Case, case: CaseInput):
    row.title = case.title.strip()
    row.laws = case.laws.strip()
    row.tags = list(case.tags)
    row.facts, row.issue = case.facts.strip(), case.issue.strip()
    row.analysis, row.basis = case.analysis.strip(), case.basis.strip()
    row.question_refs = case.question_refs.strip()[:500]
    row.question_ids = list(case.question_ids)


@dataclass
class LoadSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def load_case_files(directory: Path) -> LoadSummary:
    """Load or update the shipped cases in ``directory`` as system cases, each with its 典型案例 material.

    Keyed by file name, so loading twice changes nothing; a changed file updates its case and material in
    place (study progress and requirements stay). A missing folder loads nothing.
    """
    summary = LoadSummary()
    files = sorted(Path(directory).glob("*.md")) if Path(directory).is_dir() else []
    for path in files:
        data = path.read_bytes()
        key = f"cases/{path.name}"
        row = db.session.scalar(sa.select(Case).where(Case.source_file == key))
        material = row.material if row is not None else None
        if material is not None and material.source_sha256 == sha256_hex(data) and row.question_ids:
            summary.unchanged.append(path.name)
            continue
        try:
            case = parse_case_file(data.decode("utf-8"))
        except UnicodeDecodeError:
            summary.errors.append((path.name, "文件不是 UTF-8 编码。"))
            continue
        except CaseFileError as error:
            summary.errors.append((path.name, str(error)))
            continue
        case.question_ids = resolve_questions(case.question_refs)
        values = _material_input(case, None)
        if material is None:
            material = study_materials.create_material(None, values, max_pdf_bytes=0)
            material.source_file = key
            study_materials.set_published(None, material, True)
        else:
            values.audience_unit_ids = [unit.id for unit in material.audience_units]
            values.audience_categories = material.audience_categories
            study_materials.update_material(None, material, values, max_pdf_bytes=0)
        material.source_sha256 = sha256_hex(data)
        if row is None:
            row = Case(source_file=key, unit_id=None, material_id=material.id)
            db.session.add(row)
            summary.created.append(path.name)
        else:
            summary.updated.append(path.name)
        _apply(row, case)
    db.session.flush()
    return summary


def default_cases_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "question_bank" / "cases"


def parse_question_ids(text: str) -> tuple[list[int], list[tuple[str, str]]]:
    """Question ids typed by an organiser ("12, 15 18"), and a problem for anything that is not one."""
    ids, bad = [], []
    for token in re.split(r"[\s,，、;；]+", text or ""):
        if not token:
            continue
        if token.isdigit():
            ids.append(int(token))
        else:
            bad.append(token)
    problems = [("question_ids", f"题目编号应为数字：{'、'.join(bad[:5])}。")] if bad else []
    return list(dict.fromkeys(ids)), problems


def _question_problems(actor: User, ids: list[int]) -> list[tuple[str, str]]:
    if not ids:
        return []
    usable = set(db.session.scalars(
        sa.select(Question.id).join(Bank, Bank.id == Question.bank_id)
        .where(Question.id.in_(ids), sa.or_(Bank.unit_id.is_(None), Bank.unit_id.in_(actor.unit.ancestor_ids())
                                              if actor.role != "admin" else sa.true()))))
    missing = [str(i) for i in ids if i not in usable]
    return [("question_ids", f"找不到可用的题目：{'、'.join(missing[:5])}。")] if missing else []


def create_case(actor: User, case: CaseInput, problems=()) -> Case:
    """An organiser's own case for their unit (an admin's is a system case), published with its material.

    ``problems`` found while reading the form are reported together with the service's own.
    """
    problems = list(problems) + case_problems(case) + _question_problems(actor, case.question_ids)
    if problems:
        raise ServiceError(problems)
    unit_id = None if actor.role == "admin" else actor.unit_id
    material = study_materials.create_material(actor, _material_input(case, unit_id), max_pdf_bytes=0)
    study_materials.set_published(actor, material, True)
    row = Case(unit_id=unit_id, material_id=material.id, created_by_id=actor.id, created_at=utcnow())
    _apply(row, case)
    db.session.add(row)
    db.session.flush()
    record(actor, "case.create", "case", row.id, row.title)
    return row


def update_case(actor: User, row: Case, case: CaseInput, problems=()):
    if not can_manage(actor, row):
        raise ServiceError("您无权修改该案例。")
    problems = list(problems) + case_problems(case) + _question_problems(actor, case.question_ids)
    if problems:
        raise ServiceError(problems)
    _apply(row, case)
    if row.material is not None:
        values = _material_input(case, row.unit_id)
        values.audience_unit_ids = [unit.id for unit in row.material.audience_units]
        values.audience_categories = row.material.audience_categories
        study_materials.update_material(actor, row.material, values, max_pdf_bytes=0)
    db.session.flush()
    record(actor, "case.update", "case", row.id, row.title)


# ---------------------------------------------------------------- who sees what

def visible_cases(user: User) -> sa.Select:
    """Cases a person may read: system cases and those of their unit or any unit above it."""
    stmt = sa.select(Case)
    if user.role == "admin":
        return stmt
    return stmt.where(sa.or_(Case.unit_id.is_(None), Case.unit_id.in_(user.unit.ancestor_ids()),
                             Case.unit_id.in_(subtree_unit_ids(user.unit.path))
                             if user.role == "organiser" else sa.false()))


def get_case(user: User, case_id: int) -> Case | None:
    return db.session.scalar(visible_cases(user).where(Case.id == case_id))


def can_manage(user: User, row: Case) -> bool:
    """Admins any case; organisers the cases of units in their subtree (shipped cases are the system's)."""
    if user.role == "admin":
        return True
    return user.role == "organiser" and row.unit is not None and unit_visible(user, row.unit)


def case_questions(row: Case) -> list[Question]:
    """The case's active, gradable questions in their order."""
    if not row.question_ids:
        return []
    found = {q.id: q for q in db.session.scalars(sa.select(Question).where(
        Question.id.in_(row.question_ids), Question.status == "active", Question.qtype.in_(list(REGISTRY))))}
    return [found[i] for i in row.question_ids if i in found]


def search(stmt: sa.Select, q: str = "") -> sa.Select:
    """``stmt`` narrowed to cases whose title, laws or facts contain ``q``; system cases first, by title."""
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(sa.or_(Case.title.like(like), Case.laws.like(like), Case.facts.like(like)))
    return stmt.order_by(Case.unit_id.is_not(None), Case.title, Case.id)


def start_practice(user: User, row: Case, now) -> PracticeSession:
    """A practice session over the case's 案例分析 questions (those an exam does not hide from the person)."""
    hidden = set(db.session.scalars(question_ids_hidden_from(user.id, now)))
    ids = [q.id for q in case_questions(row) if q.id not in hidden]
    if not ids:
        raise ServiceError("本案例暂无可以练习的题目。")
    return new_practice_session(user, ids, f"以案释法：{row.title}"[:300], {"case": row.id}, now)
