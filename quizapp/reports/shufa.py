"""述法 sheets (领导干部学法情况): one person's year of law study, for the 述法 report.

One builder serves a single sheet and the batch of every 述法对象 in a
subtree: each section is one query over all the people asked for, grouped in
Python by person, so the batch costs the same handful of queries as one sheet.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ..accounts.models import Unit, User
from ..exams.models import Exam, ExamResult
from ..extensions import db
from ..study.models import CATEGORIES as STUDY_CATEGORIES
from ..study.models import Material, OfflineAttendance, OfflineSession, StudyCredit
from ..study.materials import Requirements, required_rows
from ..study.services import all_targets, minutes_per_hour
from . import figures, queries
from .models import ShufaText
from .figures import in_population, subtree
from .periods import Period


@dataclass
class ExamLine:
    exam: Exam
    sat: bool
    score: float | None  # 百分制
    band: str
    passed: bool
    makeup: bool

    @property
    def status(self):
        if not self.sat:
            return "未参考"
        return "合格" if self.passed else "不合格"


@dataclass
class ShufaSheet:
    person: User
    unit_name: str
    year: int
    scope_name: str
    credits: dict = field(default_factory=dict)  # category -> seconds
    target_hours: float = 0.0
    materials: list = field(default_factory=list)  # (title, due_date, done, seconds)
    sessions: list = field(default_factory=list)  # (held_on, kind, topic, minutes)
    exams: list = field(default_factory=list)  # ExamLine
    unit_rank: queries.Rank | None = None
    shufa_rank: queries.Rank | None = None
    per_hour: float = 45.0
    edited: object = None  # a ShufaText: the leader's own wording, used instead of the generated paragraph

    # ------------------------------------------------------------ derived

    @property
    def credit_rows(self):
        """(category, 学时) in the study categories' order, then any others."""
        order = [c for c in STUDY_CATEGORIES if c in self.credits] + [c for c in self.credits
                                                                      if c not in STUDY_CATEGORIES]
        return [(c, self.hours_of(self.credits[c])) for c in order]

    def hours_of(self, seconds):
        return round((seconds or 0) / 60.0 / self.per_hour, 1)

    @property
    def total_hours(self):
        return self.hours_of(sum(self.credits.values()))

    @property
    def reached_target(self):
        return self.total_hours >= self.target_hours if self.target_hours else True

    @property
    def materials_done(self):
        return sum(1 for _, _, done, _ in self.materials if done)

    @property
    def sat_exams(self):
        return [line for line in self.exams if line.sat]

    @property
    def average(self):
        scores = [line.score for line in self.exams if line.sat and line.score is not None]
        return round(sum(scores) / len(scores), 1) if scores else None

    @property
    def all_passed(self):
        return bool(self.exams) and all(line.passed for line in self.exams)

    @property
    def passed_count(self):
        return sum(1 for line in self.exams if line.passed)

    @property
    def generated_paragraph(self):
        return paragraph(self)

    @property
    def paragraph(self):
        """What goes into the 述法 report: the leader's kept wording, else the generated paragraph."""
        return self.edited.text if self.edited is not None else paragraph(self)


def fmt(value):
    """A figure as Chinese reports print it: 42.5, 40 (no trailing .0)."""
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def completion(sheet: ShufaSheet) -> str:
    """"complete", "partial" or "none": what the year's figures show, which decides the paragraph's wording."""
    if not (sheet.total_hours > 0 or sheet.materials_done or sheet.sessions or sheet.sat_exams):
        return "none"
    materials_done = sheet.materials_done == len(sheet.materials)
    exams_passed = not sheet.exams or sheet.all_passed
    return "complete" if sheet.reached_target and materials_done and exams_passed else "partial"


def named(titles, marks="《》", limit=5) -> str:
    """Items named the way a report names them: 《甲》、《乙》等7项 beyond ``limit``."""
    shown = "、".join(f"{marks[0]}{t}{marks[1]}" for t in titles[:limit])
    return shown + (f"等{len(titles)}项" if len(titles) > limit else "")


def paragraph(sheet: ShufaSheet) -> str:
    """The ready-to-paste 学法情况 paragraph of a 述法 report, worded by what the figures show.

    Praise ("认真落实…") only for a year whose targets were all met; a partial year names what is missing;
    a year with nothing recorded says so plainly instead of listing zeros.
    """
    name = sheet.person.name
    state = completion(sheet)
    missing_materials = [title for title, _, done, _ in sheet.materials if not done]
    absent = [line.exam.title for line in sheet.exams if not line.sat]
    failed = [line.exam.title for line in sheet.exams if line.sat and not line.passed]
    if state == "none":
        parts = [f"{name}同志{sheet.year}年度在本系统尚无学法记录"]
        if sheet.target_hours:
            parts.append(f"学时为0（年度目标{fmt(sheet.target_hours)}学时）")
        if sheet.materials:
            all_ = "均" if len(missing_materials) > 1 else ""
            parts.append(f"必修学习资料{named(missing_materials)}{all_}未完成")
        if sheet.exams:
            all_ = "均" if len(absent) > 1 else ""
            parts.append(f"应参加的{len(sheet.exams)}次年度必考学法考试（{named(absent, '“”')}）{all_}未参加")
        return "，".join(parts) + "。"
    opening = "认真落实领导干部学法制度" if state == "complete" else "参加学法学习"
    parts = [f"{name}同志{sheet.year}年度{opening}"]
    study = f"全年累计学法{fmt(sheet.total_hours)}学时"
    rows = [(c, h) for c, h in sheet.credit_rows if h > 0]
    if rows:
        study += "（其中" + "、".join(f"{c}{fmt(h)}学时" for c, h in rows) + "）"
    if sheet.target_hours:
        if sheet.reached_target:
            study += f"，达到年度{fmt(sheet.target_hours)}学时的目标要求"
        else:
            study += f"，距年度{fmt(sheet.target_hours)}学时的目标尚差{fmt(round(sheet.target_hours - sheet.total_hours, 1))}学时"
    parts.append(study)
    if sheet.materials:
        materials = f"完成必修学习资料{sheet.materials_done}项（共{len(sheet.materials)}项）"
        if missing_materials:
            materials += f"，尚未完成{named(missing_materials)}"
        parts.append(materials)
    if sheet.sessions:
        kinds = []
        for _, kind, _, _ in sheet.sessions:
            if kind not in kinds:
                kinds.append(kind)
        parts.append(f"参加{'、'.join(kinds)}等线下学法活动{len(sheet.sessions)}次")
    text = "，".join(parts) + "。"
    if sheet.exams:
        sat = len(sheet.sat_exams)
        exam = f"参加年度必考学法考试{sat}次"
        if sat < len(sheet.exams):
            exam = f"应参加年度必考学法考试{len(sheet.exams)}次，实际参加{sat}次"
        if sheet.average is not None:
            exam += f"，平均成绩{fmt(sheet.average)}分"
        if sheet.all_passed:
            exam += "，全部合格"
        else:
            exam += f"，其中{sheet.passed_count}次合格、{len(sheet.exams) - sheet.passed_count}次未合格（含未参考）"
            if absent:
                exam += f"，未参加{named(absent, '“”')}"
            if failed:
                exam += f"，{named(failed, '“”')}未合格"
        ranks = []
        if sat and sheet.unit_rank and sheet.unit_rank.rank:
            ranks.append(f"在本单位排名第{sheet.unit_rank.rank}位（共{sheet.unit_rank.of}人）")
        if sat and sheet.shufa_rank and sheet.shufa_rank.rank:
            ranks.append(f"在{sheet.scope_name}述法对象中排名第{sheet.shufa_rank.rank}位（共{sheet.shufa_rank.of}人）")
        text += exam + ("；" + "，".join(ranks) if ranks else "") + "。"
    else:
        text += "本年度无必考学法考试。"
    return text


# ---------------------------------------------------------------- building

def shufa_people(root: Unit, year: int):
    """述法对象 of the subtree who are 在册 in ``year``, in unit order (a select of User, Unit)."""
    period = Period("year", year)
    return (sa.select(User, Unit).join(Unit, Unit.id == User.unit_id)
            .where(User.unit_id.in_(subtree(root.path)), User.shufa.is_(True), figures.examinee(),
                   in_population(period))
            .order_by(Unit.path, User.name, User.id))


@dataclass
class Context:
    """What every sheet of one subtree and year shares, computed once per export."""

    root: Unit
    year: int
    exams: list
    requirements: Requirements
    per_hour: float
    targets: dict
    shufa_ranks: dict  # user id -> Rank among the 述法对象 of root
    shufa_ranked: int

    @property
    def period(self):
        return Period("year", self.year)

    @classmethod
    def load(cls, root: Unit, year: int, user_ids=None) -> Context:
        period = Period("year", year)
        shufa = User.shufa.is_(True)
        ranks = queries.ranks_of(root, period, user_ids, people=shufa)
        of, _ = queries.ranked_counts(root, period, people=shufa)
        return cls(root, year, figures.period_exams(root.path, period), figures.requirements_for(period),
                   minutes_per_hour(), all_targets(), ranks, of)


def build_sheets(root: Unit, year: int, people: list[tuple[User, Unit]], context: Context | None = None):
    """The sheets of ``people`` (all within ``root``), in the order given, with a fixed number of queries."""
    if not people:
        return []
    ids = [user.id for user, _ in people]
    context = context or Context.load(root, year, ids)
    chosen = User.id.in_(ids)
    names = queries.unit_names(unit for _, unit in people)
    sheets = {user.id: ShufaSheet(person=user, unit_name=names.get(unit.id, unit.name), year=year,
                                  scope_name=root.name, target_hours=context.targets.get(user.category, 0.0),
                                  per_hour=context.per_hour,
                                  shufa_rank=context.shufa_ranks.get(user.id, queries.Rank(None, context.shufa_ranked)))
              for user, unit in people}
    for user_id, category, seconds in db.session.execute(
            sa.select(StudyCredit.user_id, StudyCredit.category, sa.func.sum(StudyCredit.seconds))
            .where(StudyCredit.year == year, StudyCredit.user_id.in_(ids))
            .group_by(StudyCredit.user_id, StudyCredit.category)):
        sheets[user_id].credits[category] = int(seconds or 0)
    if context.requirements.ids:
        mats = required_rows(root.path, context.requirements, people=chosen).subquery("mats")
        for user_id, title, due, done, seconds in db.session.execute(
                sa.select(mats.c.user_id, Material.title, mats.c.due_date, mats.c.done, mats.c.seconds)
                .join(Material, Material.id == mats.c.material_id).order_by(mats.c.due_date, Material.title)):
            sheets[user_id].materials.append((title, due, bool(done), int(seconds or 0)))
    for user_id, held_on, kind, topic, minutes in db.session.execute(
            sa.select(OfflineAttendance.user_id, OfflineSession.held_on, OfflineSession.kind, OfflineSession.topic,
                      OfflineSession.minutes)
            .join(OfflineSession, OfflineSession.id == OfflineAttendance.session_id)
            .where(OfflineAttendance.user_id.in_(ids), OfflineSession.confirmed_at.is_not(None),
                   OfflineSession.held_on >= date(year, 1, 1),
                   OfflineSession.held_on < date(year + 1, 1, 1))
            .order_by(OfflineSession.held_on, OfflineSession.id)):
        sheets[user_id].sessions.append((held_on, kind, topic, minutes))
    if context.exams:
        exams = {e.id: e for e in context.exams}
        rows = figures.exam_rows(root.path, context.exams, people=chosen).subquery("rows")
        for user_id, exam_id, sat, passed, makeup, score, band in db.session.execute(
                sa.select(rows.c.user_id, rows.c.exam_id, rows.c.sat, rows.c.passed, rows.c.makeup, rows.c.score,
                          ExamResult.band)
                .outerjoin(ExamResult, sa.and_(ExamResult.exam_id == rows.c.exam_id,
                                               ExamResult.user_id == rows.c.user_id))):
            sheets[user_id].exams.append(ExamLine(exams[exam_id], bool(sat),
                                                  round(float(score), 1) if score is not None else None,
                                                  band or "", bool(passed), bool(makeup)))
        order = {e.id: i for i, e in enumerate(context.exams)}
        for sheet in sheets.values():
            sheet.exams.sort(key=lambda line: order[line.exam.id])
    _attach_unit_ranks(root, context.period, sheets, {unit.id for _, unit in people})
    for edited in db.session.scalars(sa.select(ShufaText).where(ShufaText.user_id.in_(ids), ShufaText.year == year)):
        sheets[edited.user_id].edited = edited
    return [sheets[user.id] for user, _ in people]


def _attach_unit_ranks(root: Unit, period: Period, sheets: dict, unit_ids: set):
    """Rank by 平均分 among everyone of each person's own unit (two queries for all the units)."""
    same_units = User.unit_id.in_(unit_ids)
    ranks = queries.ranks_of(root, period, list(sheets), people=same_units, per_unit=True)
    _, per_unit = queries.ranked_counts(root, period, people=same_units)
    for user_id, sheet in sheets.items():
        sheet.unit_rank = ranks.get(user_id, queries.Rank(None, int(per_unit.get(sheet.person.unit_id, 0))))


def sheet_for(root: Unit, person: User, year: int) -> ShufaSheet:
    return build_sheets(root, year, [(person, person.unit)])[0]


# ---------------------------------------------------------------- spreadsheet rows

SUMMARY_HEADER = ["单位", "姓名", "职务", "人员类别", "学时合计", *STUDY_CATEGORIES, "年度学时目标", "学时达标",
                  "必修资料（完成/应完成）", "线下学法（次）", "必考考试（场）", "参考（场）", "合格（场）", "平均分",
                  "全部合格", "本单位排名", "述法对象排名", "学法情况（可直接粘贴）"]
SUMMARY_WIDTHS = [30, 10, 16, 12, 10] + [10] * len(STUDY_CATEGORIES) + [12, 8, 14, 10, 10, 8, 8, 8, 8, 14, 14, 80]
EXAM_HEADER = ["单位", "姓名", "考试", "期次", "成绩（百分制）", "等次", "是否合格", "补考"]
EXAM_WIDTHS = [30, 10, 36, 10, 12, 8, 8, 6]
SESSION_HEADER = ["单位", "姓名", "日期", "类型", "主题", "学时"]
SESSION_WIDTHS = [30, 10, 12, 10, 40, 8]
MATERIAL_HEADER = ["单位", "姓名", "必修资料", "截止日期", "是否完成", "已学习（分钟）"]
MATERIAL_WIDTHS = [30, 10, 40, 12, 8, 12]


def summary_row(sheet: ShufaSheet):
    credit = dict(sheet.credit_rows)
    return [sheet.unit_name, sheet.person.name, sheet.person.title, sheet.person.category_label, sheet.total_hours,
            *[credit.get(c, 0.0) for c in STUDY_CATEGORIES], sheet.target_hours, sheet.reached_target,
            f"{sheet.materials_done}/{len(sheet.materials)}", len(sheet.sessions), len(sheet.exams),
            len(sheet.sat_exams), sheet.passed_count, sheet.average, sheet.all_passed if sheet.exams else "",
            sheet.unit_rank.label if sheet.unit_rank else "", sheet.shufa_rank.label if sheet.shufa_rank else "",
            sheet.paragraph]


def exam_rows(sheet: ShufaSheet):
    for line in sheet.exams:
        yield [sheet.unit_name, sheet.person.name, line.exam.title, line.exam.period, line.score, line.band,
               line.status, "是" if line.makeup else ""]


def session_rows(sheet: ShufaSheet):
    for held_on, kind, topic, minutes in sheet.sessions:
        yield [sheet.unit_name, sheet.person.name, held_on, kind, topic, sheet.hours_of(minutes * 60)]


def material_rows(sheet: ShufaSheet):
    for title, due, done, seconds in sheet.materials:
        yield [sheet.unit_name, sheet.person.name, title, due, done, seconds // 60]


def iter_batches(root: Unit, year: int, batch_size: int = 500):
    """Sheets of every 述法对象 under ``root``, built ``batch_size`` people at a time (bounded memory)."""
    context = Context.load(root, year)
    stmt = shufa_people(root, year)
    last = None
    while True:
        page = stmt
        if last is not None:
            page = page.where(sa.tuple_(Unit.path, User.name, User.id) > sa.tuple_(*last))
        people = db.session.execute(page.limit(batch_size)).all()
        if not people:
            return
        yield build_sheets(root, year, [(user, unit) for user, unit in people], context)
        user, unit = people[-1]
        last = (unit.path, user.name, user.id)
        if len(people) < batch_size:
            return


def batch_filler(root: Unit, year: int, progress=None):
    """A function that writes every 述法对象 of ``root`` into a StreamingWorkbook: a summary row each, and details.

    ``progress(done)`` is told how many people are written after each batch (the job page shows it).
    """
    from ..accounts.services import unit_full_name

    title = f"{unit_full_name(root)} {year}年度领导干部学法情况"

    def fill(book):
        summary = book.sheet("述法对象汇总", SUMMARY_HEADER, SUMMARY_WIDTHS, title)
        exams = book.sheet("考试明细", EXAM_HEADER, EXAM_WIDTHS)
        sessions = book.sheet("线下学法", SESSION_HEADER, SESSION_WIDTHS)
        materials = book.sheet("必修资料", MATERIAL_HEADER, MATERIAL_WIDTHS)
        done = 0
        for batch in iter_batches(root, year):
            done += len(batch)
            for sheet in batch:
                summary.append(summary_row(sheet))
                for row in exam_rows(sheet):
                    exams.append(row)
                for row in session_rows(sheet):
                    sessions.append(row)
                for row in material_rows(sheet):
                    materials.append(row)
            if progress is not None:
                progress(done)

    return fill
