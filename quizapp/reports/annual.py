"""Annual figures for the 法治政府建设年度报告 (学法数据): a table, ready-to-paste sentences, and the records behind each.

Each figure is one grouped query over a unit subtree and a year; every figure
names a record list (``RECORDS``) that shows, page by page and as .xlsx, the
rows it counts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app

from ..accounts.models import CATEGORIES as PERSON_CATEGORIES
from ..accounts.models import Unit, User
from ..exams.models import Exam, ExamResult
from ..extensions import db
from ..study.models import OFFLINE_KINDS, OfflineAttendance, OfflineSession, StudyCredit
from ..study.services import minutes_per_hour
from . import figures, rollup
from .figures import ONLINE_SOURCES, Figures, examinee, in_population, subtree
from .models import UnitStat
from .periods import Period
from .shufa import fmt

LEGAL_AIDE_TARGET_DEFAULT = 3


def legal_aide_target() -> int:
    return int(current_app.config.get("REPORTS_LEGAL_AIDE_TARGET", LEGAL_AIDE_TARGET_DEFAULT))


def year_bounds(year):
    return date(year, 1, 1), date(year + 1, 1, 1)


@dataclass
class Annual:
    root: Unit
    year: int
    people: int = 0
    by_category: dict = field(default_factory=dict)
    shufa: int = 0
    online_person_months: int = 0
    online_people: int = 0
    online_seconds: int = 0
    offline_seconds: int = 0
    sessions: dict = field(default_factory=dict)  # kind -> {"sessions", "cadres", "public"}
    cadre_attendance: int = 0  # attendances of cadres in the subtree, at any organiser's sessions
    exams: Figures | None = None
    exam_count: int = 0
    optional_exams: int = 0
    optional_sat: int = 0
    shufa_sat_all: int = 0
    shufa_passed_all: int = 0
    shufa_hours_met: int = 0
    villages: list = field(default_factory=list)  # (unit, aides, trained)
    aide_target: int = LEGAL_AIDE_TARGET_DEFAULT
    per_hour: float = 45.0

    def hours(self, seconds):
        return round(seconds / 60.0 / self.per_hour, 1)

    @property
    def online_hours(self):
        return self.hours(self.online_seconds)

    @property
    def offline_hours(self):
        return self.hours(self.offline_seconds)

    @property
    def hours_per_person(self):
        return round((self.online_seconds + self.offline_seconds) / 60.0 / self.per_hour / self.people, 1) \
            if self.people else None

    @property
    def session_totals(self):
        return {key: sum(v[key] for v in self.sessions.values()) for key in ("sessions", "cadres", "public")}

    @property
    def shufa_coverage(self):
        return round(100.0 * self.shufa_sat_all / self.shufa, 1) if self.shufa else None

    @cached_property  # a province has tens of thousands of villages: counted once
    def village_count(self):
        return len(self.villages)

    @cached_property
    def aides(self):
        return sum(a for _, a, _ in self.villages)

    @cached_property
    def aides_trained(self):
        return sum(t for _, _, t in self.villages)

    @cached_property
    def villages_met(self):
        return sum(1 for _, _, t in self.villages if t >= self.aide_target)

    @cached_property
    def villages_short(self):
        return [unit for unit, _, t in self.villages if t < self.aide_target]


def annual_figures(root: Unit, year: int) -> Annual:
    """Every annual figure for ``root``'s subtree: the roll-up's unit rows for the people, study and exams (so a
    province adds up unit rows, not a million people), live queries for the small tables (sessions, exams)."""
    period = Period("year", year)
    first, after = year_bounds(year)
    annual = Annual(root, year, per_hour=minutes_per_hour(), aide_target=legal_aide_target())
    totals, counts = rollup.total_and_counts(root, period, COUNT_COLUMNS)
    annual.people = totals.people
    annual.by_category = {code: counts[column] for code, column in rollup.CATEGORY_COLUMNS.items()
                          if counts[column]}
    annual.shufa = counts["shufa_people"]
    annual.shufa_sat_all, annual.shufa_passed_all = counts["shufa_sat_all"], counts["shufa_passed_all"]
    annual.shufa_hours_met = counts["shufa_hours_met"] + counts["shufa_untargeted"]
    annual.exams = totals
    annual.online_person_months, annual.online_people = totals.online_months, totals.online_people
    annual.online_seconds, annual.offline_seconds = totals.online_seconds, totals.offline_seconds
    attendance = (sa.select(OfflineAttendance.session_id, sa.func.count().label("n"))
                  .group_by(OfflineAttendance.session_id).subquery("attendance"))
    for kind, sessions, cadres, public in db.session.execute(
            sa.select(OfflineSession.kind, sa.func.count(OfflineSession.id), sa.func.sum(attendance.c.n),
                      sa.func.sum(OfflineSession.public_count))
            .outerjoin(attendance, attendance.c.session_id == OfflineSession.id)
            .where(OfflineSession.unit_id.in_(subtree(root.path)), OfflineSession.held_on >= first,
                   OfflineSession.held_on < after, OfflineSession.confirmed_at.is_not(None))
            .group_by(OfflineSession.kind)):
        annual.sessions[kind] = {"sessions": sessions, "cadres": int(cadres or 0), "public": int(public or 0)}
    annual.sessions = {k: annual.sessions[k] for k in OFFLINE_KINDS if k in annual.sessions}
    annual.cadre_attendance = totals.sessions
    annual.exam_count = len(figures.period_exams(root.path, period))
    optional = [e for e in figures.year_exams(root.path, year, required_only=False) if not e.required]
    annual.optional_exams = len(optional)
    if optional:
        in_scope = User.unit_id.in_(subtree(root.path))
        annual.optional_sat = db.session.scalar(
            sa.select(sa.func.count()).select_from(ExamResult).join(User, User.id == ExamResult.user_id)
            .where(ExamResult.exam_id.in_([e.id for e in optional]), in_scope, examinee())) or 0
    annual.villages = village_aides(root, year)
    return annual


# The unit-row counts the annual figures read besides the Figures columns.
COUNT_COLUMNS = (*rollup.CATEGORY_COLUMNS.values(), "shufa_people", "shufa_untargeted", "shufa_sat_all",
                 "shufa_passed_all", "shufa_hours_met")


def _aides(root: Unit, year: int, people=None):
    """法律明白人 of the subtree who are 在册 in the year, with the year's seconds (User, Unit, seconds)."""
    period = Period("year", year)
    stats = rollup.person_stats(period)
    stmt = (sa.select(User, Unit, sa.func.coalesce(stats.c.seconds, 0).label("seconds"))
            .join(Unit, Unit.id == User.unit_id)
            .outerjoin(stats, stats.c.user_id == User.id)
            .where(User.unit_id.in_(subtree(root.path)), User.category == "legal_aide", examinee(),
                   in_population(period)))
    if people is not None:
        stmt = stmt.where(people)
    return stmt


class Village(NamedTuple):
    """A 行政村 of the annual figures (what the page and the export show of it; a province has tens of thousands)."""

    id: int
    name: str
    path: str


def village_aides(root: Unit, year: int) -> list:
    """(village, 法律明白人 in it, trained) for every 行政村 of the subtree (including villages with none), from
    the roll-up's unit rows: each unit with 法律明白人 is added to the nearest village at or above it.

    One query reads each village with its own unit row (where nearly all 法律明白人 are placed); a second only
    the few other units with 法律明白人 (a 村民小组 below a village …) — a province has ~22,500 villages, and
    reading their rows once instead of twice keeps the annual page under 300 ms.
    """
    period = Period("year", year)
    stats = UnitStat.__table__
    rows = db.session.execute(
        sa.select(Unit.id, Unit.name, Unit.path, sa.func.coalesce(stats.c.cat_legal_aide, 0),
                  sa.func.coalesce(stats.c.aides_trained, 0))
        .outerjoin(stats, sa.and_(stats.c.unit_id == Unit.id, stats.c.year == year,
                                  stats.c.slot == rollup.slot_of(period)))
        .where(Unit.kind == "village", Unit.path.startswith(root.path)).order_by(Unit.path)).all()
    if not rows:
        return []
    villages = [[Village(uid, name, path), aides, trained] for uid, name, path, aides, trained in rows]
    by_path = {entry[0].path: entry for entry in villages}
    for _, path, aides, trained in rollup.unit_counts(
            root, period, ("cat_legal_aide", "aides_trained"),
            where=lambda unit_stats: sa.and_(unit_stats.c.cat_legal_aide > 0, Unit.kind != "village")):
        parts = path.strip("/").split("/")
        for depth in range(len(parts) - 1, 0, -1):
            entry = by_path.get("/" + "/".join(parts[:depth]) + "/")
            if entry is not None:
                entry[1] += aides
                entry[2] += trained
                break
    return [tuple(entry) for entry in villages]


# ---------------------------------------------------------------- sentences

def pct(value):
    return f"{fmt(value)}%" if value is not None else "—"


def sentences(annual: Annual) -> list[str]:
    """The figures as sentences in the style of a township's 法治政府建设年度报告."""
    lines = []
    cats = [(label, annual.by_category[c]) for c, label in PERSON_CATEGORIES.items() if annual.by_category.get(c)]
    first = f"{annual.year}年，{annual.root.name}共有在册干部{annual.people}人"
    if cats:
        first += "，其中" + "、".join(f"{label}{n}人" for label, n in cats)
    lines.append(first + "。")
    study = f"全年在线学法{annual.online_person_months}人次，累计{fmt(annual.online_hours)}学时"
    if annual.offline_seconds:
        study += f"；线下学法累计{fmt(annual.offline_hours)}学时"
    if annual.hours_per_person is not None:
        study += f"，干部人均学法{fmt(annual.hours_per_person)}学时"
    lines.append(study + "。")
    if annual.sessions:
        totals = annual.session_totals
        kinds = "、".join(f"{kind}{v['sessions']}期" if kind == "法治讲堂" else f"{kind}{v['sessions']}次"
                         for kind, v in annual.sessions.items())
        text = f"组织{kinds}，参加干部{totals['cadres']}人次"
        if totals["public"]:
            text += f"、群众{totals['public']}人次"
        lines.append(text + "。")
    if annual.exam_count:
        e = annual.exams
        text = (f"全年组织在线学法考试{annual.exam_count}次，参考{e.exam_sat}人次，参考率{pct(e.participation)}，"
                f"合格率{pct(e.pass_rate)}")
        if e.excellent_rate is not None:
            text += f"，优秀率{pct(e.excellent_rate)}"
        if e.average is not None:
            text += f"，平均分{fmt(e.average)}分"
        lines.append(text + "。")
    if annual.optional_exams:
        lines.append(f"另组织专项学法测试{annual.optional_exams}次，参加{annual.optional_sat}人次。")
    if annual.shufa:
        text = f"全{_place(annual.root)}述法对象{annual.shufa}人"
        if annual.exam_count:
            if annual.shufa_sat_all == annual.shufa:
                text += "，全部参加年度学法考试"
            else:
                text += f"，{annual.shufa_sat_all}人参加了全部年度学法考试（覆盖率{pct(annual.shufa_coverage)}）"
            text += f"，{annual.shufa_passed_all}人全部合格"
        text += f"，{annual.shufa_hours_met}人学时达到年度目标"
        lines.append(text + "。")
    if annual.villages:
        text = (f"全{_place(annual.root)}{annual.village_count}个行政村共有法律明白人{annual.aides}名，"
                f"其中本年度参加培训学习{annual.aides_trained}名；")
        if annual.villages_met == annual.village_count:
            text += f"各村均达到每村不少于{annual.aide_target}名的要求。"
        else:
            short = annual.villages_short
            names = "、".join(u.name for u in short[:10]) + ("等" if len(short) > 10 else "")
            text += (f"{annual.villages_met}个村达到每村不少于{annual.aide_target}名的要求，"
                     f"{len(short)}个村尚未达标（{names}），法律明白人培养仍需加强。")
        lines.append(text)
    return lines


def _place(root: Unit):
    """县 / 乡 / 镇 / 单位 as a report would say "全县" "全乡"."""
    name = root.name or ""
    for suffix in ("县", "市", "区", "旗", "乡", "镇", "街道", "村"):
        if name.endswith(suffix):
            return suffix
    return {"county": "县", "township": "乡", "village": "村"}.get(root.kind, "单位")


# ---------------------------------------------------------------- records behind each figure

@dataclass
class RecordSet:
    label: str
    header: list
    widths: list
    build: object  # (root, year, args) -> select
    row: object  # (row, context) -> list of cells


def _unit_cell(names, unit):
    return names.get(unit.id, unit.name)


def _people_records(root, year, args):
    stmt = (sa.select(User, Unit).join(Unit, Unit.id == User.unit_id)
            .where(User.unit_id.in_(subtree(root.path)), examinee(), in_population(Period("year", year))))
    if args.get("category") in PERSON_CATEGORIES:
        stmt = stmt.where(User.category == args["category"])
    if args.get("shufa"):
        stmt = stmt.where(User.shufa.is_(True))
    return stmt.order_by(Unit.path, User.name, User.id)


def _people_row(row, ctx):
    user, unit = row[0], row[1]
    return [_unit_cell(ctx["names"], unit), user.name, user.login, user.title, user.category_label,
            "是" if user.shufa else "", "在用" if user.active else "已停用"]


def _online_records(root, year, args):
    return (sa.select(User, Unit, StudyCredit.month, sa.func.sum(StudyCredit.seconds).label("seconds"))
            .join(User, User.id == StudyCredit.user_id).join(Unit, Unit.id == User.unit_id)
            .where(StudyCredit.year == year, StudyCredit.source.in_(ONLINE_SOURCES),
                   User.unit_id.in_(subtree(root.path)), examinee())
            .group_by(User.id, Unit.id, StudyCredit.month)
            .having(sa.func.sum(StudyCredit.seconds) > 0)
            .order_by(Unit.path, User.name, User.id, StudyCredit.month))


def _online_row(row, ctx):
    user, unit, month, seconds = row
    return [_unit_cell(ctx["names"], unit), user.name, f"{year_of(ctx)}年{month}月", round(seconds / 60),
            round(seconds / 60.0 / ctx["per_hour"], 1)]


def year_of(ctx):
    return ctx["year"]


def _session_records(root, year, args):
    first, after = year_bounds(year)
    attendance = (sa.select(OfflineAttendance.session_id, sa.func.count().label("n"))
                  .group_by(OfflineAttendance.session_id).subquery("attendance"))
    stmt = (sa.select(OfflineSession, Unit, sa.func.coalesce(attendance.c.n, 0))
            .join(Unit, Unit.id == OfflineSession.unit_id)
            .outerjoin(attendance, attendance.c.session_id == OfflineSession.id)
            .where(OfflineSession.unit_id.in_(subtree(root.path)), OfflineSession.held_on >= first,
                   OfflineSession.held_on < after, OfflineSession.confirmed_at.is_not(None)))
    if args.get("kind") in OFFLINE_KINDS:
        stmt = stmt.where(OfflineSession.kind == args["kind"])
    return stmt.order_by(OfflineSession.held_on, OfflineSession.id)


def _session_row(row, ctx):
    session, unit, cadres = row
    return [session.held_on, session.kind, session.topic, _unit_cell(ctx["names"], unit), session.minutes,
            int(cadres), session.public_count, int(cadres) + session.public_count]


def _attendance_records(root, year, args):
    first, after = year_bounds(year)
    return (sa.select(User, Unit, OfflineSession)
            .join(OfflineAttendance, OfflineAttendance.user_id == User.id)
            .join(OfflineSession, OfflineSession.id == OfflineAttendance.session_id)
            .join(Unit, Unit.id == User.unit_id)
            .where(User.unit_id.in_(subtree(root.path)), examinee(), OfflineSession.held_on >= first,
                   OfflineSession.held_on < after, OfflineSession.confirmed_at.is_not(None))
            .order_by(Unit.path, User.name, User.id, OfflineSession.held_on))


def _attendance_row(row, ctx):
    user, unit, session = row
    return [_unit_cell(ctx["names"], unit), user.name, session.held_on, session.kind, session.topic,
            session.minutes]


def _exam_records(root, year, args):
    exams = figures.period_exams(root.path, Period("year", year))
    if not exams:
        return None
    pairs = figures.exam_rows(root.path, exams).subquery("pairs")
    per_exam = (sa.select(pairs.c.exam_id, sa.func.count().label("due"), sa.func.sum(pairs.c.sat).label("sat"),
                          sa.func.sum(pairs.c.passed).label("passed"),
                          sa.func.sum(pairs.c.excellent).label("excellent"),
                          sa.func.avg(pairs.c.score).label("average"))
                .group_by(pairs.c.exam_id).subquery("per_exam"))
    return (sa.select(Exam, per_exam.c.due, per_exam.c.sat, per_exam.c.passed, per_exam.c.excellent,
                      per_exam.c.average)
            .join(per_exam, per_exam.c.exam_id == Exam.id).order_by(Exam.open_at, Exam.id))


def _rate(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def _exam_row(row, ctx):
    exam, due, sat, passed, excellent, average = row
    sat, passed, excellent = int(sat or 0), int(passed or 0), int(excellent or 0)
    return [exam.title, exam.period, exam.open_at, exam.close_at, int(due), sat, _rate(sat, due), passed,
            _rate(passed, sat), _rate(excellent, sat), round(float(average), 1) if average is not None else None]


def _pair_records(outcome):
    def build(root, year, args):
        exams = figures.period_exams(root.path, Period("year", year))
        if not exams:
            return None
        pairs = figures.exam_rows(root.path, exams).subquery("pairs")
        condition = {"due": sa.true(), "sat": pairs.c.sat == 1, "absent": pairs.c.sat == 0,
                     "passed": pairs.c.passed == 1,
                     "failed": sa.and_(pairs.c.sat == 1, pairs.c.passed == 0),
                     "excellent": pairs.c.excellent == 1}[outcome]
        stmt = (sa.select(User, Unit, Exam, ExamResult, pairs.c.score)
                .join(pairs, pairs.c.user_id == User.id).join(Exam, Exam.id == pairs.c.exam_id)
                .join(Unit, Unit.id == User.unit_id)
                .outerjoin(ExamResult, sa.and_(ExamResult.exam_id == pairs.c.exam_id,
                                               ExamResult.user_id == pairs.c.user_id))
                .where(condition))
        exam_id = args.get("exam")
        if exam_id and str(exam_id).isdigit():
            stmt = stmt.where(pairs.c.exam_id == int(exam_id))
        return stmt.order_by(Exam.open_at, Exam.id, Unit.path, User.name, User.id)

    return build


def _pair_row(row, ctx):
    user, unit, exam, result, score = row
    return [_unit_cell(ctx["names"], unit), user.name, user.phone, exam.title,
            round(float(score), 1) if score is not None else None, result.band if result else "",
            ("合格" if result.passed else "不合格") if result else "未参考", "是" if result and result.is_makeup else ""]


def _shufa_records(root, year, args):
    from . import queries

    return queries.people_stmt(root, Period("year", year), people=User.shufa.is_(True))


def _shufa_row(row, ctx):
    from . import queries

    p = queries.PersonRow.of(row)
    return [_unit_cell(ctx["names"], p.unit), p.user.name, p.user.title, p.exam_due, p.exam_sat, p.exam_passed,
            p.average, round(p.seconds / 60.0 / ctx["per_hour"], 1), f"{p.mat_done}/{p.mat_due}",
            ("是" if p.complete else "否") if p.obliged else "—"]


def _aide_records(root, year, args):
    village_id = args.get("village")
    if village_id and str(village_id).isdigit():
        village = db.session.get(Unit, int(village_id))
        if village is None or not village.is_within(root):
            return None
        root = village
    return _aides(root, year).order_by(Unit.path, User.name, User.id)


def _aide_row(row, ctx):
    user, unit, seconds = row
    hours = round(seconds / 60.0 / ctx["per_hour"], 1)
    return [_unit_cell(ctx["names"], unit), user.name, user.phone, hours,
            "是" if seconds >= rollup.trained_seconds() else "否"]


RECORDS = {
    "people": RecordSet("在册干部", ["单位", "姓名", "登录名", "职务", "人员类别", "述法对象", "状态"],
                        [30, 10, 14, 16, 12, 8, 8], _people_records, _people_row),
    "online": RecordSet("在线学法人次（按人按月）", ["单位", "姓名", "月份", "学习时长（分钟）", "学时"],
                        [30, 10, 12, 14, 8], _online_records, _online_row),
    "sessions": RecordSet("线下学法活动", ["日期", "类型", "主题", "组织单位", "时长（分钟）", "干部人次", "群众人次",
                                        "合计人次"], [12, 10, 40, 30, 10, 10, 10, 10], _session_records, _session_row),
    "attendance": RecordSet("干部参加线下学法（人次）", ["单位", "姓名", "日期", "类型", "主题", "时长（分钟）"],
                            [30, 10, 12, 10, 40, 10], _attendance_records, _attendance_row),
    "exams": RecordSet("必考学法考试", ["考试", "期次", "开始时间", "截止时间", "应参考人次", "参考人次", "参考率%",
                                    "合格人次", "合格率%", "优秀率%", "平均分"],
                       [36, 10, 16, 16, 10, 10, 8, 10, 8, 8, 8], _exam_records, _exam_row),
    "due": RecordSet("应参考人次", ["单位", "姓名", "联系电话", "考试", "成绩（百分制）", "等次", "结果", "补考"],
                     [30, 10, 14, 36, 12, 8, 8, 6], _pair_records("due"), _pair_row),
    "sat": RecordSet("参考人次", ["单位", "姓名", "联系电话", "考试", "成绩（百分制）", "等次", "结果", "补考"],
                     [30, 10, 14, 36, 12, 8, 8, 6], _pair_records("sat"), _pair_row),
    "absent": RecordSet("未参考人次", ["单位", "姓名", "联系电话", "考试", "成绩（百分制）", "等次", "结果", "补考"],
                        [30, 10, 14, 36, 12, 8, 8, 6], _pair_records("absent"), _pair_row),
    "passed": RecordSet("合格人次", ["单位", "姓名", "联系电话", "考试", "成绩（百分制）", "等次", "结果", "补考"],
                        [30, 10, 14, 36, 12, 8, 8, 6], _pair_records("passed"), _pair_row),
    "failed": RecordSet("不合格人次", ["单位", "姓名", "联系电话", "考试", "成绩（百分制）", "等次", "结果", "补考"],
                        [30, 10, 14, 36, 12, 8, 8, 6], _pair_records("failed"), _pair_row),
    "excellent": RecordSet("优秀人次", ["单位", "姓名", "联系电话", "考试", "成绩（百分制）", "等次", "结果", "补考"],
                           [30, 10, 14, 36, 12, 8, 8, 6], _pair_records("excellent"), _pair_row),
    "shufa": RecordSet("述法对象", ["单位", "姓名", "职务", "必考（场）", "参考（场）", "合格（场）", "平均分", "学时",
                                 "必修资料", "全部完成"], [30, 10, 16, 8, 8, 8, 8, 8, 10, 8],
                       _shufa_records, _shufa_row),
    "aides": RecordSet("法律明白人", ["单位", "姓名", "联系电话", "全年学时", "已培训"], [30, 10, 14, 10, 8],
                       _aide_records, _aide_row),
}
