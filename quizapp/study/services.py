"""Study time: honest heartbeats, the 学时 roll-up, and what a person's study record shows.

Every credited second goes to ``study_credits`` in the same transaction as
the event that earned it (a heartbeat, an attendance, a practice round), so
reports never disagree with the records they summarise.
"""
from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..accounts.models import CATEGORIES as PERSON_CATEGORIES
from ..accounts.models import User
from ..audit.services import record
from ..common.clock import to_local, utcnow
from ..extensions import db
from .models import (CATEGORIES, CREDIT_SOURCES, LawVersion, Material, OfflineAttendance,
                     OfflineSession, StudyCredit, StudyProgress, StudySession, StudyTarget)
from .materials import material_visible, required_of, required_rows, year_requirements
from .settings import setting

# ---------------------------------------------------------------- upserts


def _insert(table):
    """An INSERT that can say ON CONFLICT, for the database in use (SQLite and PostgreSQL both can)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


# Category names that say nothing about the subject (practice uses 综合 for mixed rounds).
UNSPECIFIC = {"综合", "未分类"}
_CREDIT_KEY = ["user_id", "year", "month", "category", "source"]


def _add_seconds_on_conflict(stmt):
    table = StudyCredit.__table__
    return stmt.on_conflict_do_update(index_elements=_CREDIT_KEY,
                                      set_={"seconds": table.c.seconds + stmt.excluded.seconds})


# ---------------------------------------------------------------- credits

def top_category(category: str) -> str:
    """The 学时 category of a material, law or question category ("法律法规/土地与农村" → "法律法规").

    Anything that is not one of the study categories is a law subject
    (question categories such as "民法典/婚姻家庭"), so it counts as 法律法规.
    """
    top = (category or "").split("/", 1)[0].strip()
    if top in CATEGORIES:
        return top
    return "法律法规" if top and top not in UNSPECIFIC else "其他"


def local_year_month(when: datetime | date) -> tuple[int, int]:
    if isinstance(when, datetime):
        when = to_local(when)
    return when.year, when.month


def add_credit(user, source: str, category: str, seconds: int, when: datetime | date | None = None):
    """Credit ``seconds`` of study to ``user`` (a User or an id) in the month of ``when``.

    The practice module calls this with source='practice'. Negative seconds
    take credit back (an attendance removed). Flushes; the caller commits.
    """
    if source not in CREDIT_SOURCES:
        raise ValueError(f"unknown study credit source: {source}")
    seconds = int(seconds)
    if seconds == 0:
        return
    year, month = local_year_month(when or utcnow())
    user_id = user if isinstance(user, int) else user.id
    stmt = _insert(StudyCredit.__table__).values(user_id=user_id, year=year, month=month,
                                                 category=top_category(category), source=source, seconds=seconds)
    db.session.execute(_add_seconds_on_conflict(stmt))


def add_credits_for(user_ids: sa.Select, source: str, category: str, seconds: int, when: date):
    """Credit the same ``seconds`` to every user id the select returns, in one statement."""
    seconds = int(seconds)
    if seconds == 0:
        return
    year, month = local_year_month(when)
    rows = sa.select(user_ids.subquery().c[0], sa.literal(year), sa.literal(month),
                     sa.literal(top_category(category)), sa.literal(source), sa.literal(seconds)).where(sa.true())
    stmt = _insert(StudyCredit.__table__).from_select(_CREDIT_KEY + ["seconds"], rows)
    db.session.execute(_add_seconds_on_conflict(stmt))


def minutes_per_hour() -> float:
    return float(setting("STUDY_MINUTES_PER_HOUR"))


def to_hours(seconds: int | float) -> float:
    """学时 from seconds by the configured rule (45 minutes = 1 学时 unless configured otherwise)."""
    return round((seconds or 0) / 60 / minutes_per_hour(), 1)


def target_hours(category: str) -> float:
    row = db.session.get(StudyTarget, category)
    if row is not None:
        return row.hours
    return float(setting("STUDY_TARGET_HOURS").get(category, 0))


def all_targets() -> dict[str, float]:
    stored = dict(db.session.execute(sa.select(StudyTarget.category, StudyTarget.hours)).all())
    defaults = setting("STUDY_TARGET_HOURS")
    return {code: float(stored.get(code, defaults.get(code, 0))) for code in PERSON_CATEGORIES}


def set_targets(actor, values: dict[str, float]):
    before = all_targets()
    for code, hours in values.items():
        if code not in PERSON_CATEGORIES:
            continue
        row = db.session.get(StudyTarget, code)
        if row is None:
            db.session.add(StudyTarget(category=code, hours=float(hours), updated_by_id=actor.id))
        else:
            row.hours = float(hours)
            row.updated_by_id = actor.id
    changes = {PERSON_CATEGORIES[c]: [before[c], float(h)] for c, h in values.items() if before.get(c) != float(h)}
    record(actor, "study.targets", "study_targets", None, "学时目标", changes=changes or None)
    db.session.flush()


def credit_table(user_id: int, year: int) -> dict:
    """{category: {source: seconds}} and totals for one person's year, from one grouped query."""
    rows = db.session.execute(
        sa.select(StudyCredit.category, StudyCredit.source, sa.func.sum(StudyCredit.seconds))
        .where(StudyCredit.user_id == user_id, StudyCredit.year == year)
        .group_by(StudyCredit.category, StudyCredit.source)).all()
    table = {}
    for category, source, seconds in rows:
        table.setdefault(category, {})[source] = int(seconds or 0)
    ordered = [(c, table[c]) for c in CATEGORIES if c in table] + [(c, v) for c, v in table.items()
                                                                   if c not in CATEGORIES]
    by_source = {s: sum(v.get(s, 0) for _, v in ordered) for s in CREDIT_SOURCES}
    return {"rows": ordered, "by_source": by_source, "total": sum(by_source.values())}


# ---------------------------------------------------------------- reading limits

def law_minutes(version: LawVersion) -> int:
    """Estimated reading time of a whole law version, from its length."""
    return max(1, math.ceil((version.char_count or 0) / float(setting("STUDY_LAW_CHARS_PER_MINUTE"))))


def max_seconds_for(material: Material | None = None, version: LawVersion | None = None) -> int:
    minutes = material.minutes if material is not None else law_minutes(version)
    return int(minutes * 60 * float(setting("STUDY_MAX_FACTOR")))


def min_seconds_for(material: Material) -> int:
    return int(math.ceil(material.minutes * 60 * float(setting("STUDY_MIN_FRACTION"))))


def min_minutes_for(material: Material) -> int:
    """The minimum study time of a material in whole minutes, as pages state it."""
    return math.ceil(min_seconds_for(material) / 60)


def credit_for_beat(last_beat_at: datetime, now: datetime, claimed: float, cap: float, slack: float) -> int:
    """Seconds one heartbeat earns: the time the page says it was in use, never more than really passed.

    A page claiming more time than has passed since its last heartbeat
    (beyond ``slack`` for network delay) earns nothing at all.
    """
    real = (now - last_beat_at).total_seconds()
    if real <= 0 or not claimed or claimed <= 0 or claims_too_much(last_beat_at, now, claimed, slack):
        return 0
    return int(round(min(claimed, real, cap)))


def claims_too_much(last_beat_at: datetime, now: datetime, claimed: float, slack: float) -> bool:
    """True when a page says it was in use longer than the time since its last heartbeat."""
    return not math.isfinite(claimed) or claimed > (now - last_beat_at).total_seconds() + slack


# ---------------------------------------------------------------- heartbeats

@dataclass
class BeatResult:
    """What a heartbeat did: ``status`` is ok, superseded, expired, forbidden or rejected."""

    status: str
    credited: int = 0
    progress: StudyProgress | None = None
    target: Material | LawVersion | None = None


def _target_of(session: StudySession):
    if session.kind == "material":
        return db.session.get(Material, session.material_id)
    return db.session.get(LawVersion, session.law_version_id)


def may_read(user, kind: str, target) -> bool:
    """Whether this page is one the person may study on (and so earn time on)."""
    if target is None:
        return False
    if kind == "material":
        return material_visible(user, target)
    return isinstance(target, LawVersion)


def start_reading(user, kind: str, target) -> StudySession | None:
    """Make this page the person's one active page; any other page stops earning time.

    Returns None (and changes nothing) when the person may not read it.
    """
    if kind not in ("material", "law") or not may_read(user, kind, target):
        return None
    now = utcnow()
    values = {"user_id": user.id, "token": secrets.token_urlsafe(24), "kind": kind,
              "material_id": target.id if kind == "material" else None,
              "law_version_id": target.id if kind == "law" else None,
              "session_version": user.session_version, "started_at": now, "last_beat_at": now}
    stmt = _insert(StudySession.__table__).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["user_id"],
                                      set_={k: stmt.excluded[k] for k in values if k != "user_id"})
    db.session.execute(stmt)
    return db.session.get(StudySession, user.id, populate_existing=True)


def beat(user, token: str, claimed: float, reached_end: bool = False) -> BeatResult:
    """Credit the time since this page's last heartbeat, if this page is the person's active one."""
    session = db.session.get(StudySession, user.id)
    if session is None or not token or not secrets.compare_digest(session.token, str(token)):
        return BeatResult("superseded")
    if session.session_version != user.session_version:
        return BeatResult("expired")
    target = _target_of(session)
    if not may_read(user, session.kind, target):
        return BeatResult("forbidden")
    now = utcnow()
    slack = float(setting("STUDY_CLOCK_SLACK_SECONDS"))
    rejected = claims_too_much(session.last_beat_at, now, claimed, slack)
    credit = credit_for_beat(session.last_beat_at, now, claimed, float(setting("STUDY_BEAT_CAP_SECONDS")), slack)
    # Compare-and-set: of two requests carrying the same beat, only one moves the clock and earns time.
    moved = db.session.execute(
        sa.update(StudySession)
        .where(StudySession.user_id == user.id, StudySession.token == session.token,
               StudySession.last_beat_at == session.last_beat_at)
        .values(last_beat_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        return BeatResult("superseded")
    if rejected:
        return BeatResult("rejected", target=target, progress=_progress(user, session.kind, target, now, create=False))
    progress = _progress(user, session.kind, target, now)
    room = max(0, max_seconds_for(**({"material": target} if session.kind == "material" else {"version": target}))
               - progress.seconds)
    credit = min(credit, room)
    progress.seconds += credit
    progress.last_at = now
    if reached_end:
        progress.reached_end = True
    if session.kind == "material" and progress.completed_at is None and progress.reached_end \
            and progress.seconds >= min_seconds_for(target):
        progress.completed_at = now
    if credit:
        if session.kind == "material":
            add_credit(user, "material", target.category, credit, now)
        else:
            add_credit(user, "law", target.law.category, credit, now)
    db.session.flush()
    return BeatResult("ok", credit, progress, target)


def _progress(user, kind, target, now, create=True) -> StudyProgress | None:
    year = to_local(now).year
    column = StudyProgress.material_id if kind == "material" else StudyProgress.law_version_id
    progress = db.session.scalar(sa.select(StudyProgress).where(
        StudyProgress.user_id == user.id, StudyProgress.year == year, column == target.id))
    if progress is None and create:
        progress = StudyProgress(user_id=user.id, year=year, seconds=0, reached_end=False, first_at=now, last_at=now,
                                 **({"material_id": target.id} if kind == "material"
                                    else {"law_version_id": target.id}))
        db.session.add(progress)
        db.session.flush()
    return progress


def progress_for(user, kind: str, target, year: int | None = None) -> StudyProgress | None:
    """This year's progress of a person on a material or law version (None when never opened)."""
    year = year or to_local(utcnow()).year
    column = StudyProgress.material_id if kind == "material" else StudyProgress.law_version_id
    return db.session.scalar(sa.select(StudyProgress).where(
        StudyProgress.user_id == user.id, StudyProgress.year == year, column == target.id))


def progress_payload(kind: str, target, progress: StudyProgress | None) -> dict:
    """What the page shows about its own study time (the JSON the heartbeat returns)."""
    seconds = progress.seconds if progress else 0
    payload = {"seconds": seconds, "reached_end": bool(progress and progress.reached_end),
               "max_seconds": max_seconds_for(**({"material": target} if kind == "material" else {"version": target}))}
    if kind == "material":
        payload.update(min_seconds=min_seconds_for(target), completed=bool(progress and progress.completed_at))
    return payload


# ---------------------------------------------------------------- a person's study record

def current_year() -> int:
    return to_local(utcnow()).year


def required_materials(user, year: int):
    """[(material, due date, progress or None)] required of this person in ``year``, earliest due first: the
    rows every report counts (``materials.required_rows``), so 首页, 我的学习 and 述法 agree."""
    req = required_of(user, year)
    rows = db.session.execute(
        sa.select(Material, req.c.due_date, StudyProgress)
        .join(req, req.c.material_id == Material.id)
        .outerjoin(StudyProgress, sa.and_(StudyProgress.material_id == Material.id,
                                          StudyProgress.user_id == user.id, StudyProgress.year == year))
        .order_by(req.c.due_date, Material.title)).all()
    return [(material, due_date, progress) for material, due_date, progress in rows]


def required_counts(user_ids, year: int) -> dict[int, tuple[int, int]]:
    """{user id: (done, required)} of required materials for some people in ``year`` (one grouped query)."""
    if not user_ids:
        return {}
    rows = required_rows(None, year_requirements(year), people=User.id.in_(list(user_ids))).subquery("rows")
    return {user_id: (int(done or 0), int(due)) for user_id, done, due in db.session.execute(
        sa.select(rows.c.user_id, sa.func.sum(rows.c.done), sa.func.count()).group_by(rows.c.user_id))}


def recent_reading(user, year: int, limit=10):
    return db.session.scalars(
        sa.select(StudyProgress).where(StudyProgress.user_id == user.id, StudyProgress.year == year)
        .order_by(StudyProgress.last_at.desc()).limit(limit)
        .options(sa.orm.joinedload(StudyProgress.material),
                 sa.orm.joinedload(StudyProgress.law_version).joinedload(LawVersion.law))).all()


def attended_sessions(user, year: int):
    return db.session.scalars(
        sa.select(OfflineSession).join(OfflineAttendance, OfflineAttendance.session_id == OfflineSession.id)
        .where(OfflineAttendance.user_id == user.id,
               OfflineSession.held_on >= date(year, 1, 1), OfflineSession.held_on <= date(year, 12, 31))
        .order_by(OfflineSession.held_on.desc())).all()


@dataclass
class StudyRecord:
    """Everything 我的学习 shows for one person and year."""

    person: User
    year: int
    credits: dict
    hours: float
    target: float
    required: list
    recent: list
    sessions: list
    next_steps: list

    @property
    def required_done(self):
        return sum(1 for _, _, progress in self.required if progress and progress.completed_at)

    @property
    def hours_missing(self):
        return max(0.0, round(self.target - self.hours, 1))


def study_record(person, year: int) -> StudyRecord:
    credits = credit_table(person.id, year)
    hours = to_hours(credits["total"])
    target = target_hours(person.category)
    required = required_materials(person, year)
    record = StudyRecord(person=person, year=year, credits=credits, hours=hours, target=target, required=required,
                         recent=recent_reading(person, year), sessions=attended_sessions(person, year), next_steps=[])
    record.next_steps = next_steps(record, to_local(utcnow()).date())
    return record


def next_steps(record: StudyRecord, today: date) -> list[dict]:
    """What to do next, most urgent first: overdue and due required materials, then missing hours."""
    steps = []
    for material, due, progress in record.required:
        if progress and progress.completed_at:
            continue
        remaining = max(0, min_seconds_for(material) - (progress.seconds if progress else 0))
        if due < today:
            urgency, note = 0, f"已超过截止日期（{due.month}月{due.day}日），请尽快完成"
        elif (due - today).days <= 14:
            urgency, note = 1, f"{(due - today).days} 天后截止"
        else:
            urgency, note = 2, f"{due.month}月{due.day}日前完成"
        if progress and progress.reached_end and remaining:
            note += f"；已读到末尾，还需学习约 {math.ceil(remaining / 60)} 分钟"
        elif progress and progress.seconds:
            note += "；请继续学习并读到末尾"
        steps.append({"urgency": urgency, "material": material, "note": note})
    steps.sort(key=lambda step: step["urgency"])
    if record.hours_missing > 0 and record.year == today.year:
        steps.append({"urgency": 3, "material": None,
                      "note": f"本年度还差 {record.hours_missing} 学时：可到学习园地、法规库学习，或参加线下学法活动。"})
    return steps

