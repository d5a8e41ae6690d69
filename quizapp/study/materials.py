"""Study materials (学习园地): who sees them, who manages them, required reading, shipped files."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..accounts.models import CATEGORIES as PERSON_CATEGORIES
from ..accounts.models import Unit, User
from ..accounts.scope import subtree_unit_ids, unit_visible
from ..audit.services import diff, record
from ..common.auth import LEARNERS
from ..common.clock import UTC, local_midnight_utc, utcnow
from ..common.errors import ServiceError
from ..common.text import is_single_line, single_line_message
from ..common.uploads import clean_filename, sha256_hex
from ..extensions import db
from .models import (CATEGORIES, MATERIAL_KINDS, Material, MaterialCategory, MaterialFile, MaterialRequirement,
                     StudyProgress, material_units)

MAX_BODY_CHARS = 200_000
MAX_MINUTES = 600
SECTOR_MAX = 30
PDF_MAGIC = b"%PDF-"
# Actions a study PDF never needs; refused when visible in the file's uncompressed structure.
PDF_ACTIONS = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia)\b")


# ---------------------------------------------------------------- who sees what

def visible_materials(user) -> sa.Select:
    """Published materials whose audience includes ``user``: one query, no per-material checks.

    The owner's subtree (everyone for a system material), narrowed to the
    audience units' subtrees and the audience 人员类别 when those are set.
    """
    ancestors = user.unit.ancestor_ids()
    return sa.select(Material).where(
        Material.published.is_(True),
        sa.or_(Material.unit_id.is_(None), Material.unit_id.in_(ancestors)),
        sa.or_(~sa.exists().where(material_units.c.material_id == Material.id),
               sa.exists().where(material_units.c.material_id == Material.id,
                                 material_units.c.unit_id.in_(ancestors))),
        sa.or_(~sa.exists().where(MaterialCategory.material_id == Material.id),
               sa.exists().where(MaterialCategory.material_id == Material.id,
                                 MaterialCategory.category == user.category)),
    )


def material_visible(user, material: Material) -> bool:
    return bool(db.session.scalar(sa.select(visible_materials(user).where(Material.id == material.id).exists())))


def managed_materials(viewer) -> sa.Select:
    """Materials the viewer may edit: an admin all; an organiser those owned by units in their subtree."""
    stmt = sa.select(Material)
    if viewer.role == "admin":
        return stmt
    if viewer.role != "organiser":
        return stmt.where(sa.false())
    return stmt.where(Material.unit_id.in_(subtree_unit_ids(viewer.unit.path)))


def can_manage(viewer, material: Material) -> bool:
    """Admins any material, organisers those of their subtree; ``None`` is the system (CLI, demo)."""
    if viewer is None or viewer.role == "admin":
        return True
    return viewer.role == "organiser" and material.unit is not None and unit_visible(viewer, material.unit)


def can_preview(viewer, material: Material) -> bool:
    """Managers may open any material they could require (their own, above them, or system ones)."""
    if can_manage(viewer, material):
        return True
    return viewer.role == "organiser" and (material.unit_id is None or material.unit_id in viewer.unit.ancestor_ids())


# ---------------------------------------------------------------- required reading: the one definition
#
# Every page that shows required materials (首页 待办, 学习园地, 我的学习, 学习档案, 述法, 未完成名单, the
# dashboard's roll-up) reads required_rows, so a person's progress is the same number everywhere.

@dataclass
class Requirements:
    """The requirement rows that count (loaded once: requirements, not people)."""

    year: int
    due_end: dict = field(default_factory=dict)  # requirement id -> aware UTC end of its due day

    @property
    def ids(self):
        return list(self.due_end)


def due_month(due, year: int) -> int:
    """The month a requirement of ``year`` counts in: its due date's month (clamped into the year)."""
    if due.year < year:
        return 1
    if due.year > year:
        return 12
    return due.month


def year_requirements(year: int, months: tuple[int, int] = (1, 12)) -> Requirements:
    """Requirements of published materials for ``year`` whose due month is within ``months`` (first, last)."""
    rows = db.session.execute(
        sa.select(MaterialRequirement.id, MaterialRequirement.due_date)
        .join(Material, Material.id == MaterialRequirement.material_id)
        .where(MaterialRequirement.year == year, Material.published.is_(True))).all()
    first, last = months
    return Requirements(year, {r.id: local_midnight_utc(r.due_date + timedelta(days=1)) for r in rows
                               if first <= due_month(r.due_date, year) <= last})


def _utc_literal(moment):
    """An aware datetime as a naive-UTC SQL literal, comparable with stored UTCDateTime columns."""
    return sa.literal(moment.astimezone(UTC).replace(tzinfo=None), sa.DateTime())


def required_rows(path: str | None, requirements: Requirements, *, people=None) -> sa.Select:
    """One row per (person, required material): material_id, user_id, due_date, done (0/1), seconds spent.

    A required material applies to a person when the requirement is for
    everyone or for a unit above them, the material is published and its
    audience (owner's subtree, audience units, 人员类别) includes them, and they
    joined before the end of its due date and were not deactivated before it.
    With several requirements for one material, the earliest due date counts.
    Done means completed by the study-time rules (read to the end, minimum time).
    """
    member = aliased(Unit)
    req_unit = aliased(Unit)
    owner = aliased(Unit)
    audience = aliased(Unit)
    # No requirements: no rows (an empty CASE is not SQL).
    due_end = sa.case({rid: _utc_literal(end) for rid, end in requirements.due_end.items()},
                      value=MaterialRequirement.id) if requirements.due_end else sa.cast(sa.null(), sa.DateTime())
    has_audience_units = sa.exists().where(material_units.c.material_id == Material.id)
    in_audience_units = (sa.exists().select_from(material_units.join(audience, audience.id == material_units.c.unit_id))
                         .where(material_units.c.material_id == Material.id, member.path.startswith(audience.path)))
    per_unit = (sa.select(MaterialRequirement.material_id.label("material_id"), member.id.label("unit_id"),
                          sa.func.min(due_end).label("due_end"),
                          sa.func.min(MaterialRequirement.due_date).label("due_date"))
                .select_from(MaterialRequirement)
                .join(Material, Material.id == MaterialRequirement.material_id)
                .join(member, member.path.startswith(path) if path else sa.true())
                .outerjoin(req_unit, req_unit.id == MaterialRequirement.unit_id)
                .outerjoin(owner, owner.id == Material.unit_id)
                .where(MaterialRequirement.id.in_(requirements.ids),
                       member.id.in_(sa.select(User.unit_id).where(people)) if people is not None else sa.true(),
                       sa.or_(MaterialRequirement.unit_id.is_(None), member.path.startswith(req_unit.path)),
                       sa.or_(Material.unit_id.is_(None), member.path.startswith(owner.path)),
                       sa.or_(~has_audience_units, in_audience_units))
                .group_by(MaterialRequirement.material_id, member.id)
                .subquery("material_units_due"))
    has_categories = sa.exists().where(MaterialCategory.material_id == per_unit.c.material_id)
    category_matches = sa.exists().where(MaterialCategory.material_id == per_unit.c.material_id,
                                         MaterialCategory.category == User.category)
    stmt = (sa.select(per_unit.c.material_id, User.id.label("user_id"), per_unit.c.due_date,
                      sa.case((StudyProgress.completed_at.is_not(None), 1), else_=0).label("done"),
                      sa.func.coalesce(StudyProgress.seconds, 0).label("seconds"))
            .select_from(per_unit)
            .join(User, User.unit_id == per_unit.c.unit_id)
            .outerjoin(StudyProgress, sa.and_(StudyProgress.user_id == User.id,
                                              StudyProgress.material_id == per_unit.c.material_id,
                                              StudyProgress.year == requirements.year))
            .where(User.role.in_(LEARNERS), User.created_at < per_unit.c.due_end,
                   sa.or_(User.active.is_(True), User.deactivated_at >= per_unit.c.due_end),
                   sa.or_(~has_categories, category_matches)))
    if people is not None:
        stmt = stmt.where(people)
    return stmt


def required_of(user, year: int):
    """A subquery (material_id, due_date, done, seconds) of the materials required of ``user`` in ``year``."""
    return required_rows(None, year_requirements(year), people=User.id == user.id).subquery("required_of")


# ---------------------------------------------------------------- checking input

def category_problems(category: str) -> list[tuple[str, str]]:
    top, _, sector = (category or "").partition("/")
    if top not in CATEGORIES:
        return [("category", f"分类应为：{'、'.join(CATEGORIES)}（法律法规可加领域，如“法律法规/土地与农村”）。")]
    if sector and top != "法律法规":
        return [("category", "只有“法律法规”类可以填写领域。")]
    if len(sector) > SECTOR_MAX or "/" in sector:
        return [("category", f"领域名称不超过 {SECTOR_MAX} 个字符，且不能含“/”。")]
    return []


def pdf_problems(data: bytes, max_bytes: int) -> list[str]:
    """Why these bytes are not an acceptable PDF (empty list: acceptable). Decided by content, not name."""
    if not data:
        return ["文件是空的。"]
    if len(data) > max_bytes:
        return [f"PDF 文件过大（超过 {max_bytes // (1024 * 1024)} MB），请压缩后再上传。"]
    if not data.startswith(PDF_MAGIC):
        return ["文件不是 PDF 文档（请上传 .pdf 文件，不要只改扩展名）。"]
    if b"%%EOF" not in data[-2048:]:
        return ["PDF 文件不完整或已损坏（缺少文件结束标记），请重新导出后上传。"]
    if PDF_ACTIONS.search(data):
        return ["PDF 含有脚本、启动程序或嵌入文件等内容，出于安全考虑不予接收。请另存为普通 PDF 后上传。"]
    return []


@dataclass
class MaterialInput:
    """A material's fields as typed in the form or read from a shipped file."""

    title: str
    category: str
    kind: str = "markdown"
    body: str = ""
    minutes: int = 10
    sources: str = ""
    unit_id: int | None = None
    audience_unit_ids: list[int] = field(default_factory=list)
    audience_categories: list[str] = field(default_factory=list)
    pdf_name: str = ""
    pdf_data: bytes | None = None


def _problems(actor, values: MaterialInput, existing: Material | None, max_pdf_bytes: int):
    problems = []
    title = (values.title or "").strip()
    if not title:
        problems.append(("title", "请填写标题。"))
    elif len(title) > 200:
        problems.append(("title", "标题不超过 200 个字符。"))
    elif not is_single_line(title):
        problems.append(("title", single_line_message("标题")))
    problems += category_problems(values.category)
    if values.kind not in MATERIAL_KINDS:
        problems.append(("kind", "未知的资料形式。"))
    if not isinstance(values.minutes, int) or not 1 <= values.minutes <= MAX_MINUTES:
        problems.append(("minutes", f"预计学习时长应为 1 至 {MAX_MINUTES} 分钟。"))
    if values.kind == "markdown":
        if not (values.body or "").strip():
            problems.append(("body", "请填写正文。"))
        elif len(values.body) > MAX_BODY_CHARS:
            problems.append(("body", f"正文不超过 {MAX_BODY_CHARS} 个字符。"))
    if values.kind == "pdf":
        if values.pdf_data is not None:
            problems += [("pdf", message) for message in pdf_problems(values.pdf_data, max_pdf_bytes)]
        elif existing is None or existing.file is None:
            problems.append(("pdf", "请上传 PDF 文件。"))
    owner = None
    if values.unit_id is None:
        if actor is not None and actor.role != "admin":
            problems.append(("unit_id", "请选择资料所属单位。"))
    else:
        owner = db.session.get(Unit, values.unit_id)
        if owner is None or (actor is not None and not unit_visible(actor, owner)):
            problems.append(("unit_id", "所属单位不在您的管理范围内。"))
            owner = None
    if values.audience_unit_ids:
        units = db.session.scalars(sa.select(Unit).where(Unit.id.in_(values.audience_unit_ids))).all()
        if len(units) != len(set(values.audience_unit_ids)):
            problems.append(("audience_units", "所选单位不存在。"))
        elif owner is not None and any(not unit.is_within(owner) for unit in units):
            problems.append(("audience_units", "面向单位须在资料所属单位的范围内。"))
        elif actor is not None and any(not unit_visible(actor, unit) for unit in units):
            problems.append(("audience_units", "面向单位不在您的管理范围内。"))
    unknown = set(values.audience_categories) - set(PERSON_CATEGORIES)
    if unknown:
        problems.append(("audience_categories", "未知的人员类别。"))
    return problems, title


def _apply(actor, material: Material, values: MaterialInput, title: str):
    material.title = title
    material.category = values.category.strip()
    material.kind = values.kind
    material.minutes = values.minutes
    material.sources = (values.sources or "").strip()
    material.unit_id = values.unit_id
    material.body = values.body if values.kind == "markdown" else ""
    material.audience_units = list(db.session.scalars(sa.select(Unit).where(Unit.id.in_(values.audience_unit_ids))))
    wanted = set(values.audience_categories)
    material.audience_category_rows = [row for row in material.audience_category_rows if row.category in wanted] + [
        MaterialCategory(category=c) for c in sorted(wanted - set(material.audience_categories))]
    if values.kind == "pdf" and values.pdf_data is not None:
        if material.file is None:
            material.file = MaterialFile(filename="", sha256="", size=0)
        material.file.filename = clean_filename(values.pdf_name or "资料.pdf")
        material.file.data = values.pdf_data
        material.file.sha256 = sha256_hex(values.pdf_data)
        material.file.size = len(values.pdf_data)
        material.file.uploaded_at = utcnow()
    elif values.kind == "markdown" and material.file is not None:
        db.session.delete(material.file)


# ---------------------------------------------------------------- use cases

def create_material(actor, values: MaterialInput, *, max_pdf_bytes: int) -> Material:
    problems, title = _problems(actor, values, None, max_pdf_bytes)
    if problems:
        raise ServiceError(problems)
    material = Material(created_by_id=getattr(actor, "id", None), published=False)
    db.session.add(material)
    _apply(actor, material, values, title)
    db.session.flush()
    record(actor, "material.create", "material", material.id, material.title)
    return material


def update_material(actor, material: Material, values: MaterialInput, *, max_pdf_bytes: int):
    if actor is not None and not can_manage(actor, material):
        raise ServiceError("您无权修改该资料。")
    problems, title = _problems(actor, values, material, max_pdf_bytes)
    if problems:
        raise ServiceError(problems)
    before = {"标题": material.title, "分类": material.category, "时长": material.minutes, "形式": material.kind}
    _apply(actor, material, values, title)
    after = {"标题": material.title, "分类": material.category, "时长": material.minutes, "形式": material.kind}
    record(actor, "material.update", "material", material.id, material.title, changes=diff(before, after) or None)
    db.session.flush()


def set_published(actor, material: Material, published: bool):
    if not can_manage(actor, material):
        raise ServiceError("您无权发布或撤回该资料。")
    if published and material.kind == "pdf" and material.file is None:
        raise ServiceError("PDF 资料尚未上传文件，不能发布。")
    material.published = published
    if published and material.published_at is None:
        material.published_at = utcnow()
    record(actor, "material.publish" if published else "material.unpublish", "material", material.id,
           material.title)
    db.session.flush()


def delete_material(actor, material: Material):
    """Delete a material nobody has studied yet; one with study records can only be withdrawn."""
    if not can_manage(actor, material):
        raise ServiceError("您无权删除该资料。")
    studied = db.session.scalar(sa.select(sa.func.count()).select_from(StudyProgress)
                                .where(StudyProgress.material_id == material.id))
    if studied:
        raise ServiceError(f"已有 {studied} 条学习记录，不能删除（学习记录须保留）。如不再使用，请“撤回发布”。")
    record(actor, "material.delete", "material", material.id, material.title)
    db.session.delete(material)
    db.session.flush()


# ---------------------------------------------------------------- required reading

def can_require(actor, material: Material, unit: Unit | None) -> bool:
    """An admin may require anything of anyone; an organiser, a material their units can see, in their subtree."""
    if actor.role == "admin":
        return True
    if actor.role != "organiser" or unit is None or not unit_visible(actor, unit):
        return False
    return material.unit_id is None or material.unit_id in unit.ancestor_ids()


def add_requirement(actor, material: Material, year: int, unit: Unit | None, due_date: date) -> MaterialRequirement:
    problems = []
    if not can_require(actor, material, unit):
        problems.append(("unit_id", "您不能为该单位设置这份资料的必学要求。"))
    if not 2000 <= year <= 2100:
        problems.append(("year", "年度不正确。"))
    elif due_date is None or due_date.year != year:
        problems.append(("due_date", f"截止日期须在 {year} 年内。"))
    if not material.published:
        problems.append((None, "资料尚未发布，发布后才能设为必学。"))
    if problems:
        raise ServiceError(problems)
    stmt = sa.select(MaterialRequirement).where(
        MaterialRequirement.material_id == material.id, MaterialRequirement.year == year,
        MaterialRequirement.unit_id.is_(None) if unit is None else MaterialRequirement.unit_id == unit.id)
    requirement = db.session.scalar(stmt)
    if requirement is None:
        requirement = MaterialRequirement(material_id=material.id, year=year, unit_id=unit.id if unit else None,
                                          due_date=due_date, created_by_id=actor.id)
        db.session.add(requirement)
    else:
        requirement.due_date = due_date
    label = unit.name if unit else "全部人员"
    record(actor, "material.require", "material", material.id, material.title,
           summary=f"{year}年度必学（{label}），截止 {due_date.isoformat()}")
    db.session.flush()
    return requirement


def can_remove_requirement(actor, requirement: MaterialRequirement) -> bool:
    """Admins any requirement; organisers those set for a unit in their subtree."""
    return actor.role == "admin" or (actor.role == "organiser" and requirement.unit is not None
                                     and unit_visible(actor, requirement.unit))


def remove_requirement(actor, requirement: MaterialRequirement):
    if not can_remove_requirement(actor, requirement):
        raise ServiceError("您无权取消该必学要求。")
    record(actor, "material.unrequire", "material", requirement.material_id, requirement.material.title,
           summary=f"取消{requirement.year}年度必学（{requirement.unit.name if requirement.unit else '全部人员'}）")
    db.session.delete(requirement)
    db.session.flush()


def requirements_in_scope(viewer, material: Material):
    """The requirements of a material the viewer can see: all for an admin, their subtree's for others."""
    stmt = sa.select(MaterialRequirement).where(MaterialRequirement.material_id == material.id)
    if viewer.role != "admin":
        stmt = stmt.where(sa.or_(MaterialRequirement.unit_id.is_(None),
                                 MaterialRequirement.unit_id.in_(subtree_unit_ids(viewer.unit.path)),
                                 MaterialRequirement.unit_id.in_(viewer.unit.ancestor_ids())))
    return db.session.scalars(stmt.order_by(MaterialRequirement.year.desc(), MaterialRequirement.id)).all()


# ---------------------------------------------------------------- shipped materials

HEADER_KEYS = {"title", "category", "sources", "minutes"}


class MaterialFileError(ValueError):
    """A shipped material file cannot be read; the message is Chinese."""


def parse_material_file(text: str) -> tuple[dict, str]:
    """Split a shipped material into its header (title, category, sources, minutes) and Markdown body."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise MaterialFileError("第 1 行：文件应以“---”开头的信息头开始。")
    header, end = {}, None
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            end = number
            break
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            key, sep, value = line.partition("：")
        if not sep or key.strip() not in HEADER_KEYS:
            raise MaterialFileError(f"第 {number} 行：无法识别的信息头“{line.strip()[:30]}”"
                                    f"（可用：title、category、sources、minutes）。")
        header[key.strip()] = value.strip()
    if end is None:
        raise MaterialFileError("信息头缺少结尾的“---”。")
    missing = [key for key in ("title", "category", "minutes") if not header.get(key)]
    if missing:
        raise MaterialFileError(f"信息头缺少：{'、'.join(missing)}。")
    try:
        header["minutes"] = int(header["minutes"])
    except ValueError:
        raise MaterialFileError(f"minutes 应为整数分钟，而不是“{header['minutes']}”。") from None
    body = "\n".join(lines[end:]).strip()
    if not body:
        raise MaterialFileError("正文是空的。")
    return header, body


@dataclass
class LoadSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def load_material_files(directory: Path) -> LoadSummary:
    """Load or update the shipped materials in ``directory`` as published system materials.

    Keyed by file name, so loading twice changes nothing; a file that
    changed updates its material in place (progress and requirements stay).
    """
    summary = LoadSummary()
    files = sorted(Path(directory).glob("*.md"))
    existing = {m.source_file: m for m in db.session.scalars(
        sa.select(Material).where(Material.source_file.in_([p.name for p in files])))} if files else {}
    for path in files:
        data = path.read_bytes()
        digest = sha256_hex(data)
        material = existing.get(path.name)
        if material is not None and material.source_sha256 == digest:
            summary.unchanged.append(path.name)
            continue
        try:
            header, body = parse_material_file(data.decode("utf-8"))
        except UnicodeDecodeError:
            summary.errors.append((path.name, "文件不是 UTF-8 编码。"))
            continue
        except MaterialFileError as error:
            summary.errors.append((path.name, str(error)))
            continue
        values = MaterialInput(title=header["title"], category=header["category"], body=body,
                               minutes=header["minutes"], sources=header.get("sources", ""))
        if material is not None:  # an admin's choice of audience outlives a new edition of the file
            values.audience_unit_ids = [unit.id for unit in material.audience_units]
            values.audience_categories = material.audience_categories
        problems, title = _problems(None, values, material, 0)
        if problems:
            summary.errors.append((path.name, "；".join(message for _, message in problems)))
            continue
        if material is None:
            material = Material(source_file=path.name, published=True, published_at=utcnow())
            db.session.add(material)
            summary.created.append(path.name)
        else:
            summary.updated.append(path.name)
        _apply(None, material, values, title)
        material.source_sha256 = digest
    db.session.flush()
    return summary


def default_materials_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "question_bank" / "materials"
