"""我的学习档案: one person's year in one printable page — 学时 by category and month, materials, offline
sessions, exam results with bands, certificates, and their place in their unit where allowed."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..accounts.models import User
from ..exams.models import Certificate, Exam, ExamResult
from ..extensions import db
from ..study.models import CATEGORIES as STUDY_CATEGORIES
from ..study.models import LawVersion, StudyCredit, StudyProgress
from . import queries
from .figures import score100
from .periods import Period
from .shufa import ShufaSheet, build_sheets


@dataclass
class Archive:
    sheet: ShufaSheet  # 学时 by category, required materials, sessions, required exams (shared with 述法 sheets)
    grid: dict = field(default_factory=dict)  # (category, month) -> seconds
    other_results: list = field(default_factory=list)  # (exam, result, score100) of exams that are not required
    reading: list = field(default_factory=list)  # StudyProgress rows of the year (materials and laws)
    certificates: list = field(default_factory=list)
    unit_rank_score: queries.Rank | None = None
    unit_rank_hours: queries.Rank | None = None

    @property
    def person(self):
        return self.sheet.person

    @property
    def categories(self):
        present = {c for c, _ in self.grid}
        return [c for c in STUDY_CATEGORIES if c in present] + sorted(present - set(STUDY_CATEGORIES))

    def hours(self, seconds):
        return self.sheet.hours_of(seconds)

    def cell(self, category, month):
        return self.hours(self.grid.get((category, month), 0))

    def month_total(self, month):
        return self.hours(sum(s for (c, m), s in self.grid.items() if m == month))

    def category_total(self, category):
        return self.hours(sum(s for (c, m), s in self.grid.items() if c == category))


def archive_for(person, year: int, *, with_rank: bool) -> Archive:
    """Everything the archive shows, in a fixed number of queries (the 述法 builder plus five)."""
    sheet = build_sheets(person.unit, year, [(person, person.unit)])[0]
    archive = Archive(sheet=sheet)
    for category, month, seconds in db.session.execute(
            sa.select(StudyCredit.category, StudyCredit.month, sa.func.sum(StudyCredit.seconds))
            .where(StudyCredit.user_id == person.id, StudyCredit.year == year)
            .group_by(StudyCredit.category, StudyCredit.month)):
        archive.grid[(category, month)] = int(seconds or 0)
    required = {line.exam.id for line in sheet.exams}
    archive.other_results = [
        (exam, result, round(float(score), 1) if score is not None else None)
        for exam, result, score in db.session.execute(
            sa.select(Exam, ExamResult, score100()).join(ExamResult, ExamResult.exam_id == Exam.id)
            .where(ExamResult.user_id == person.id, Exam.period.startswith(str(year)))
            .order_by(Exam.open_at)).all()
        if exam.id not in required]
    archive.reading = db.session.scalars(
        sa.select(StudyProgress).where(StudyProgress.user_id == person.id, StudyProgress.year == year)
        .order_by(StudyProgress.last_at.desc())
        .options(sa.orm.joinedload(StudyProgress.material),
                 sa.orm.joinedload(StudyProgress.law_version).joinedload(LawVersion.law))).all()
    archive.certificates = db.session.scalars(
        sa.select(Certificate).where(Certificate.user_id == person.id).order_by(Certificate.year.desc())).all()
    if with_rank:
        archive.unit_rank_score = _rank_in_unit(person, year, "average")
        archive.unit_rank_hours = _rank_in_unit(person, year, "hours")
    return archive


def _rank_in_unit(person, year, by):
    period = Period("year", year)
    same_unit = User.unit_id == person.unit_id
    rank = queries.ranks_of(person.unit, period, [person.id], by, people=same_unit).get(person.id)
    if rank is None:
        of, _ = queries.ranked_counts(person.unit, period, by, people=same_unit)
        rank = queries.Rank(None, of)
    return rank


def unit_ranking(person, year: int, by="average", limit=100):
    """The personal ranking of the person's own unit (shown to cadres only when the setting allows it)."""
    rows = db.session.execute(queries.ranking_people(person.unit, Period("year", year), by,
                                                     people=User.unit_id == person.unit_id).limit(limit)).all()
    return [queries.PersonRow.of(row) for row in rows]

