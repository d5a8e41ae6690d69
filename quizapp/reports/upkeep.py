"""Keeping the roll-up current as facts are written, in the same transaction: no page view ever rebuilds.

Session events watch the tables the figures are made of, without the writing domains knowing about reports
(nothing imports reports):

* facts — ``exam_results``, ``study_credits``, ``study_progress``, ``offline_attendance`` (ORM objects and Core
  INSERT/UPDATE/DELETE alike): the people touched are recounted at commit. Their person rows are rebuilt from
  the raw rows, and the difference between their old and new rows is added to their units' rows — a handful
  of statements whatever the size of the year.
* people — a ``users`` row created, moved, deactivated, or changed in what makes them count (role, 人员类别,
  述法): the person is recounted and the rows of their old and new units are recounted with the 在册 population.
* definitions — exams (published ones), their audience units, required materials and their audiences, offline
  session dates, unit moves: these change the figures of many people at once, so the affected year is rebuilt
  whole by a background job queued when the transaction commits (``reports.background.rebuild_year``).

Only years that have a roll-up are kept current; the first full build of a year (cron's ``flask reports
rebuild``, which builds the current year when it is missing, or “立即更新”) counts all that came before. On PostgreSQL the recount takes the year's
advisory lock shared (a full rebuild takes it exclusively) and locks the people's rows, so concurrent writers
and rebuilds never double-count; SQLite serialises writers anyway.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, attributes

from ..accounts.models import Unit, User
from ..exams.models import Exam, ExamResult, ExamUnit
from ..study.models import (Material, MaterialCategory, MaterialRequirement, OfflineAttendance, OfflineSession,
                            StudyCredit, StudyProgress, StudyTarget)
from ..study.services import minutes_per_hour
from ..study.settings import setting
from . import figures, rollup
from .models import FACT_COLUMNS, Refresh, UnitStat
from .periods import Period, exam_month

KEY = "report_upkeep"
EVERY_YEAR = 0  # "every year that has a roll-up"
FACT_TABLES = {"exam_results", "study_credits", "study_progress", "offline_attendance"}
DEFINITION_TABLES = {"exams", "exam_units", "materials", "material_requirements", "material_categories",
                     "material_units", "offline_sessions", "units", "users", "study_targets"}
USER_FIELDS = ("unit_id", "created_at", "active", "deactivated_at", "role", "category", "shufa")
EXAM_FIELDS = ("status", "required", "period", "kind", "open_at", "close_at", "audience_categories",
               "audience_shufa_only", "full_marks", "bands")
DELTA_COLUMNS = (*rollup.UNIT_EXTRA, *FACT_COLUMNS)
CHUNK = 500


# ---------------------------------------------------------------- what a transaction touched

def _pending(session):
    found = session.info.get(KEY)
    if found is None:
        found = session.info[KEY] = {"people": {}, "units": set(), "rebuild": set()}
    return found


def _touch(session, user_ids, year=EVERY_YEAR):
    people = _pending(session)["people"]
    for uid in user_ids:
        if uid is not None:
            people.setdefault(int(uid), set()).add(year)


def _rebuild(session, year=EVERY_YEAR):
    _pending(session)["rebuild"].add(year)


def _changed(obj, names):
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names if name in state.attrs)


def _old_and_new(obj, name):
    history = attributes.get_history(obj, name)
    return {*history.deleted, *history.added, *history.unchanged} - {None}


def _exam_years(session, exam) -> set[int]:
    years = set()
    for period in _old_and_new(exam, "period") or {exam.period}:
        years.add(int(str(period)[:4]))
    try:
        years.add(exam_month(exam)[0])
    except (TypeError, ValueError):
        pass
    return years


def _exam_counts(exam) -> bool:
    """Whether the exam is, or was until this flush, published (drafts count nowhere)."""
    return "published" in (_old_and_new(exam, "status") or {exam.status})


def _before_flush(session, _context, _instances):
    """Note the stored unit of people about to move or go (an expired attribute keeps no old value)."""
    ids = [obj.id for obj in session.deleted if isinstance(obj, User)]
    ids += [obj.id for obj in session.dirty if isinstance(obj, User) and obj.id is not None
            and attributes.get_history(obj, "unit_id").added]
    if ids:
        stored = session.connection().execute(sa.select(User.unit_id).where(User.id.in_(ids))).scalars()
        _pending(session)["units"].update(u for u in stored if u is not None)


def _after_flush(session, _context):
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, ExamResult):
            exam = session.get(Exam, obj.exam_id) if obj.exam_id is not None else None
            _touch(session, [obj.user_id], exam_month(exam)[0] if exam is not None else EVERY_YEAR)
        elif isinstance(obj, StudyProgress):
            # Only completion counts (time is counted from study_credits): skip the minute-by-minute updates.
            if (obj.completed_at is not None if obj in session.new
                    else obj in session.deleted or _changed(obj, ("completed_at", "material_id", "user_id", "year"))):
                _touch(session, [obj.user_id], obj.year or EVERY_YEAR)
        elif isinstance(obj, StudyCredit):
            _touch(session, [obj.user_id], obj.year or EVERY_YEAR)
        elif isinstance(obj, OfflineAttendance):
            _touch(session, [obj.user_id])
        elif isinstance(obj, User):
            if obj in session.new or obj in session.deleted or _changed(obj, USER_FIELDS):
                _touch(session, [obj.id])
                _pending(session)["units"].update(_old_and_new(obj, "unit_id"))
        elif isinstance(obj, Exam):
            if (obj in session.deleted or _changed(obj, EXAM_FIELDS)) and _exam_counts(obj):
                for year in _exam_years(session, obj):
                    _rebuild(session, year)
        elif isinstance(obj, ExamUnit):
            exam = session.get(Exam, obj.exam_id)
            if exam is not None and exam.status == "published":
                for year in _exam_years(session, exam):
                    _rebuild(session, year)
        elif isinstance(obj, (Material, MaterialRequirement, MaterialCategory)):
            if obj in session.new and isinstance(obj, Material) and not obj.published:
                continue
            _rebuild(session, getattr(obj, "year", None) or EVERY_YEAR)
        elif isinstance(obj, OfflineSession):
            if obj in session.dirty and _changed(obj, ("held_on",)):
                _rebuild(session, EVERY_YEAR)
        elif isinstance(obj, Unit):
            if obj in session.dirty and _changed(obj, ("parent_id", "path")):
                _rebuild(session, EVERY_YEAR)
        elif isinstance(obj, StudyTarget):  # who reached their 学时 target (述法对象 counts) changes
            _rebuild(session, EVERY_YEAR)


def _user_ids_of_insert(session, stmt, parameters):
    table = stmt.table
    if getattr(stmt, "select", None) is not None:
        names = list(stmt._select_names)
        if "user_id" not in names:
            return None
        chosen = stmt.select.subquery("inserted").c[names.index("user_id")]
        return [(uid, None) for uid in session.execute(sa.select(chosen).distinct()).scalars()]
    rows = parameters if isinstance(parameters, list) else [parameters] if parameters else []
    if not rows:
        rows = [stmt.compile(dialect=session.get_bind().dialect).params]
    year_column = "year" if "year" in table.c else None
    return [(row.get("user_id"), row.get(year_column) if year_column else None) for row in rows]


def _do_orm_execute(state):
    """Core INSERT/UPDATE/DELETE through the session: note who they touch before they run."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    session = state.session
    if name in FACT_TABLES:
        if state.is_insert:
            found = _user_ids_of_insert(session, state.statement, state.parameters)
            if found is None:
                _rebuild(session)
            for uid, year in found or ():
                _touch(session, [uid], year or EVERY_YEAR)
        else:
            where = state.statement.whereclause
            stmt = sa.select(table.c.user_id).distinct()
            ids = session.execute(stmt.where(where) if where is not None else stmt).scalars().all()
            _touch(session, ids)
    elif name in DEFINITION_TABLES:
        if name == "units" and state.is_insert:
            return  # a new unit has nobody in it yet
        _rebuild(session)


# ---------------------------------------------------------------- bringing the roll-up up to date

def _rolled_up_years(session) -> set[int]:
    return set(session.scalars(sa.select(Refresh.year)))


def _upsert(session):
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(UnitStat.__table__)


_STATEMENTS: dict = {}


def _statements(year):
    """(person-row INSERTs, contributions SELECT) for ``year``, with the people as an expanding bind parameter.

    Built once per year and set of exams and requirements, then reused: constructing these expressions costs
    far more than running them for a handful of people.
    """
    exams = figures.year_exams("/", year)
    requirements = figures.requirements_for(Period("year", year))
    key = (year, current_app.config.get("TIMEZONE"), tuple((e.id, exam_month(e), repr(e.band_list)) for e in exams),
           tuple(sorted(requirements.due_end.items())), minutes_per_hour(), repr(setting("STUDY_TARGET_HOURS")))
    found = _STATEMENTS.get(key)
    if found is None:
        if len(_STATEMENTS) > 32:
            _STATEMENTS.clear()
        ids = sa.bindparam("ids", expanding=True)
        inserts = rollup.person_row_statements(year, ids, exams, requirements)
        c = rollup.person_contributions(year, User.id.in_(ids)).subquery("c")
        contributions = (sa.select(c.c.slot, c.c.unit_id, *[sa.func.sum(c.c[n]) for n in DELTA_COLUMNS])
                         .group_by(c.c.slot, c.c.unit_id))
        found = _STATEMENTS[key] = (inserts, contributions)
    return found


def _contributions(session, stmt, ids):
    rows = session.execute(stmt, {"ids": ids}).all()
    return {(slot, unit_id): list(values) for slot, unit_id, *values in rows}


def _add_deltas(session, year, before, after):
    """Add (after − before) to the unit rows, in key order (so concurrent writers lock rows in one order)."""
    rows = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        delta = [(n or 0) - (o or 0) for n, o in zip(new or [0] * len(DELTA_COLUMNS), old or [0] * len(DELTA_COLUMNS))]
        if any(delta):
            rows.append({"year": year, "slot": key[0], "unit_id": key[1], **dict(zip(DELTA_COLUMNS, delta))})
    if not rows:
        return
    table = UnitStat.__table__
    stmt = _upsert(session)
    stmt = stmt.on_conflict_do_update(index_elements=["year", "slot", "unit_id"],
                                      set_={n: table.c[n] + stmt.excluded[n] for n in DELTA_COLUMNS})
    session.execute(stmt, rows)


def recount_people(session, year: int, ids):
    """Rebuild the person rows of ``ids`` in ``year`` and carry the difference into their units' rows."""
    person = rollup.PersonStat.__table__
    inserts, contributions = _statements(year)
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        before = _contributions(session, contributions, chunk)
        session.execute(sa.delete(person).where(person.c.year == year, person.c.user_id.in_(chunk)))
        for stmt in inserts:
            session.execute(stmt, {"ids": chunk})
        _add_deltas(session, year, before, _contributions(session, contributions, chunk))


def recount_units(session, year: int, unit_ids):
    """Rebuild the rows of some units in ``year`` from their people's rows and their 在册 population."""
    table = UnitStat.__table__
    unit_ids = sorted(unit_ids)
    session.execute(sa.delete(table).where(table.c.year == year, table.c.unit_id.in_(unit_ids)))
    rollup._insert_unit_rows(year, unit_ids)


def _lock(session, year, user_ids, unit_ids):
    """PostgreSQL: the year's lock shared (a full rebuild takes it alone), the people's rows, then their units'
    rows — shared when only facts are added, exclusive when units are recounted — always in id order."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    connection.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": rollup.LOCK_BASE + year})
    units = set(session.execute(sa.select(User.unit_id).where(User.id.in_(sorted(user_ids))).order_by(User.id)
                                .with_for_update()).scalars())
    lock = sa.select(Unit.id).where(Unit.id.in_(sorted(units | set(unit_ids)))).order_by(Unit.id)
    session.execute(lock.with_for_update() if unit_ids else lock.with_for_update(read=True))


def apply(session, pending):
    """Bring the roll-up up to date with what this transaction wrote (called just before it commits).

    People are recounted here; a year whose definitions changed is rebuilt by a job queued for after the
    commit. Only years that have a roll-up are kept: a year without one waits for its first full build
    (``flask reports rebuild`` from cron, “立即更新”), which counts everything written until then.
    """
    from ..jobs import enqueue_after_commit
    from .background import rebuild_year

    existing = _rolled_up_years(session)
    if not existing:
        return
    later = set()
    for year in pending["rebuild"]:
        later |= existing if year == EVERY_YEAR else {year} & existing
    wanted: dict[int, set[int]] = {}
    for uid, years in pending["people"].items():
        for year in existing if EVERY_YEAR in years else years & existing:
            wanted.setdefault(year, set()).add(uid)
    for year in sorted(later):
        enqueue_after_commit(rebuild_year, year, session=session)
    for year in sorted(wanted):
        units = set(pending["units"])
        _lock(session, year, wanted[year], units)
        recount_people(session, year, wanted[year])
        if units:
            recount_units(session, year, units)


def _before_commit(session):
    session.flush()  # commit flushes after this event; the recount must see (and follow) every write
    pending = session.info.pop(KEY, None)
    if pending and (pending["people"] or pending["rebuild"]):
        apply(session, pending)
        session.info.pop(KEY, None)


def _after_transaction_end(session, transaction):
    if transaction.parent is None:
        session.info.pop(KEY, None)


def listen():
    """Attach the listeners to every session (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _do_orm_execute)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
