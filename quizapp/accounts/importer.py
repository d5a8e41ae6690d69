"""Bulk import of accounts: read-and-validate writes nothing; apply writes all rows or none."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from ..audit.services import record
from ..common.auth import ROLES
from ..common.errors import ServiceError
from ..common.spreadsheets import (RowProblem, SpreadsheetError, find_tables, normalise_header, read_workbook,
                                  write_xlsx)
from ..extensions import db
from .models import CATEGORIES, RANKS, Unit, User
from .scope import unit_visible
from .services import LOGIN_RE, create_unit, create_user, find_unit_by_full_name, issue_temporary

COLUMNS = ["姓名", "登录名", "单位", "职务", "职级", "人员类别", "是否述法对象", "角色", "联系电话"]
REQUIRED = {"name", "login", "unit"}
_SYNONYMS = {
    "name": ["姓名", "名字"],
    "login": ["登录名", "工号", "账号", "用户名", "手机号", "手机号码"],
    "unit": ["单位", "所在单位", "单位路径", "部门"],
    "title": ["职务"],
    "rank": ["职级"],
    "category": ["人员类别", "类别", "人员类型"],
    "shufa": ["是否述法对象", "述法对象", "述法"],
    "role": ["角色", "权限"],
    "phone": ["联系电话", "电话", "联系方式"],
}
SYNONYMS = {normalise_header(text): key for key, texts in _SYNONYMS.items() for text in texts}
COLUMN_LABELS = {key: texts[0] for key, texts in _SYNONYMS.items()}

RANK_BY_LABEL = {label: code for code, label in RANKS.items()} | {"副科": "fuke", "科员": "fuke", "": "none"}
CATEGORY_BY_LABEL = {label: code for code, label in CATEGORIES.items()} | {
    "村两委干部": "village", '村"两委"干部': "village", "村两委": "village", "": "general"}
ROLE_BY_LABEL = {label: code for code, label in ROLES.items()} | {code: code for code in ROLES} | {
    "": "cadre", "领导干部": "leader", "组织员": "organiser", "管理员": "admin", "系统管理员": "admin"}
YES = {"是", "y", "yes", "1", "true", "√", "✓"}
NO = {"否", "n", "no", "0", "false", "", "×"}


@dataclass
class ImportPlan:
    """What an import would do: rows to create, units to create, and every problem."""

    rows: list[dict] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    missing_units: list[str] = field(default_factory=list)
    total: int = 0

    @property
    def ok(self):
        return not self.problems


def _norm(text):
    return (text or "").strip().replace("“", '"').replace("”", '"').replace(" ", "")


def plan_import(actor, data: bytes, *, create_units=False, max_bytes=None) -> ImportPlan:
    """Read and validate a file of accounts; writes nothing."""
    sheets = read_workbook(data, max_bytes=max_bytes)
    tables, limit_problems = find_tables(sheets, SYNONYMS, REQUIRED)
    if not tables:
        raise SpreadsheetError("没有找到表头：需要至少包含“姓名”“登录名”“单位”三列。")
    plan = ImportPlan()
    plan.problems += [replace(p, column=COLUMN_LABELS.get(p.column, p.column)) for p in limit_problems]
    records = [(t.sheet, row, rec) for t in tables for row, rec in t.records]
    plan.total = len(records)
    if not records:
        raise SpreadsheetError("文件只有表头，没有数据行。")

    logins = [rec.get("login", "").strip() for _, _, rec in records]
    existing = set(db.session.scalars(sa.select(User.login).where(User.login.in_([x for x in logins if x])))) \
        if any(logins) else set()
    unit_cache: dict[str, Unit | None] = {}
    seen: dict[str, tuple[str, int]] = {}
    missing = []

    for sheet, row, rec in records:
        def bad(column, message):
            plan.problems.append(RowProblem(sheet, row, COLUMN_LABELS[column], message))

        name, login, unit_path = rec.get("name", "").strip(), rec.get("login", "").strip(), rec.get("unit", "").strip()
        before = len(plan.problems)
        if not name:
            bad("name", "缺少姓名")
        elif len(name) > 50:
            bad("name", "姓名超过 50 个字符")
        if not login:
            bad("login", "缺少登录名")
        elif not LOGIN_RE.match(login):
            bad("login", f"登录名“{login}”格式不正确（只能使用字母、数字和 _ . @ -）")
        elif login in seen:
            bad("login", f"登录名“{login}”与工作表“{seen[login][0]}”第 {seen[login][1]} 行重复")
        elif login in existing:
            bad("login", f"登录名“{login}”在系统中已存在")
        if login:
            seen.setdefault(login, (sheet, row))
        rank = RANK_BY_LABEL.get(_norm(rec.get("rank")))
        if rank is None:
            bad("rank", f"未知的职级“{rec.get('rank')}”（可填：{'、'.join(RANKS.values())}）")
        category = CATEGORY_BY_LABEL.get(_norm(rec.get("category")))
        if category is None:
            bad("category", f"未知的人员类别“{rec.get('category')}”（可填：{'、'.join(CATEGORIES.values())}）")
        shufa_text = _norm(rec.get("shufa")).lower()
        if shufa_text not in YES | NO:
            bad("shufa", f"“是否述法对象”应填“是”或“否”，而不是“{rec.get('shufa')}”")
        role = ROLE_BY_LABEL.get(_norm(rec.get("role")).lower()) or ROLE_BY_LABEL.get(_norm(rec.get("role")))
        if role is None:
            bad("role", f"未知的角色“{rec.get('role')}”（可填：{'、'.join(ROLES.values())}）")
        elif role == "admin" and actor is not None and actor.role != "admin":
            bad("role", "只有系统管理员可以导入管理员账号")
        if len(rec.get("title", "")) > 100:
            bad("title", "职务超过 100 个字符")
        if len(rec.get("phone", "")) > 20:
            bad("phone", "联系电话超过 20 个字符")
        unit = None
        if not unit_path:
            bad("unit", "缺少单位")
        else:
            if unit_path not in unit_cache:
                unit_cache[unit_path] = find_unit_by_full_name(unit_path)
            unit = unit_cache[unit_path]
            if unit is None:
                parent = _deepest_existing(unit_path)
                if not create_units:
                    bad("unit", f"单位“{unit_path}”不存在（可勾选“自动创建不存在的单位”）")
                elif parent is None or (actor is not None and not unit_visible(actor, parent)):
                    bad("unit", f"单位“{unit_path}”不在您的管理范围内，无法创建")
                elif unit_path not in missing:
                    missing.append(unit_path)
            elif actor is not None and not unit_visible(actor, unit):
                bad("unit", f"单位“{unit_path}”不在您的管理范围内")
        if len(plan.problems) == before:
            plan.rows.append({
                "sheet": sheet, "row": row, "name": name, "login": login, "unit_path": unit_path,
                "title": rec.get("title", "").strip(), "rank": rank, "category": category,
                "shufa": shufa_text in YES, "role": role, "phone": rec.get("phone", "").strip(),
            })
    plan.missing_units = missing
    return plan


def _split(path):
    return [p.strip() for p in path.replace("／", "/").replace("\\", "/").split("/") if p.strip()]


def _deepest_existing(unit_path):
    parts = _split(unit_path)
    for cut in range(len(parts) - 1, 0, -1):
        unit = find_unit_by_full_name("/".join(parts[:cut]))
        if unit is not None:
            return unit
    return None


def issue_passwords(count, progress=None):
    """``count`` temporary passwords with their hashes, made before the write transaction (hashing is the slow
    part of an import); ``progress(done)`` hears of every 50."""
    issued = []
    for done in range(1, count + 1):
        issued.append(issue_temporary())
        if progress is not None and (done % 50 == 0 or done == count):
            progress(done)
    return issued


def apply_import(actor, plan: ImportPlan, *, filename="", issued=None):
    """Create every planned account (and missing unit) in the caller's transaction.

    Refuses a plan with problems: a file is imported whole or not at all.
    ``issued`` is ``issue_passwords(len(plan.rows))`` when made beforehand.
    Returns [(user, temporary password)].
    """
    if not plan.ok:
        raise ServiceError("文件中有错误行，请先修正后再导入。")
    for unit_path in plan.missing_units:
        parts = _split(unit_path)
        parent = None
        for depth in range(1, len(parts) + 1):
            unit = find_unit_by_full_name("/".join(parts[:depth]))
            if unit is None:
                unit = create_unit(actor, parts[depth - 1], parent)
            parent = unit
    created = []
    units: dict[str, Unit] = {}
    for index, row in enumerate(plan.rows):
        if row["unit_path"] not in units:
            units[row["unit_path"]] = find_unit_by_full_name(row["unit_path"])
        values = {key: row[key] for key in ("name", "login", "title", "rank", "category", "shufa", "role", "phone")}
        values["unit_id"] = units[row["unit_path"]].id
        try:
            user, temp = create_user(actor, values, audit_log=False,
                                     temporary=issued[index] if issued is not None else None)
        except ServiceError as error:
            raise ServiceError([(None, f"工作表“{row['sheet']}”第 {row['row']} 行：{m}") for m in error.messages])
        created.append((user, temp))
    record(actor, "user.import", "import", None, filename or "账号导入",
           summary=f"导入账号 {len(created)} 个，新建单位 {len(plan.missing_units)} 个")
    db.session.flush()
    return created


def template_bytes():
    """The account import template, with a 填写说明 sheet."""
    rows = [COLUMNS,
            ["张三", "13800000001", "示范县/嘎木乡/乡政府", "副乡长", "副科及以下", "领导干部", "是", "干部", ""],
            ["李四", "GM0102", "示范县/嘎木乡/一村两委", "村委会主任", "无", "村“两委”干部", "否", "干部", "13800000002"]]
    notes = [["栏目", "说明"],
             ["姓名", "必填，不超过 50 个字符。"],
             ["登录名", "必填，工号或手机号；只能使用字母、数字和 _ . @ -；全系统唯一。"],
             ["单位", "必填，从最上级单位写起，用“/”分隔，如：示范县/嘎木乡/乡政府。"],
             ["职务", "选填，如：乡长、副乡长、村委会主任。"],
             ["职级", "可填：" + "、".join(RANKS.values()) + "；不填视为“无”。"],
             ["人员类别", "可填：" + "、".join(CATEGORIES.values()) + "；不填视为“一般干部”。"],
             ["是否述法对象", "填“是”或“否”；不填视为“否”。"],
             ["角色", "可填：" + "、".join(ROLES.values()) + "；不填视为“干部”。"],
             ["联系电话", "选填，用于督办提醒。"],
             ["说明", "导入的账号首次登录须修改初始密码。导入前系统会先预检，全部无误才会导入。"]]
    return write_xlsx({"人员名单": rows, "填写说明": notes},
                      column_widths={"人员名单": [10, 16, 30, 14, 12, 14, 12, 10, 16], "填写说明": [14, 80]})
