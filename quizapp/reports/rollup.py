"""The yearly roll-up: every report figure of a year, per person and per unit.

``refresh(year)`` sums the fact rows of ``figures`` (exam outcomes, required
materials, study credits) per person and month, derives quarters and the year
from the months, and adds them up per unit, with the 在册 population of each
slot — four INSERT … SELECT statements, whatever the number of cadres. Pages
then add up a few thousand unit rows for any subtree (``figures_by_bucket``,
``trend``) instead of scanning millions of raw rows.

Reads are reads: the functions under “reading” never rebuild anything. A full
rebuild is a repair (``flask reports rebuild``, the “立即更新” button, a job).
"""
from __future__ import annotations

import time
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from ..accounts.models import CATEGORIES, Unit, User
from ..common.clock import utcnow
from ..extensions import db
from ..study.models import OfflineAttendance, OfflineSession, StudyCredit, StudyTarget
from ..study.materials import required_rows
from ..study.services import minutes_per_hour
from ..study.settings import setting
from . import figures
from .figures import Figures, examinee, in_population, subtree
from .models import FACT_COLUMNS, SLOT_QUARTER, SLOT_YEAR, PersonStat, Refresh, UnitStat
from .periods import Period

DEFAULT_MAX_AGE = 600
# Every column of a unit row that Figures adds up.
FIGURE_COLUMNS = ("people", "persons", "obliged", "complete", "online_people", "outsiders", *FACT_COLUMNS)
LOCK_BASE = 7_260_000  # PostgreSQL advisory lock key base (plus the year)


def slot_of(period: Period) -> int:
    if period.kind == "month":
        return period.index
    if period.kind == "quarter":
        return SLOT_QUARTER + period.index
    return SLOT_YEAR


def slot_period(year: int, slot: int) -> Period:
    if slot <= 12:
        return Period("month", year, slot)
    if slot < SLOT_YEAR:
        return Period("quarter", year, slot - SLOT_QUARTER)
    return Period("year", year)


def max_age() -> float:
    return float(current_app.config.get("REPORTS_SNAPSHOT_MAX_AGE", DEFAULT_MAX_AGE))


# ---------------------------------------------------------------- rebuilding

def _zeros(**values):
    """The fact columns for a UNION ALL branch: the given expressions, 0 for the rest (typed for PostgreSQL)."""
    columns = []
    for name in FACT_COLUMNS:
        if name in values:
            columns.append(values[name].label(name) if hasattr(values[name], "label") else
                           sa.literal(values[name]).label(name))
        elif name == "score_sum":
            columns.append(sa.cast(sa.null(), sa.Float).label(name))
        else:
            columns.append(sa.cast(sa.literal(0), sa.Integer).label(name))
    return columns


def _month_facts(year: int, ids=None, exams=None, requirements=None):
    """Fact rows of ``year``, one per exam pair, material pair and credit row: (user_id, month, facts…).

    ``ids`` narrows them to some people (a list, or an expanding bind parameter: the incremental recount);
    None is everyone. ``exams`` and ``requirements`` are looked up when not given.
    """
    people = User.id.in_(ids) if ids is not None else None
    parts = []
    exams = figures.year_exams("/", year) if exams is None else exams
    if exams:
        rows = figures.exam_rows(None, exams, people=people).subquery("exam_facts")
        parts.append(sa.select(rows.c.user_id, sa.cast(rows.c.month, sa.Integer).label("month"), *_zeros(
            exam_due=sa.literal(1), exam_sat=rows.c.sat, exam_passed=rows.c.passed, exam_excellent=rows.c.excellent,
            exam_makeup=rows.c.makeup, score_sum=rows.c.score, score_n=rows.c.sat,
            **{f"bin{i}": sa.case((rows.c.bin == i, 1), else_=0) for i in range(5)},
            unmet=1 - rows.c.passed)))
    requirements = figures.requirements_for(Period("year", year)) if requirements is None else requirements
    if requirements.ids:
        rows = required_rows(None, requirements, people=people).subquery("material_facts")
        due_year = sa.cast(sa.extract("year", rows.c.due_date), sa.Integer)
        month = sa.case((due_year < year, 1), (due_year > year, 12),
                        else_=sa.cast(sa.extract("month", rows.c.due_date), sa.Integer))
        parts.append(sa.select(rows.c.user_id, month.label("month"), *_zeros(
            mat_due=sa.literal(1), mat_done=rows.c.done, unmet=1 - rows.c.done)))
    held = OfflineSession.held_on
    attendance = (sa.select(OfflineAttendance.user_id,
                            sa.cast(sa.extract("month", held), sa.Integer).label("month"), *_zeros(sessions=sa.literal(1)))
                  .join(OfflineSession, OfflineSession.id == OfflineAttendance.session_id)
                  .join(User, User.id == OfflineAttendance.user_id)
                  .where(held >= date(year, 1, 1), held < date(year + 1, 1, 1), examinee(),
                         OfflineSession.confirmed_at.is_not(None)))
    online = StudyCredit.source.in_(figures.ONLINE_SOURCES)
    credits = (sa.select(StudyCredit.user_id, sa.cast(StudyCredit.month, sa.Integer).label("month"), *_zeros(
        seconds=StudyCredit.seconds,
        online_seconds=sa.case((online, StudyCredit.seconds), else_=0),
        offline_seconds=sa.case((StudyCredit.source == "offline", StudyCredit.seconds), else_=0)))
        .join(User, User.id == StudyCredit.user_id)
        .where(StudyCredit.year == year, examinee()))
    if ids is not None:
        attendance = attendance.where(OfflineAttendance.user_id.in_(ids))
        credits = credits.where(StudyCredit.user_id.in_(ids))
    parts += [attendance, credits]
    return sa.union_all(*parts).subquery("facts")


def _lock(year: int):
    """Serialise rebuilds of one year: an advisory lock on PostgreSQL, the write lock (BEGIN IMMEDIATE) on SQLite.

    Taken before the age of the roll-up is read again, so a request that waited finds the fresh rebuild.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_BASE + year})
        # Short analytic statements: JIT compilation costs more than it saves here.
        connection.execute(sa.text("SET LOCAL jit = off"))
        connection.execute(sa.text("SET LOCAL work_mem = '64MB'"))
    elif connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def refresh(year: int, *, if_older_than: float | None = None) -> Refresh:
    """Rebuild the roll-up of ``year`` in the current transaction (the caller commits).

    With ``if_older_than`` (seconds), a roll-up rebuilt that recently — by this
    or a concurrent request — is kept as it is.
    """
    _lock(year)
    now = utcnow()
    existing = db.session.get(Refresh, year, populate_existing=True)
    if (existing is not None and if_older_than is not None
            and (now - existing.computed_at).total_seconds() < if_older_than):
        return existing
    started = time.perf_counter()
    person, unit = PersonStat.__table__, UnitStat.__table__
    db.session.execute(sa.delete(person).where(person.c.year == year))
    db.session.execute(sa.delete(unit).where(unit.c.year == year))
    _insert_person_rows(year)
    _insert_unit_rows(year)
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(person).where(person.c.year == year)) or 0
    values = {"computed_at": now, "duration_ms": int((time.perf_counter() - started) * 1000), "person_rows": rows}
    if existing is None:
        existing = Refresh(year=year, **values)
        db.session.add(existing)
        db.session.flush()
    else:  # one UPDATE every time, whether or not the values differ, and the loaded row kept in step
        db.session.execute(sa.update(Refresh).where(Refresh.year == year).values(**values)
                           .execution_options(synchronize_session=False))
        for key, value in values.items():
            set_committed_value(existing, key, value)
    if db.session.connection().dialect.name == "postgresql":
        # Fresh statistics, so the planner reads the new rows by their keys.
        db.session.execute(sa.text("ANALYZE report_person_stats, report_unit_stats"))
    return existing


def _insert_person_rows(year: int, ids=None):
    """Person rows of ``year`` (of the people ``ids``, or everyone)."""
    for stmt in person_row_statements(year, ids):
        db.session.execute(stmt)


def person_row_statements(year: int, ids=None, exams=None, requirements=None) -> list:
    """The three INSERT … SELECTs of person rows, run in order: months summed from the facts, then quarters
    and the year summed from the months. Built once and reused by the incremental recount (with ``ids`` an
    expanding bind parameter): building these expressions costs more than running them for one person."""
    person = PersonStat.__table__
    facts = _month_facts(year, ids, exams, requirements)
    sums = [sa.func.sum(facts.c[name]) for name in FACT_COLUMNS]
    sums[FACT_COLUMNS.index("online_months")] = sa.case((sa.func.sum(facts.c.online_seconds) > 0, 1), else_=0)
    statements = [sa.insert(person).from_select(
        ["year", "slot", "user_id", *FACT_COLUMNS],
        sa.select(sa.literal(year), facts.c.month, facts.c.user_id, *[sa.func.coalesce(s, 0) for s in sums])
        .group_by(facts.c.user_id, facts.c.month)
        # Stored month by month, so that reading one period touches only its own pages.
        .order_by(facts.c.month, facts.c.user_id))]
    months = sa.select(person).where(person.c.year == year, person.c.slot <= 12)
    if ids is not None:
        months = months.where(person.c.user_id.in_(ids))
    months = months.subquery("months")
    quarter = SLOT_QUARTER + (months.c.slot + 2) // 3
    for slot, keys in ((quarter, [months.c.user_id, quarter]), (sa.literal(SLOT_YEAR), [months.c.user_id])):
        statements.append(sa.insert(person).from_select(
            ["year", "slot", "user_id", *FACT_COLUMNS],
            sa.select(sa.literal(year), slot, months.c.user_id, *[sa.func.sum(months.c[n]) for n in FACT_COLUMNS])
            .group_by(*keys)))
    return statements


# Unit-row columns counted from the 在册 population (users), and from person rows (what people achieved).
CATEGORY_COLUMNS = {code: f"cat_{code}" for code in CATEGORIES}
POPULATION_COLUMNS = ("people", *CATEGORY_COLUMNS.values(), "shufa_people", "shufa_untargeted")
PERSON_COLUMNS = ("persons", "obliged", "complete", "online_people", "outsiders", "shufa_sat_all",
                  "shufa_passed_all", "shufa_hours_met", "aides_trained", "scored", "studied")
UNIT_EXTRA = (*POPULATION_COLUMNS, *PERSON_COLUMNS)


def target_seconds(user=User):
    """Each person's yearly 学时 target in seconds, by their 人员类别 (0 for a category without one), as
    ``study.services.all_targets`` decides it: the administrator's ``study_targets`` row, else the default.

    Read in SQL (the few target rows), so a statement built once stays right when targets change; a change of
    targets also rebuilds the roll-up (``study_targets`` is a definition table for the upkeep).
    """
    defaults = setting("STUDY_TARGET_HOURS")
    stored = sa.select(StudyTarget.hours).where(StudyTarget.category == user.category).scalar_subquery()
    default = sa.case({code: float(defaults.get(code, 0)) for code in CATEGORIES}, value=user.category, else_=0.0)
    return sa.func.coalesce(stored, default) * (minutes_per_hour() * 60)


def trained_seconds() -> float:
    """A 法律明白人 counts as trained with at least one 学时 of study in the year (online or offline)."""
    return minutes_per_hour() * 60


def person_contributions(year: int, people=None, target=None):
    """What each person row adds to its person's unit row: (slot, unit_id, people=0, …, persons=1, obliged, …,
    facts) — the columns of ``UNIT_EXTRA`` then ``FACT_COLUMNS``."""
    person = PersonStat.__table__
    obliged = (person.c.exam_due + person.c.mat_due) > 0
    outside = sa.case(*[(person.c.slot == s, sa.case((in_population(slot_period(year, s)), 0), else_=1))
                        for s in range(1, SLOT_YEAR + 1)], else_=0)
    inside = outside == 0

    def flag(*conditions):
        return sa.case((sa.and_(*conditions), 1), else_=0)

    shufa = User.shufa.is_(True)
    due = person.c.exam_due > 0
    target = target_seconds() if target is None else target
    stmt = (sa.select(person.c.slot, User.unit_id, *[sa.literal(0).label(n) for n in POPULATION_COLUMNS],
                      sa.literal(1).label("persons"), flag(obliged).label("obliged"),
                      flag(obliged, person.c.unmet == 0).label("complete"),
                      flag(person.c.online_months > 0).label("online_people"), outside.label("outsiders"),
                      flag(shufa, due, person.c.exam_sat == person.c.exam_due, inside).label("shufa_sat_all"),
                      flag(shufa, due, person.c.exam_passed == person.c.exam_due, inside).label("shufa_passed_all"),
                      flag(shufa, target > 0, person.c.seconds >= target, inside)
                      .label("shufa_hours_met"),
                      flag(User.category == "legal_aide", person.c.seconds >= trained_seconds(), inside)
                      .label("aides_trained"),
                      flag(person.c.score_n > 0).label("scored"),
                      flag(person.c.seconds > 0, inside).label("studied"),
                      *[person.c[n] for n in FACT_COLUMNS])
            .join(User, User.id == person.c.user_id).where(person.c.year == year))
    return stmt.where(people) if people is not None else stmt


def _insert_unit_rows(year: int, unit_ids=None):
    """Unit rows (of ``unit_ids``, or every unit): each person's facts added to their unit, plus the 在册
    population of every slot."""
    target = target_seconds()
    facts = person_contributions(year, User.unit_id.in_(unit_ids) if unit_ids is not None else None, target)
    zero_facts = [sa.cast(sa.literal(0), sa.Float if n == "score_sum" else sa.Integer).label(n)
                  for n in FACT_COLUMNS]
    # Who counts in each population column (among examinees 在册 in the slot).
    who = {"people": sa.true(), **{column: User.category == code for code, column in CATEGORY_COLUMNS.items()},
           "shufa_people": User.shufa.is_(True),
           "shufa_untargeted": sa.and_(User.shufa.is_(True), target <= 0)}
    per_unit = (sa.select(User.unit_id.label("unit_id"),
                          *[sa.func.sum(sa.case((sa.and_(in_population(slot_period(year, s)), condition), 1),
                                                else_=0)).label(f"{name}_{s}")
                            for s in range(1, SLOT_YEAR + 1) for name, condition in who.items()])
                .where(examinee(), User.unit_id.in_(unit_ids) if unit_ids is not None else sa.true())
                .group_by(User.unit_id).subquery("population"))
    population = [sa.select(sa.literal(s).label("slot"), per_unit.c.unit_id,
                            *[per_unit.c[f"{name}_{s}"].label(name) for name in POPULATION_COLUMNS],
                            *[sa.literal(0).label(name) for name in PERSON_COLUMNS], *zero_facts)
                  for s in range(1, SLOT_YEAR + 1)]
    rows = sa.union_all(facts, *population).subquery("unit_facts")
    extra = UNIT_EXTRA
    db.session.execute(sa.insert(UnitStat.__table__).from_select(
        ["year", "slot", "unit_id", *extra, *FACT_COLUMNS],
        sa.select(sa.literal(year), rows.c.slot, rows.c.unit_id,
                  *[sa.func.sum(rows.c[n]) for n in extra], *[sa.func.sum(rows.c[n]) for n in FACT_COLUMNS])
        .group_by(rows.c.slot, rows.c.unit_id)))


def is_stale(row: Refresh | None) -> bool:
    return row is None or (utcnow() - row.computed_at).total_seconds() >= max_age()


def vacuum():
    """Reclaim the rows a rebuild replaced (PostgreSQL; run outside a transaction, as the cron command does)."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE report_person_stats, report_unit_stats")


# ---------------------------------------------------------------- reading

def _figure_sums(table):
    return [sa.func.sum(table.c[n]).label(n) for n in FIGURE_COLUMNS]


def figures_by_bucket(root: Unit, period: Period, level: int = 1) -> dict[int, Figures]:
    """{bucket unit id: Figures} for the units ``level`` levels below ``root`` (and 本级 at level 1).

    On PostgreSQL one grouped query: the bucket is the path segment ``level`` levels below the root
    (``split_part``), so only the buckets' sums leave the database (at a million cadres: 19 ms instead of
    ~430 ms of adding up 28,601 unit rows in Python). SQLite has no ``split_part``: two queries, the subtree's
    unit rows of the slot and its unit paths, and each unit's row is added to its bucket — a loop over units,
    never over people (a county's few hundred units).
    """
    stats = UnitStat.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        return _figures_by_bucket_grouped(root, period, level)
    rows = db.session.execute(
        sa.select(stats.c.unit_id, *[stats.c[n] for n in FIGURE_COLUMNS])
        .where(stats.c.year == period.year, stats.c.slot == slot_of(period),
               stats.c.unit_id.in_(subtree(root.path)))).all()
    if not rows:
        return {}
    paths = dict(db.session.execute(sa.select(Unit.id, Unit.path).where(Unit.path.startswith(root.path))).all())
    start = len(root.path)
    sums: dict[int, list] = {}
    for unit_id, *values in rows:
        path = paths.get(unit_id)
        if path is None:
            continue
        segments = path[start:].strip("/").split("/") if len(path) > start else []
        if len(segments) >= level:
            bucket = int(segments[level - 1])
        elif level == 1:
            bucket = root.id  # 本级
        else:
            continue
        found = sums.get(bucket)
        if found is None:
            sums[bucket] = list(values)
        else:
            for i, value in enumerate(values):
                found[i] += value
    per_hour = minutes_per_hour()
    return {bucket: Figures.from_mapping(dict(zip(FIGURE_COLUMNS, values)), per_hour)
            for bucket, values in sums.items()}


def _figures_by_bucket_grouped(root: Unit, period: Period, level: int) -> dict[int, Figures]:
    stats = UnitStat.__table__
    # "/1/4/9/".split("/") is ["", "1", "4", "9", ""]: the root's own id is part root.path.count("/") - 1 + 1.
    bucket = sa.func.split_part(Unit.path, "/", root.path.count("/") + level).label("bucket")
    per_hour = minutes_per_hour()
    found = {}
    for row in db.session.execute(
            sa.select(bucket, *_figure_sums(stats))
            .select_from(stats).join(Unit, Unit.id == stats.c.unit_id)
            .where(stats.c.year == period.year, stats.c.slot == slot_of(period), Unit.path.startswith(root.path))
            .group_by(bucket)).mappings():
        if row["bucket"]:
            found[int(row["bucket"])] = Figures.from_mapping(row, per_hour)
        elif level == 1:  # units above the bucket level: only the root itself, 本级
            found[root.id] = Figures.from_mapping(row, per_hour)
    return found


def total(root: Unit, period: Period) -> Figures:
    """The figures of ``root``'s whole subtree for ``period`` (one query over its unit rows)."""
    return total_and_counts(root, period)[0]


def total_and_counts(root: Unit, period: Period, counts=()) -> tuple[Figures, dict]:
    """The figures of ``root``'s subtree for ``period`` and the sums of some other unit-row ``counts`` columns
    (``CATEGORY_COLUMNS``, the 述法对象 counts …), in the same query."""
    stats = UnitStat.__table__
    row = db.session.execute(
        sa.select(*_figure_sums(stats), *[sa.func.sum(stats.c[n]).label(n) for n in counts])
        .where(stats.c.year == period.year, stats.c.slot == slot_of(period),
               stats.c.unit_id.in_(subtree(root.path)))).mappings().one()
    return Figures.from_mapping(row, minutes_per_hour()), {n: int(row[n] or 0) for n in counts}


def sums(root: Unit, period: Period, columns) -> dict:
    """The sums of some unit-row ``columns`` over ``root``'s subtree for ``period`` (only those: at a province
    root, adding up 28,000 rows of every figure costs several times one column)."""
    stats = UnitStat.__table__
    row = db.session.execute(
        sa.select(*[sa.func.sum(stats.c[n]).label(n) for n in columns])
        .where(stats.c.year == period.year, stats.c.slot == slot_of(period),
               stats.c.unit_id.in_(subtree(root.path)))).mappings().one()
    return {n: int(row[n] or 0) for n in columns}


def unit_counts(root: Unit, period: Period, columns, *, where=None) -> list:
    """(unit_id, path, *columns) of the subtree's unit rows for ``period`` (optionally only rows ``where``)."""
    stats = UnitStat.__table__
    stmt = (sa.select(stats.c.unit_id, Unit.path, *[stats.c[n] for n in columns])
            .join(Unit, Unit.id == stats.c.unit_id)
            .where(stats.c.year == period.year, stats.c.slot == slot_of(period), Unit.path.startswith(root.path)))
    if where is not None:
        stmt = stmt.where(where(stats))
    return db.session.execute(stmt).all()


# What the trend shows (people, 参考率, 合格率, 平均分, 人均学时) and the dashboard compares with the month before
# (优秀率, 完成率, 必修资料完成率 too): at a province root the trend adds up some 340,000 unit rows, and summing
# these columns instead of all of them takes about half the time.
TREND_COLUMNS = ("people", "exam_due", "exam_sat", "exam_passed", "exam_excellent", "score_sum", "score_n",
                 "seconds", "obliged", "complete", "mat_due", "mat_done")


def trend(root: Unit, year: int, last_month: int = 12) -> list[dict]:
    """Per month of ``year`` up to ``last_month``: the subtree's trend figures (``TREND_COLUMNS``; one query)."""
    stats = UnitStat.__table__
    per_hour = minutes_per_hour()
    found = {row["slot"]: Figures.from_mapping(row, per_hour) for row in db.session.execute(
        sa.select(stats.c.slot, *[sa.func.sum(stats.c[n]).label(n) for n in TREND_COLUMNS])
        .where(stats.c.year == year, stats.c.slot <= last_month, stats.c.unit_id.in_(subtree(root.path)))
        .group_by(stats.c.slot)).mappings()}
    return [{"month": m, "label": f"{m}月", "figures": found.get(m, Figures(minutes_per_hour=per_hour))}
            for m in range(1, last_month + 1)]


def distribution(f: Figures) -> list[dict]:
    """How many counting scores (百分制) fall in each band of ``SCORE_BINS``."""
    return [{"label": label, "low": low, "count": count}
            for (low, _, label), count in zip(figures.SCORE_BINS, f.bins)]


def person_stats(period: Period):
    """The roll-up rows of one period, as a subquery to outer-join people to (user_id and the fact columns)."""
    stats = PersonStat.__table__
    return (sa.select(stats.c.user_id, *[stats.c[n] for n in FACT_COLUMNS])
            .where(stats.c.year == period.year, stats.c.slot == slot_of(period)).subquery("stats"))


def computed_at(year: int):
    row = db.session.get(Refresh, year)
    return row.computed_at if row is not None else None


def freshness(year: int) -> dict:
    """When the year's figures were last rebuilt and whether they are older than the allowed age (for the pages)."""
    row = db.session.get(Refresh, year)
    return {"at": row.computed_at if row is not None else None, "missing": row is None, "stale": is_stale(row),
            "minutes": int(max_age() // 60)}


def stale_years(now=None) -> list[int]:
    """Years whose roll-up exists and is older than the allowed age (for ``flask reports refresh --stale``)."""
    now = now or utcnow()
    limit = timedelta(seconds=max_age())
    return [r.year for r in db.session.scalars(sa.select(Refresh).order_by(Refresh.year))
            if now - r.computed_at >= limit]
