"""Lists of people behind the figures: the people table, rankings, 未完成名单 and one person's ranks.

People and their units come from the live tables; their figures from the
roll-up of the period (``rollup.person_stats``). Each list is one statement
paged in SQL; the 未完成名单 adds, for the people on one page only, what
exactly each has not finished (live, from ``figures``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa

from ..accounts.models import Unit, User
from ..exams.models import Exam
from ..common.paging import Page
from ..extensions import db
from ..study.materials import required_rows
from ..study.models import Material
from . import figures, rollup
from .figures import examinee, in_population, subtree
from .models import FACT_COLUMNS
from .periods import Period

PEOPLE_SORTS = {
    "unit": "单位", "name": "姓名", "average": "平均分", "hours": "学时", "sat": "参考", "passed": "合格",
    "materials": "必修资料", "complete": "是否完成",
}
RANK_METRICS = {"average": "平均分", "hours": "学时"}
UNIT_METRICS = {"completion_rate": "完成率", "pass_rate": "合格率", "average": "平均分",
                "hours_per_person": "人均学时", "participation": "参考率", "excellent_rate": "优秀率"}
UNFINISHED_KINDS = {"": "全部", "exam": "考试", "material": "必修资料"}


def paginate(stmt, page: int, per_page: int, total: int | None = None, *, key=None, parts=None) -> Page:
    """Rows (not scalars) of one page, and the total (counted unless known), in one to three statements.

    With ``key`` (the id column of the rows' first entity) the page is found on narrow rows first — only
    the ids, sorted — and the full rows of those ids are loaded after: sorting a province's people then
    moves ids, not whole records. ``parts`` (with ``key``) are statements whose rows, one part after the
    other, are ``stmt``'s rows in order: each part can then be read in the order of an index.
    """
    if total is None:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    offset = (page - 1) * per_page
    if key is None:
        return Page(db.session.execute(stmt.limit(per_page).offset(offset)).all(), page, per_page, total)
    ids = []
    for part in parts or (stmt,):  # the parts, in turn, are the whole ordered list
        found = db.session.scalars(part.with_only_columns(key, maintain_column_froms=True)
                                   .limit(per_page - len(ids)).offset(offset)).all()
        ids += found
        if len(ids) == per_page:
            break
        # This part is done: the next one starts at its beginning, or after what of the offset this part held.
        offset = 0 if found else offset - (db.session.scalar(
            sa.select(sa.func.count()).select_from(part.order_by(None).subquery())) or 0)
    rows = db.session.execute(stmt.where(key.in_(ids)).order_by(None)).all() if ids else []
    place = {ident: n for n, ident in enumerate(ids)}
    return Page(sorted(rows, key=lambda row: place[row[0].id]), page, per_page, total)


# ---------------------------------------------------------------- unit names

def unit_names(units) -> dict[int, str]:
    """Full names ("县/乡/村") of some units, from one query over their ancestors (for a page of rows)."""
    units = set(units)
    ids = {i for unit in units for i in unit.ancestor_ids()}
    names = dict(db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all()) if ids else {}
    return {unit.id: "/".join(names.get(i, "?") for i in unit.ancestor_ids()) for unit in units}


def subtree_names(root: Unit) -> dict[int, str]:
    """Full names of every unit of ``root``'s subtree, from one query (for exports of any size)."""
    rows = db.session.execute(sa.select(Unit.id, Unit.name, Unit.path).where(
        sa.or_(Unit.path.startswith(root.path), Unit.id.in_(root.ancestor_ids())))).all()
    names = {uid: name for uid, name, _ in rows}
    return {uid: "/".join(names.get(int(i), "?") for i in path.strip("/").split("/"))
            for uid, _, path in rows if path.startswith(root.path)}


# ---------------------------------------------------------------- one row per person

def _people(root: Unit, period: Period, people=None, *, entities=True):
    """(select, stats subquery, average expression) of everyone in the subtree with their figures.

    With ``entities`` the rows start with User and Unit; without, with user_id and unit_id.
    """
    stats = rollup.person_stats(period)
    average = sa.case((stats.c.score_n > 0, stats.c.score_sum / stats.c.score_n), else_=None)
    in_pop = sa.case((in_population(period), 1), else_=0)
    columns = [sa.func.coalesce(stats.c[n], 0).label(n) for n in
               ("exam_due", "exam_sat", "exam_passed", "exam_excellent", "exam_makeup", "mat_due", "mat_done",
                "seconds", "unmet")]
    head = [User, Unit] if entities else [User.id.label("user_id"), User.unit_id.label("unit_id")]
    stmt = (sa.select(*head, in_pop.label("in_pop"), *columns, average.label("average"))
            .select_from(User).join(Unit, Unit.id == User.unit_id)
            .outerjoin(stats, stats.c.user_id == User.id)
            # 在册 people, and anyone else with something to show for the period
            .where(User.unit_id.in_(subtree(root.path)), examinee(),
                   sa.or_(in_population(period), stats.c.user_id.is_not(None))))
    if people is not None:
        stmt = stmt.where(people)
    return stmt, stats, average


def people_stmt(root: Unit, period: Period, *, search="", sort="unit", descending=False, people=None):
    """One row per person of the subtree (User, Unit, figures), sortable on ``PEOPLE_SORTS``.

    Sorted by a figure of ``FIGURE_SORTS`` (平均分, 学时), ties go in account order (highest first, earliest
    account first; ascending is that list reversed), the order of the roll-up's indexes that ``figure_parts``
    reads; people without a score go last either way.
    """
    stmt, stats, average = _people(root, period, people)
    stmt = _name_filter(stmt, search)
    seconds = sa.func.coalesce(stats.c.seconds, 0)
    complete = sa.case((sa.and_(stats.c.exam_due + stats.c.mat_due > 0, stats.c.unmet == 0), 1), else_=0)
    column = {"unit": Unit.path, "name": User.name, "average": average, "hours": seconds,
              "sat": sa.func.coalesce(stats.c.exam_sat, 0), "passed": sa.func.coalesce(stats.c.exam_passed, 0),
              "materials": sa.func.coalesce(stats.c.mat_done, 0), "complete": complete}.get(sort, Unit.path)
    keys = [column.desc() if descending else column.asc()]
    if sort in FIGURE_SORTS:
        keys.append(User.id.asc() if descending else User.id.desc())
        if sort == "average":  # people without a score go last either way
            keys.insert(0, sa.case((average.is_(None), 1), else_=0))
    return stmt.order_by(*keys, User.name, User.id)


FIGURE_SORTS = ("average", "hours")


def _mean(stats):
    """The average score where ``score_n > 0``, written as the index ix_report_person_stats_average_expr has it
    (SQLAlchemy's "/" would add a CAST to NUMERIC, and the index would no longer match)."""
    return stats.c.score_sum.op("/", return_type=sa.Float)(stats.c.score_n)


def _figure(stats, by):
    """(the figure, who has it, who has not) for reading people in the order of the roll-up's index on ``by``."""
    if by == "hours":
        return stats.c.seconds, stats.c.seconds > 0, sa.or_(stats.c.user_id.is_(None), stats.c.seconds <= 0)
    return _mean(stats), stats.c.score_n > 0, sa.or_(stats.c.user_id.is_(None), stats.c.score_n <= 0)


def figure_parts(root: Unit, period: Period, by: str, *, search="", descending=False, people=None):
    """``people_stmt`` sorted by 平均分 or 学时, as two parts for ``paginate``: the people with the figure, in the
    order of the roll-up's index on it (a province's first page reads 20 index entries instead of sorting a
    million people), and those without it — after them (last either way for 平均分, as in ``people_stmt``;
    first when 学时 ascends, since they have 0)."""
    stmt, stats, _ = _people(root, period, people)
    return _figure_parts(_name_filter(stmt, search), stats, by, descending)


def _figure_parts(stmt, stats, by, descending):
    figure, has, has_not = _figure(stats, by)
    if descending:
        having = stmt.where(has).order_by(figure.desc(), stats.c.user_id.asc())
        lacking = stmt.where(has_not).order_by(User.id.asc())
    else:
        having = stmt.where(has).order_by(figure.asc(), stats.c.user_id.desc())
        lacking = stmt.where(has_not).order_by(User.id.desc())
    return (lacking, having) if by == "hours" and not descending else (having, lacking)


def _name_filter(stmt, search):
    if search:
        stmt = stmt.where(sa.or_(User.name.contains(search, autoescape=True),
                                 User.login.contains(search, autoescape=True)))
    return stmt


@dataclass
class PersonRow:
    user: User
    unit: Unit
    in_pop: bool
    exam_due: int
    exam_sat: int
    exam_passed: int
    exam_excellent: int
    exam_makeup: int
    mat_due: int
    mat_done: int
    seconds: int
    unmet: int
    average: float | None
    rank: int | None = None

    @classmethod
    def of(cls, row):
        user, unit, in_pop, due, sat, passed, excellent, makeup, mat_due, mat_done, seconds, unmet, average = row[:13]
        return cls(user, unit, bool(in_pop), int(due), int(sat), int(passed), int(excellent), int(makeup),
                   int(mat_due), int(mat_done), int(seconds), int(unmet),
                   round(float(average), 1) if average is not None else None,
                   int(row[13]) if len(row) > 13 and row[13] is not None else None)

    @property
    def obliged(self):
        return self.exam_due + self.mat_due > 0

    @property
    def complete(self):
        return self.obliged and self.unmet == 0


# ---------------------------------------------------------------- rankings

def _ranked(root: Unit, period: Period, by="average", *, people=None, partition_by_unit=False):
    """People ranked by 平均分 (those who sat) or 学时 (在册 people), RANK() so ties share a place."""
    stmt, stats, average = _people(root, period, people, entities=False)
    if by == "hours":
        metric = sa.func.coalesce(stats.c.seconds, 0)
        stmt = stmt.where(in_population(period))
    else:
        metric = average
        stmt = stmt.where(stats.c.score_n > 0)
    partition = {"partition_by": User.unit_id} if partition_by_unit else {}
    return stmt.add_columns(sa.func.rank().over(order_by=metric.desc(), **partition).label("rank"),
                            sa.func.count().over(**partition).label("ranked"))


def ranking_people(root: Unit, period: Period, by="average", *, people=None):
    """The ranking as (User, Unit, figures…, rank) rows ordered by place, ties in account order (as
    ``ranking_page`` reads them), ready for paging."""
    ranked = _ranked(root, period, by, people=people).subquery("ranked")
    cols = [ranked.c[n] for n in ("in_pop", "exam_due", "exam_sat", "exam_passed", "exam_excellent", "exam_makeup",
                                  "mat_due", "mat_done", "seconds", "unmet", "average", "rank")]
    return (sa.select(User, Unit, *cols).join(ranked, ranked.c.user_id == User.id)
            .join(Unit, Unit.id == User.unit_id).order_by(ranked.c.rank, User.id))


def ranking_page(root: Unit, period: Period, by: str, page: int, per_page: int) -> Page:
    """One page of ``ranking_people(root, period, by)`` without ranking everyone (which, at a million cadres,
    ``ranking_people`` does for each page).

    The people with the figure are read in the order of the roll-up's index on it, from the person before the
    page (``_figure_parts``), then — by 学时, where every 在册 person is ranked — those with none, who all share
    the last place. A place is the page's position, except that ties share the place of the first of them:
    when the page's first person ties with the one before, one more than those strictly above (counted along
    the index, at most the page's offset). The total and the count of those with study time come from the
    unit roll-up.
    """
    stmt, stats, _ = _people(root, period)
    if by == "hours":
        stmt = stmt.where(in_population(period))
        counts = rollup.sums(root, period, ("people", "studied"))
        total, with_figure = counts["people"], counts["studied"]
    else:
        total = with_figure = rollup.sums(root, period, ("scored",))["scored"]
    page = min(max(1, page), max(1, math.ceil(total / per_page)))
    offset = (page - 1) * per_page
    having, lacking = _figure_parts(stmt, stats, by, descending=True)
    figure = _figure(stats, by)[0]
    ids, places = [], {}
    if offset < with_figure:
        start = max(offset - 1, 0)
        entries = db.session.execute(having.with_only_columns(User.id, figure, maintain_column_froms=True)
                                     .limit(per_page + offset - start).offset(start)).all()
        previous = entries.pop(0)[1] if offset > start and entries else None
        place = None
        for index, (user_id, value) in enumerate(entries):
            if index == 0 and offset > 0 and value == previous:  # tied with the page before
                place = 1 + _count_above(having, figure, value, offset)
            elif index == 0 or value != previous:
                place = offset + index + 1
            previous = value
            ids.append(user_id)
            places[user_id] = place
    if len(ids) < per_page and by == "hours":  # 在册 people without study time: all share the last place
        for user_id in db.session.scalars(lacking.with_only_columns(User.id, maintain_column_froms=True)
                                          .limit(per_page - len(ids)).offset(max(0, offset - with_figure))):
            ids.append(user_id)
            places[user_id] = with_figure + 1
    rows = db.session.execute(stmt.where(User.id.in_(ids))).all() if ids else []
    order = {user_id: n for n, user_id in enumerate(ids)}
    items = [(*row, places[row[0].id]) for row in sorted(rows, key=lambda row: order[row[0].id])]
    return Page(items, page, per_page, total)


def _count_above(having, figure, value, offset) -> int:
    """How many of the people ``having`` the figure (in the index's order) have more than ``value``: all of them
    come before ``offset``, so the count reads at most that many index entries (the limit also tells the
    planner to walk the index rather than join a million people to count a few)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(
        having.where(figure > value).with_only_columns(User.id, maintain_column_froms=True)
        .limit(offset).subquery())) or 0


@dataclass
class Rank:
    rank: int | None
    of: int

    @property
    def label(self):
        return f"第{self.rank}名（共{self.of}人）" if self.rank else f"暂无名次（共{self.of}人）"


def ranks_of(root: Unit, period: Period, user_ids, by="average", *, people=None, per_unit=False) -> dict:
    """{user id: Rank} for some people in a ranking of the subtree (optionally within each person's unit)."""
    ranked = _ranked(root, period, by, people=people, partition_by_unit=per_unit).subquery("ranked")
    stmt = sa.select(ranked.c.user_id, ranked.c.rank, ranked.c.ranked)
    if user_ids is not None:
        stmt = stmt.where(ranked.c.user_id.in_(list(user_ids)))
    return {uid: Rank(int(rank), int(of)) for uid, rank, of in db.session.execute(stmt)}


def ranked_counts(root: Unit, period: Period, by="average", *, people=None) -> tuple[int, dict]:
    """How many are ranked in all, and per unit (for “暂无名次（共N人）”)."""
    ranked = _ranked(root, period, by, people=people).subquery("ranked")
    per_unit = dict(db.session.execute(sa.select(ranked.c.unit_id, sa.func.count()).group_by(ranked.c.unit_id)).all())
    return sum(per_unit.values()), per_unit


def unit_ranking(rows, metric: str):
    """Units ordered by a metric (best first; units without a value last), with competition ranks for ties."""
    present = [(unit, f) for unit, f in rows if getattr(f, metric) is not None]
    absent = [(unit, f) for unit, f in rows if getattr(f, metric) is None]
    present.sort(key=lambda pair: (-getattr(pair[1], metric), pair[0].sort_order, pair[0].name))
    ranked, previous, place = [], None, 0
    for index, (unit, f) in enumerate(present, 1):
        value = getattr(f, metric)
        if value != previous:
            place, previous = index, value
        ranked.append((place, unit, f))
    return ranked + [(None, unit, f) for unit, f in sorted(absent, key=lambda p: (p[0].sort_order, p[0].name))]


# ---------------------------------------------------------------- 未完成名单

def unfinished_stmt(root: Unit, period: Period, *, kind="", search=""):
    """People of the subtree with something unmet in the period (from the roll-up), in unit order."""
    stmt, stats, _ = _people(root, period)
    exam_unmet = stats.c.exam_due - stats.c.exam_passed
    mat_unmet = stats.c.mat_due - stats.c.mat_done
    condition = {"exam": exam_unmet > 0, "material": mat_unmet > 0}.get(kind, stats.c.unmet > 0)
    return _name_filter(stmt.where(condition), search).order_by(Unit.path, User.name, User.id)


@dataclass
class Item:
    kind: str  # "exam" or "material"
    title: str
    close_at: object = None
    due_date: object = None
    sat: bool = False
    score: float | None = None
    seconds: int = 0

    def status(self, now):
        if self.kind == "exam":
            if self.sat:
                return f"不合格（{self.score:.0f}分）" if self.score is not None else "不合格"
            return "未参考" if self.close_at is not None and self.close_at <= now else "尚未参考"
        minutes = int(self.seconds or 0) // 60
        return f"未完成（已学习{minutes}分钟）" if minutes else "未学习"

    @property
    def kind_label(self):
        return "考试" if self.kind == "exam" else "必修资料"

    @property
    def deadline(self):
        from ..common.clock import format_datetime

        if self.close_at is not None:
            return format_datetime(self.close_at)
        return self.due_date.isoformat() if self.due_date else ""


def unfinished_items(root: Unit, period: Period, user_ids, kind="") -> dict[int, list[Item]]:
    """What each of some people has not finished in the period, read live (two queries for all of them)."""
    items = {uid: [] for uid in user_ids}
    if not user_ids:
        return items
    chosen = User.id.in_(list(user_ids))
    if kind in ("", "exam"):
        exams = figures.period_exams(root.path, period)
        if exams:
            rows = figures.exam_rows(root.path, exams, people=chosen).subquery("rows")
            for user_id, title, close_at, sat, score in db.session.execute(
                    sa.select(rows.c.user_id, Exam.title, Exam.close_at, rows.c.sat, rows.c.score)
                    .join(Exam, Exam.id == rows.c.exam_id).where(rows.c.passed == 0)
                    .order_by(Exam.close_at, Exam.id)):
                items[user_id].append(Item("exam", title, close_at=close_at, sat=bool(sat),
                                           score=float(score) if score is not None else None))
    if kind in ("", "material"):
        requirements = figures.requirements_for(period)
        if requirements.ids:
            rows = required_rows(root.path, requirements, people=chosen).subquery("rows")
            for user_id, title, due, seconds in db.session.execute(
                    sa.select(rows.c.user_id, Material.title, rows.c.due_date, rows.c.seconds)
                    .join(Material, Material.id == rows.c.material_id).where(rows.c.done == 0)
                    .order_by(rows.c.due_date, Material.title)):
                items[user_id].append(Item("material", title, due_date=due, seconds=int(seconds or 0)))
    return items


def facts_for(period: Period, user_ids) -> dict[int, dict]:
    """The roll-up facts of some people in a period, {user id: {column: value}} (one query)."""
    stats = rollup.person_stats(period)
    rows = db.session.execute(sa.select(stats).where(stats.c.user_id.in_(list(user_ids)))).mappings().all()
    return {row["user_id"]: {n: row[n] for n in FACT_COLUMNS} for row in rows}
