"""Offline sessions (线下学法活动): recording them, their attendees, and the study time attendance earns.

Once an organiser confirms attendance, on or after the day held, it credits
``minutes`` of study (source 'offline') to each cadre present, in the month the
session was held; until then a session is 已安排 (or 待确认) and credits nothing.
Changes to a confirmed session move or take back those credits in the same
transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import sqlalchemy as sa

from ..accounts.models import Unit, User
from ..accounts.scope import subtree_unit_ids, unit_visible, users_in_scope
from ..audit.services import diff, record
from ..common.clock import format_date_cn, to_local, utcnow
from ..common.errors import ServiceError
from ..common.text import is_single_line, single_line_message
from ..common.spreadsheets import RowProblem, SpreadsheetError, find_tables, normalise_header, read_workbook
from ..extensions import db
from .models import CATEGORIES, OFFLINE_KINDS, OfflineAttendance, OfflineSession
from .services import add_credits_for

FIELDS = ("kind", "topic", "category", "held_on", "minutes", "unit_id", "speaker", "location", "public_count", "notes")
MAX_MINUTES = 24 * 60


# ---------------------------------------------------------------- scope

def sessions_in_scope(viewer) -> sa.Select:
    """Sessions organised by units the viewer may see (an admin: all)."""
    stmt = sa.select(OfflineSession)
    if viewer.role == "admin":
        return stmt
    if viewer.role == "cadre":
        return stmt.where(sa.false())
    return stmt.where(OfflineSession.unit_id.in_(subtree_unit_ids(viewer.unit.path)))


def session_visible(viewer, session: OfflineSession) -> bool:
    return viewer.role in ("leader", "organiser", "admin") and unit_visible(viewer, session.unit)


def can_manage(viewer, session: OfflineSession) -> bool:
    """Organisers of the session's unit (or above) and admins; ``None`` is the system (CLI, demo)."""
    return viewer is None or (viewer.role in ("organiser", "admin") and unit_visible(viewer, session.unit))


def filtered_sessions(viewer, *, kind=None, year=None, unit=None) -> sa.Select:
    stmt = sessions_in_scope(viewer)
    if kind in OFFLINE_KINDS:
        stmt = stmt.where(OfflineSession.kind == kind)
    if year:
        stmt = stmt.where(OfflineSession.held_on >= date(year, 1, 1), OfflineSession.held_on <= date(year, 12, 31))
    if unit is not None:
        stmt = stmt.where(OfflineSession.unit_id.in_(subtree_unit_ids(unit.path)))
    return stmt


def totals(stmt: sa.Select) -> dict:
    """期数, 干部参加人次, 群众人次 and 合计人次 of the sessions a filter selects, in one query."""
    sessions = stmt.with_only_columns(OfflineSession.id, OfflineSession.public_count).order_by(None).subquery()
    attendance = (sa.select(OfflineAttendance.session_id, sa.func.count().label("n"))
                  .group_by(OfflineAttendance.session_id).subquery())
    count, public, cadres = db.session.execute(
        sa.select(sa.func.count(sessions.c.id), sa.func.coalesce(sa.func.sum(sessions.c.public_count), 0),
                  sa.func.coalesce(sa.func.sum(attendance.c.n), 0))
        .select_from(sessions).outerjoin(attendance, attendance.c.session_id == sessions.c.id)).one()
    return {"sessions": count, "cadres": int(cadres), "public": int(public), "people": int(cadres) + int(public)}


def attendee_counts(session_ids) -> dict[int, int]:
    if not session_ids:
        return {}
    return dict(db.session.execute(sa.select(OfflineAttendance.session_id, sa.func.count())
                                   .where(OfflineAttendance.session_id.in_(session_ids))
                                   .group_by(OfflineAttendance.session_id)).all())


# ---------------------------------------------------------------- sessions

def _problems(actor, values: dict):
    problems = []
    if values.get("kind") not in OFFLINE_KINDS:
        problems.append(("kind", "请选择活动类型。"))
    if values.get("category") not in CATEGORIES:
        problems.append(("category", "请选择学习内容分类。"))
    topic = (values.get("topic") or "").strip()
    if not topic:
        problems.append(("topic", "请填写主题。"))
    elif len(topic) > 200:
        problems.append(("topic", "主题不超过 200 个字符。"))
    elif not is_single_line(topic):
        problems.append(("topic", single_line_message("主题")))
    if not isinstance(values.get("held_on"), date):
        problems.append(("held_on", "请填写活动日期。"))
    minutes = values.get("minutes")
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        problems.append(("minutes", "时长应为 1 至 1440 分钟。"))
    public = values.get("public_count") or 0
    if not isinstance(public, int) or public < 0 or public > 1_000_000:
        problems.append(("public_count", "群众人次应为 0 或正整数。"))
    unit = db.session.get(Unit, values.get("unit_id")) if values.get("unit_id") else None
    if unit is None or (actor is not None and not unit_visible(actor, unit)):
        problems.append(("unit_id", "组织单位不在您的管理范围内。"))
    for key, limit in (("speaker", 100), ("location", 200), ("notes", 5000)):
        if len(values.get(key) or "") > limit:
            problems.append((key, f"不超过 {limit} 个字符。"))
    return problems


def _clean(values: dict) -> dict:
    return {"kind": values["kind"], "topic": values["topic"].strip(), "category": values["category"],
            "held_on": values["held_on"], "minutes": values["minutes"], "unit_id": values["unit_id"],
            "speaker": (values.get("speaker") or "").strip(), "location": (values.get("location") or "").strip(),
            "public_count": values.get("public_count") or 0, "notes": (values.get("notes") or "").strip()}


def attendee_ids(session_id, user_ids=None) -> sa.Select:
    stmt = sa.select(OfflineAttendance.user_id).where(OfflineAttendance.session_id == session_id)
    if user_ids is not None:
        stmt = stmt.where(OfflineAttendance.user_id.in_(user_ids))
    return stmt


def _credit(session_id, held_on, minutes, category, sign, user_ids=None):
    add_credits_for(attendee_ids(session_id, user_ids), "offline", category, sign * minutes * 60, held_on)


def local_today() -> date:
    return to_local(utcnow()).date()


def confirm_session(actor, session: OfflineSession, today: date | None = None):
    """Confirm the attendance recorded for a session already held: its attendees are credited now."""
    if not can_manage(actor, session):
        raise ServiceError("您无权确认该活动。")
    today = today or local_today()
    if session.confirmed_at is not None:
        raise ServiceError("该活动的参加情况已经确认。")
    if session.held_on > today:
        raise ServiceError(f"活动定于{format_date_cn(session.held_on)}举行，举行后才能确认参加情况、计入学时。")
    session.confirmed_at = utcnow()
    _credit(session.id, session.held_on, session.minutes, session.category, +1)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(attendee_ids(session.id).subquery()))
    record(actor, "offline.confirm", "offline_session", session.id, f"{session.kind}：{session.topic}",
           summary=f"确认参加人员 {count} 人，计入学时")
    db.session.flush()
    return count


def create_session(actor, values: dict) -> OfflineSession:
    problems = _problems(actor, values)
    if problems:
        raise ServiceError(problems)
    session = OfflineSession(created_by_id=getattr(actor, "id", None), **_clean(values))
    db.session.add(session)
    db.session.flush()
    record(actor, "offline.create", "offline_session", session.id, f"{session.kind}：{session.topic}")
    return session


def update_session(actor, session: OfflineSession, values: dict):
    if not can_manage(actor, session):
        raise ServiceError("您无权修改该活动。")
    problems = _problems(actor, values)
    if problems:
        raise ServiceError(problems)
    clean = _clean(values)
    if session.confirmed_at is not None and clean["held_on"] > local_today():
        raise ServiceError([("held_on", "该活动已确认参加情况并计入学时，日期不能改到今天以后。")])
    before = {key: getattr(session, key) for key in FIELDS}
    credit_keys = ("held_on", "minutes", "category")
    if session.confirmed_at is not None and any(before[key] != clean[key] for key in credit_keys):
        # Take back what attendance earned under the old date/length/category, then credit the new.
        _credit(session.id, before["held_on"], before["minutes"], before["category"], -1)
        _credit(session.id, clean["held_on"], clean["minutes"], clean["category"], +1)
    for key, value in clean.items():
        setattr(session, key, value)
    record(actor, "offline.update", "offline_session", session.id, f"{session.kind}：{session.topic}",
           changes=diff(before, clean) or None)
    db.session.flush()


def delete_session(actor, session: OfflineSession):
    if not can_manage(actor, session):
        raise ServiceError("您无权删除该活动。")
    if session.confirmed_at is not None:
        _credit(session.id, session.held_on, session.minutes, session.category, -1)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(attendee_ids(session.id).subquery()))
    record(actor, "offline.delete", "offline_session", session.id, f"{session.kind}：{session.topic}",
           summary=f"{session.held_on.isoformat()}，参加 {count} 人"
           + ("，学时已相应扣回" if session.confirmed_at is not None else "（未确认，未计学时）"))
    db.session.execute(sa.delete(OfflineAttendance).where(OfflineAttendance.session_id == session.id))
    db.session.delete(session)
    db.session.flush()


# ---------------------------------------------------------------- attendees

def eligible_people(actor, session: OfflineSession) -> sa.Select:
    """Active people the actor may record as present: everyone in the actor's scope."""
    stmt = sa.select(User) if actor is None else users_in_scope(actor)
    return stmt.where(User.active.is_(True))


def add_attendees(actor, session: OfflineSession, user_ids, via="manual") -> int:
    """Record these people as present (ignoring those already recorded or out of scope); returns how many."""
    if not can_manage(actor, session):
        raise ServiceError("您无权修改该活动的参加人员。")
    user_ids = {int(u) for u in user_ids}
    if not user_ids:
        return 0
    already = attendee_ids(session.id)
    new_ids = db.session.scalars(eligible_people(actor, session).with_only_columns(User.id)
                                 .where(User.id.in_(user_ids), User.id.not_in(already))).all()
    if not new_ids:
        return 0
    db.session.execute(sa.insert(OfflineAttendance), [
        {"session_id": session.id, "user_id": uid, "added_via": via} for uid in new_ids])
    if session.confirmed_at is not None:
        _credit(session.id, session.held_on, session.minutes, session.category, +1, new_ids)
    record(actor, "offline.attendance", "offline_session", session.id, f"{session.kind}：{session.topic}",
           summary=f"添加参加人员 {len(new_ids)} 人" + ("（签到表导入）" if via == "import" else ""))
    db.session.flush()
    return len(new_ids)


def add_matching(actor, session: OfflineSession, people: sa.Select) -> int:
    """Add everyone a people filter selects (e.g. all of one unit), set-based."""
    ids = db.session.scalars(people.with_only_columns(User.id).order_by(None)).all()
    return add_attendees(actor, session, ids)


def remove_attendees(actor, session: OfflineSession, user_ids) -> int:
    if not can_manage(actor, session):
        raise ServiceError("您无权修改该活动的参加人员。")
    user_ids = [int(u) for u in user_ids]
    present = db.session.scalars(attendee_ids(session.id, user_ids)).all()
    if not present:
        return 0
    if session.confirmed_at is not None:
        _credit(session.id, session.held_on, session.minutes, session.category, -1, present)
    db.session.execute(sa.delete(OfflineAttendance).where(OfflineAttendance.session_id == session.id,
                                                          OfflineAttendance.user_id.in_(present)))
    record(actor, "offline.attendance", "offline_session", session.id, f"{session.kind}：{session.topic}",
           summary=f"移除参加人员 {len(present)} 人" + ("，学时已相应扣回" if session.confirmed_at is not None else ""))
    db.session.flush()
    return len(present)


def attendees(session: OfflineSession):
    return db.session.scalars(
        sa.select(User).join(OfflineAttendance, OfflineAttendance.user_id == User.id)
        .join(Unit, User.unit_id == Unit.id)
        .where(OfflineAttendance.session_id == session.id).order_by(Unit.path, User.name)).all()


# ---------------------------------------------------------------- sign-in sheets

_SYNONYMS = {"name": ["姓名", "名字", "签名", "签到人"], "login": ["登录名", "工号", "账号", "用户名", "手机号", "手机号码"]}
SYNONYMS = {normalise_header(text): key for key, texts in _SYNONYMS.items() for text in texts}
COLUMN_LABELS = {"name": "姓名", "login": "登录名"}


@dataclass
class SheetPlan:
    """A read sign-in sheet: people matched (to add), already present, and every problem by sheet and row."""

    matched: list[dict] = field(default_factory=list)
    already: list[dict] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    total: int = 0

    @property
    def user_ids(self):
        return [row["user"].id for row in self.matched]


def plan_signin(actor, session: OfflineSession, data: bytes, *, max_bytes=None) -> SheetPlan:
    """Read and check a sign-in sheet (columns 姓名 and 登录名); writes nothing.

    A row with a login must name that person; a row with only a name must
    match exactly one active person in the organiser's scope.
    """
    sheets = read_workbook(data, max_bytes=max_bytes)
    tables, limit_problems = find_tables(sheets, SYNONYMS, {"name"})
    if not tables:
        raise SpreadsheetError("没有找到表头：签到表需要“姓名”列（建议同时填写“登录名”）。")
    plan = SheetPlan()
    plan.problems += [replace(p, column=COLUMN_LABELS.get(p.column, p.column)) for p in limit_problems]
    records = [(t.sheet, row, rec) for t in tables for row, rec in t.records]
    plan.total = len(records)
    if not records:
        raise SpreadsheetError("签到表只有表头，没有签到人员。")
    logins = {rec.get("login", "").strip() for _, _, rec in records} - {""}
    names = {rec.get("name", "").strip() for _, _, rec in records if not rec.get("login", "").strip()} - {""}
    by_login = {u.login: u for u in db.session.scalars(sa.select(User).where(User.login.in_(logins)))} \
        if logins else {}
    in_scope = set(db.session.scalars(users_in_scope(actor).with_only_columns(User.id)
                                      .where(User.id.in_([u.id for u in by_login.values()]))).all()) \
        if by_login else set()
    by_name: dict[str, list[User]] = {}
    if names:
        for person in db.session.scalars(eligible_people(actor, session).where(User.name.in_(names))):
            by_name.setdefault(person.name, []).append(person)
    present = set(db.session.scalars(attendee_ids(session.id)).all())
    seen: dict[int, tuple[str, int]] = {}
    flagged = {(p.sheet, p.row) for p in limit_problems}  # a formula or over-long cell: the row is not credited
    for sheet, row, rec in records:
        if (sheet, row) in flagged:
            continue
        name, login = rec.get("name", "").strip(), rec.get("login", "").strip()

        def bad(column, message):
            plan.problems.append(RowProblem(sheet, row, COLUMN_LABELS[column], message))

        person = None
        if login:
            person = by_login.get(login)
            if person is None:
                bad("login", f"系统中没有登录名为“{login}”的人员")
            elif person.id not in in_scope:
                bad("login", f"“{login}”不在您的管理范围内")
                person = None
            elif not person.active:
                bad("login", f"“{login}”（{person.name}）的账号已停用")
                person = None
            elif name and name != person.name:
                bad("name", f"姓名“{name}”与登录名“{login}”对应的人员“{person.name}”不一致")
                person = None
        elif not name:
            bad("name", "缺少姓名")
        else:
            candidates = by_name.get(name, [])
            if not candidates:
                bad("name", f"您的管理范围内没有名为“{name}”的在用人员")
            elif len(candidates) > 1:
                bad("login", f"名为“{name}”的人员有 {len(candidates)} 位，请填写登录名以区分")
            else:
                person = candidates[0]
        if person is None:
            continue
        if person.id in seen:
            first = seen[person.id]
            bad("name", f"与工作表“{first[0]}”第 {first[1]} 行是同一人，重复签到只计一次")
            continue
        seen[person.id] = (sheet, row)
        entry = {"sheet": sheet, "row": row, "user": person}
        (plan.already if person.id in present else plan.matched).append(entry)
    return plan
