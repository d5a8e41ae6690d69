"""学法积分: points for finished 每日一练, completed required materials and passed required exams.

Optional per deployment (``POINTS_ENABLED``, off by default). Points are never stored: every figure is one
query over the rows the other modules already decided (a done daily set, a reading the study-time rules
completed, an exam result kept current by grading), so a regraded exam or a re-read material can neither
double count nor leave stale points, and nothing the honest-time rules refused is ever counted. The rule is
the constants below; the 积分规则 page renders from them, so page and computation cannot disagree.
Points are an encouragement only: they never replace 参考率, 合格率 or 学时. Read-only, no writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from ..accounts.models import Unit, User
from ..accounts.scope import subtree_unit_ids
from ..common.auth import LEARNERS
from ..common.clock import to_local
from ..common.paging import Page
from ..exams.models import Exam, ExamResult
from ..extensions import db
from ..practice.models import PracticeSession
from ..study.models import Material, MaterialRequirement, StudyProgress
from .daily import DAILY_SIZE, day_bounds
from .models import DailySet

# ---------------------------------------------------------------- the published rule

DAILY_DONE = 5            # every question of the day's 每日一练 answered
DAILY_PER_CORRECT = 1     # and one more per correct answer in it
MATERIAL_DONE = 10        # a material required of the person that year, completed by the study-time rules
EXAM_PASSED = 20          # a required exam's counting result 合格
EXAM_EXCELLENT = 10       # and more when that result's band is 优秀
EXCELLENT_BAND = "优秀"
DAILY_CAP = DAILY_DONE + DAILY_PER_CORRECT * DAILY_SIZE  # one set a day, so 每日一练 gives at most this a day

SOURCES = {"daily": "每日一练", "material": "必学材料", "exam": "考试"}


@dataclass(frozen=True)
class Rule:
    source: str
    earns: str   # what earns the points
    points: str  # how many
    limit: str   # how often it can count


RULES = (
    Rule("daily", f"当天的每日一练 {DAILY_SIZE} 题全部作答", f"{DAILY_DONE} 分，每答对一题另加 {DAILY_PER_CORRECT} 分",
         f"每天一组，每天最多 {DAILY_CAP} 分"),
    Rule("material", "完成一份本年度的必学材料（按学时规则判定“已完成”：阅读时间达到要求并读到结尾）",
         f"{MATERIAL_DONE} 分", "每份材料每年一次，重复阅读不再计分"),
    Rule("exam", "必考考试成绩合格（按计分的那次成绩）", f"{EXAM_PASSED} 分，成绩为“{EXCELLENT_BAND}”另加 {EXAM_EXCELLENT} 分",
         "每场考试一次；成绩更正后积分随之更正"),
)


def enabled() -> bool:
    return bool(current_app.config.get("POINTS_ENABLED"))


# ---------------------------------------------------------------- the entries, one query

def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The UTC instants at which local ``year`` starts and the next one starts."""
    return day_bounds(date(year, 1, 1))[0], day_bounds(date(year + 1, 1, 1))[0]


def entries(year: int, user_ids: sa.Select) -> sa.Subquery:
    """Every points entry of ``year`` for the people in ``user_ids``:
    (user_id, source, ref_id, title, day, at, points), one row per done set, material and exam."""
    start, end = year_bounds(year)
    correct = sa.case((PracticeSession.correct_count > DAILY_SIZE, DAILY_SIZE), else_=PracticeSession.correct_count)
    daily = (
        sa.select(DailySet.user_id, sa.literal("daily").label("source"), DailySet.id.label("ref_id"),
                  sa.literal("").label("title"), DailySet.day.label("day"),
                  PracticeSession.last_activity_at.label("at"),
                  (DAILY_DONE + DAILY_PER_CORRECT * correct).label("points"))
        .join(PracticeSession, PracticeSession.id == DailySet.session_id)
        .where(DailySet.user_id.in_(user_ids), DailySet.day >= date(year, 1, 1), DailySet.day <= date(year, 12, 31),
               PracticeSession.total > 0, PracticeSession.position >= PracticeSession.total))
    person_unit, required_unit = aliased(Unit), aliased(Unit)
    required = (
        sa.select(MaterialRequirement.id)
        .outerjoin(required_unit, required_unit.id == MaterialRequirement.unit_id)
        .where(MaterialRequirement.material_id == StudyProgress.material_id,
               MaterialRequirement.year == StudyProgress.year,
               sa.or_(MaterialRequirement.unit_id.is_(None), person_unit.path.startswith(required_unit.path)))
        .exists())
    material = (
        sa.select(StudyProgress.user_id, sa.literal("material"), StudyProgress.material_id, Material.title,
                  sa.cast(sa.null(), sa.Date), StudyProgress.completed_at, sa.literal(MATERIAL_DONE))
        .join(Material, Material.id == StudyProgress.material_id)
        .join(User, User.id == StudyProgress.user_id).join(person_unit, person_unit.id == User.unit_id)
        .where(StudyProgress.user_id.in_(user_ids), StudyProgress.year == year,
               StudyProgress.completed_at.is_not(None), required))
    exam = (
        sa.select(ExamResult.user_id, sa.literal("exam"), ExamResult.exam_id, Exam.title,
                  sa.cast(sa.null(), sa.Date), ExamResult.submitted_at,
                  EXAM_PASSED + sa.case((ExamResult.band == EXCELLENT_BAND, EXAM_EXCELLENT), else_=0))
        .join(Exam, Exam.id == ExamResult.exam_id)
        .where(ExamResult.user_id.in_(user_ids), ExamResult.passed.is_(True), Exam.required.is_(True),
               ExamResult.submitted_at >= start, ExamResult.submitted_at < end))
    return sa.union_all(daily, material, exam).subquery("points_entries")


def totals(year: int, user_ids: sa.Select) -> sa.Subquery:
    """Per person with any points: (user_id, total, daily, material, exam)."""
    e = entries(year, user_ids)
    by = {source: sa.func.coalesce(sa.func.sum(sa.case((e.c.source == source, e.c.points), else_=0)), 0)
          .label(source) for source in SOURCES}
    return (sa.select(e.c.user_id, sa.func.sum(e.c.points).label("total"), *by.values())
            .group_by(e.c.user_id).subquery("points_totals"))


# ---------------------------------------------------------------- a person's own points

@dataclass
class Entry:
    source: str
    title: str
    day: date
    points: int

    @property
    def source_label(self):
        return SOURCES[self.source]


@dataclass
class MyPoints:
    year: int
    total: int
    by_source: dict[str, int]
    recent: list[Entry]
    rank: int          # within the person's own unit, 1 = most points
    unit_size: int     # the unit's learners


def _members(unit_id: int) -> sa.Select:
    return sa.select(User.id).where(User.unit_id == unit_id, User.active.is_(True), User.role.in_(LEARNERS))


def mine(user: User, year: int, recent: int = 20) -> MyPoints:
    """The person's points of ``year``: total, by source, the latest ``recent`` entries, and their place among
    their unit's learners (four small queries; the 首页 card asks for no entries and makes three)."""
    e = entries(year, sa.select(sa.literal(user.id)))
    by_source = {source: 0 for source in SOURCES}
    by_source.update(db.session.execute(sa.select(e.c.source, sa.func.sum(e.c.points)).group_by(e.c.source)).all())
    total = sum(by_source.values())
    listed = []
    if recent:
        rows = db.session.execute(sa.select(e).order_by(e.c.at.desc(), e.c.ref_id.desc()).limit(recent)).all()
        listed = [Entry(row.source, row.title or SOURCES[row.source],
                        row.day if row.day is not None else to_local(row.at).date(), row.points) for row in rows]
    t = totals(year, _members(user.unit_id))
    ahead = db.session.scalar(sa.select(sa.func.count()).select_from(t).where(t.c.total > total))
    size = db.session.scalar(sa.select(sa.func.count()).select_from(_members(user.unit_id).subquery()))
    return MyPoints(year, total, by_source, listed, ahead + 1, size)


# ---------------------------------------------------------------- leaders: by unit and by person

@dataclass
class UnitRow:
    unit: Unit
    label: str
    has_children: bool
    people: int = 0
    earning: int = 0  # people with any points
    total: int = 0

    @property
    def average(self):
        return round(self.total / self.people, 1) if self.people else 0.0


def learners_under(root: Unit) -> sa.Select:
    """Ids of the active learners at or below ``root``."""
    return sa.select(User.id).where(User.unit_id.in_(subtree_unit_ids(root.path)), User.active.is_(True),
                                    User.role.in_(LEARNERS))


def by_unit(root: Unit, year: int) -> tuple[list[UnitRow], UnitRow]:
    """Each direct sub-unit of ``root`` (its whole subtree) and ``root``'s own people, with learners, learners
    with points and points; and the whole of ``root``. Three queries whatever the size of the tree."""
    children = db.session.scalars(sa.select(Unit).where(Unit.parent_id == root.id)
                                  .order_by(Unit.sort_order, Unit.name, Unit.id)).all()
    parents = set(db.session.scalars(sa.select(Unit.parent_id).where(Unit.parent_id.in_([c.id for c in children]))))
    child, member_unit = aliased(Unit), aliased(Unit)
    learner = sa.and_(User.active.is_(True), User.role.in_(LEARNERS))
    buckets = sa.union_all(
        sa.select(User.id.label("user_id"), child.id.label("bucket"))
        .join(member_unit, member_unit.id == User.unit_id)
        .join(child, sa.and_(child.parent_id == root.id, member_unit.path.startswith(child.path)))
        .where(learner),
        sa.select(User.id, sa.literal(root.id)).where(User.unit_id == root.id, learner),
    ).subquery("buckets")
    t = totals(year, learners_under(root))
    figures = {row.bucket: row for row in db.session.execute(
        sa.select(buckets.c.bucket, sa.func.count().label("people"), sa.func.count(t.c.user_id).label("earning"),
                  sa.func.coalesce(sa.func.sum(t.c.total), 0).label("total"))
        .select_from(buckets).outerjoin(t, t.c.user_id == buckets.c.user_id).group_by(buckets.c.bucket))}
    rows = [UnitRow(unit, unit.name, unit.id in parents) for unit in children]
    own = UnitRow(root, f"{root.name}（本级）", False)
    if root.id in figures:
        rows.append(own)
    whole = UnitRow(root, f"{root.name}（合计）", False)
    for row in rows:
        found = figures.get(row.unit.id)
        if found is not None:
            row.people, row.earning, row.total = found.people, found.earning, int(found.total)
        whole.people += row.people
        whole.earning += row.earning
        whole.total += row.total
    return rows, whole


PEOPLE_SORTS = ("total", "name")


def people_stmt(root: Unit, year: int, sort: str = "total") -> sa.Select:
    """(User, unit name, total, daily, material, exam) for the active learners at or below ``root``."""
    t = totals(year, learners_under(root))
    total = sa.func.coalesce(t.c.total, 0)
    order = (total.desc(), User.name, User.id) if sort == "total" else (User.name, User.id)
    return (sa.select(User, Unit.name.label("unit_name"), total.label("total"),
                      *(sa.func.coalesce(t.c[source], 0).label(source) for source in SOURCES))
            .join(Unit, Unit.id == User.unit_id).outerjoin(t, t.c.user_id == User.id)
            .where(User.id.in_(learners_under(root))).order_by(*order))


def people_page(root: Unit, year: int, page: int, per_page: int, sort: str = "total") -> Page:
    stmt = people_stmt(root, year, sort)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(learners_under(root).subquery()))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(rows, page, per_page, count)
