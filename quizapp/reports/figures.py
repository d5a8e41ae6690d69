"""The definitions behind every report figure, as set-based SQL (see docs/reports.md and the 说明 page).

Three kinds of fact rows, each one statement over other domains' tables:

* exam rows — one per (person, required exam) that person should sit or has a
  result in, with the outcome from ``exam_results`` (the counting attempt);
* material rows — one per (person, required material), with completion from
  ``study_progress`` (``study.materials.required_rows``, which the study pages read too);
* credit rows — ``study_credits`` (seconds per person, month, category, source).

``rollup.refresh`` sums them per person and month into the roll-up tables;
the detail pages (述法 sheets, 学习档案, 未完成名单) run the same statements
narrowed to a few people. ``Figures`` turns sums into the published rates.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..accounts.models import Unit, User
from ..common.auth import LEARNERS
from ..exams.models import Exam, ExamResult, ExamUnit
from ..extensions import db
from ..study.materials import Requirements, year_requirements
from .periods import Period, exam_month

SCORE_BINS = [(0, 60, "60分以下"), (60, 70, "60–69分"), (70, 80, "70–79分"), (80, 90, "80–89分"),
              (90, 101, "90–100分")]
ONLINE_SOURCES = ("material", "law", "practice")


def subtree(path: str):
    """Ids of the units at or below ``path`` (one indexed prefix LIKE)."""
    return sa.select(Unit.id).where(Unit.path.startswith(path))


def examinee(user=User):
    """People who sit exams and are counted as cadres: everyone but system administrators."""
    return user.role.in_(LEARNERS)


def in_population(period: Period, user=User):
    """在册: joined before the period ended and not deactivated before it started."""
    return sa.and_(user.created_at < period.end,
                   sa.or_(user.active.is_(True), user.deactivated_at >= period.start))


# ---------------------------------------------------------------- which exams count

def exams_reaching(path: str):
    """Published exams whose audience reaches into the subtree at ``path`` (an audience unit above, at or below it)."""
    audience = aliased(Unit)
    reaching = (sa.select(ExamUnit.exam_id).join(audience, audience.id == ExamUnit.unit_id)
                .where(sa.or_(audience.path.startswith(path), sa.literal(path).startswith(audience.path))))
    return sa.select(Exam).where(Exam.status == "published", Exam.id.in_(reaching))


def year_exams(path: str, year: int, *, required_only=True) -> list[Exam]:
    """The year's published exams reaching the subtree, oldest first (a handful of rows: exams, not people)."""
    stmt = exams_reaching(path).where(Exam.period.startswith(str(year)))
    if required_only:
        stmt = stmt.where(Exam.required.is_(True))
    exams = db.session.scalars(stmt.order_by(Exam.open_at, Exam.id)).all()
    return [e for e in exams if exam_month(e)[0] == year]


def period_exams(path: str, period: Period, *, required_only=True) -> list[Exam]:
    """The required exams that count in ``period`` (by exam_month) and reach the subtree."""
    return [e for e in year_exams(path, period.year, required_only=required_only)
            if period.contains_month(*exam_month(e))]


def score100():
    """The counting score on a 100-point scale (exams may have other full marks)."""
    full_marks = sa.func.nullif(sa.cast(Exam.full_marks, sa.Float), 0.0, type_=sa.Float)
    return sa.cast(ExamResult.score, sa.Float) * 100.0 / full_marks


def _excellent_threshold(exams):
    """Per exam, the lowest score (in the exam's own points) of its top band, as a CASE over the exam id."""
    mapping = {exam.id: float(exam.band_list[0][1]) for exam in exams if exam.band_list}
    if not mapping:
        return None
    return sa.case(mapping, value=Exam.id, else_=None)


def exam_rows(path: str | None, exams, *, people=None):
    """One row per (person, exam) that counts: 应参考 or sat, with the outcome.

    A person should sit an exam when they are in its audience (unit subtree,
    人员类别, 述法 flag; not an administrator), joined before its main window
    closed and were not deactivated before it closed. Anyone with a result also
    counts: a submitted paper is never dropped from the figures.

    Columns: user_id, exam_id, month (exam_month), sat, passed, excellent,
    makeup (0/1), score (百分制, NULL when absent), bin (0–4, NULL when absent).
    ``path`` None means the whole tree; ``people`` narrows to some people.
    """
    ids = [e.id for e in exams]
    audience = aliased(Unit)
    member = aliased(Unit)
    eligible = (sa.select(ExamUnit.exam_id.label("exam_id"), member.id.label("unit_id"))
                .join(audience, audience.id == ExamUnit.unit_id)
                .join(member, member.path.startswith(audience.path))
                .where(ExamUnit.exam_id.in_(ids)))
    if path:
        eligible = eligible.where(member.path.startswith(path))
    if people is not None:  # only the units those people are in
        eligible = eligible.where(member.id.in_(sa.select(User.unit_id).where(people)))
    eligible = eligible.distinct().subquery("eligible_units")
    obliged = sa.and_(eligible.c.unit_id.is_not(None),
                      sa.or_(Exam.audience_categories == "",
                             Exam.audience_categories.contains(sa.literal(",") + User.category + ",")),
                      sa.or_(Exam.audience_shufa_only.is_(False), User.shufa.is_(True)),
                      User.created_at < Exam.close_at,
                      sa.or_(User.active.is_(True), User.deactivated_at >= Exam.close_at))
    sat = ExamResult.id.is_not(None)
    threshold = _excellent_threshold(exams)
    excellent = (sa.case((sa.and_(sat, ExamResult.score >= threshold), 1), else_=0) if threshold is not None
                 else sa.literal(0))
    # Bands of the 百分制 score, compared in the exam's own points (no division per row).
    binned = sa.case(*[(ExamResult.score * 100.0 < Exam.full_marks * high, index)
                       for index, (_, high, _) in enumerate(SCORE_BINS)], else_=len(SCORE_BINS) - 1)
    month = sa.case({e.id: exam_month(e)[1] for e in exams}, value=Exam.id, else_=0)
    stmt = (sa.select(User.id.label("user_id"), Exam.id.label("exam_id"), month.label("month"),
                      sa.case((sat, 1), else_=0).label("sat"),
                      sa.case((ExamResult.passed.is_(True), 1), else_=0).label("passed"),
                      excellent.label("excellent"),
                      sa.case((ExamResult.is_makeup.is_(True), 1), else_=0).label("makeup"),
                      score100().label("score"), sa.case((sat, binned), else_=None).label("bin"))
            .select_from(User)
            .join(Exam, Exam.id.in_(ids))
            .outerjoin(eligible, sa.and_(eligible.c.exam_id == Exam.id, eligible.c.unit_id == User.unit_id))
            .outerjoin(ExamResult, sa.and_(ExamResult.exam_id == Exam.id, ExamResult.user_id == User.id))
            .where(examinee(), sa.or_(obliged, sat)))
    if path:
        stmt = stmt.where(User.unit_id.in_(subtree(path)))
    if people is not None:
        stmt = stmt.where(people)
    return stmt


# ---------------------------------------------------------------- required materials

def requirements_for(period: Period) -> Requirements:
    """Requirements of published materials for the period's year whose due month falls in the period."""
    return year_requirements(period.year, period.months)


# ---------------------------------------------------------------- figures

@dataclass
class Figures:
    """Summed facts of a group of people; rates are derived (None when there is nothing to divide by)."""

    people: int = 0  # 在册人数
    exam_due: int = 0
    exam_sat: int = 0
    exam_passed: int = 0
    exam_excellent: int = 0
    exam_makeup: int = 0
    score_sum: float = 0.0
    score_n: int = 0
    bin0: int = 0
    bin1: int = 0
    bin2: int = 0
    bin3: int = 0
    bin4: int = 0
    mat_due: int = 0
    mat_done: int = 0
    seconds: int = 0
    online_seconds: int = 0
    offline_seconds: int = 0
    online_months: int = 0
    sessions: int = 0
    unmet: int = 0
    obliged: int = 0
    complete: int = 0
    online_people: int = 0
    outsiders: int = 0  # people with something in the period who are not 在册 in it (a late 补考, say)
    minutes_per_hour: float = field(default=45.0, compare=False)

    SUMMED = ("people", "exam_due", "exam_sat", "exam_passed", "exam_excellent", "exam_makeup", "score_sum",
              "score_n", "bin0", "bin1", "bin2", "bin3", "bin4", "mat_due", "mat_done", "seconds", "online_seconds",
              "offline_seconds", "online_months", "sessions", "unmet", "obliged", "complete", "online_people",
              "outsiders")

    @classmethod
    def from_mapping(cls, row, per_hour, **extra):
        values = {}
        for name in cls.SUMMED:
            if name in extra:
                values[name] = extra[name]
            elif name in row:
                raw = row[name] or 0
                values[name] = float(raw) if name == "score_sum" else int(raw)
        return cls(minutes_per_hour=per_hour, **values)

    def __add__(self, other):
        values = {name: getattr(self, name) + getattr(other, name) for name in self.SUMMED}
        return Figures(minutes_per_hour=self.minutes_per_hour, **values)

    @staticmethod
    def _rate(part, whole):
        return round(100.0 * part / whole, 1) if whole else None

    def hours_of(self, seconds):
        return round(seconds / 60.0 / self.minutes_per_hour, 1)

    @property
    def participation(self):
        """参考率 = 参考人次 / 应参考人次."""
        return self._rate(self.exam_sat, self.exam_due)

    @property
    def pass_rate(self):
        """合格率 = 合格人次 / 参考人次."""
        return self._rate(self.exam_passed, self.exam_sat)

    @property
    def excellent_rate(self):
        """优秀率 = 优秀人次 / 参考人次."""
        return self._rate(self.exam_excellent, self.exam_sat)

    @property
    def average(self):
        """平均分 (百分制) over the counting scores of those who sat."""
        return round(self.score_sum / self.score_n, 1) if self.score_n else None

    @property
    def absent(self):
        return self.exam_due - self.exam_sat

    @property
    def failed(self):
        return self.exam_sat - self.exam_passed

    @property
    def hours(self):
        return self.hours_of(self.seconds)

    @property
    def hours_per_person(self):
        """人均学时 = 学时 of the period / 在册人数."""
        return round(self.seconds / 60.0 / self.minutes_per_hour / self.people, 1) if self.people else None

    @property
    def material_rate(self):
        """必修资料完成率 = completed / required (person × material)."""
        return self._rate(self.mat_done, self.mat_due)

    @property
    def completion_rate(self):
        """完成率 = people who met every obligation / people with at least one."""
        return self._rate(self.complete, self.obliged)

    @property
    def incomplete(self):
        return self.obliged - self.complete

    @property
    def bins(self):
        return [self.bin0, self.bin1, self.bin2, self.bin3, self.bin4]

    def as_dict(self):
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "minutes_per_hour"}
        for name in ("participation", "pass_rate", "excellent_rate", "average", "hours", "hours_per_person",
                     "material_rate", "completion_rate", "absent", "failed", "incomplete"):
            data[name] = getattr(self, name)
        return data
