"""Read-only questions about exams: a person's exams, an exam's roster and figures, item statistics.

Each is a handful of set-based queries; nothing loops over every cadre in Python, and nothing writes:
an attempt whose time is up but that is not yet collected is reported as such ("collecting"), not
closed here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..accounts.models import Unit, User
from ..bank.models import Question
from ..bank.qtypes import LETTERS, REGISTRY, TYPE_LABELS
from ..common.clock import format_datetime, to_local, utcnow
from ..common.paging import Page
from ..extensions import db
from . import grading
from .access import audience_users_stmt, exams_for_user_stmt
from .models import Attempt, AttemptItem, Exam, ExamOverride, ExamResult
from .sitting import standing

# 我的考试 sections, in page order. A result that failed while a chance is left (attempts in the open round, or a
# 补考 round still to come) is "retry" and stays in 待办: it is not finished for the person or for the 未完成名单.
STATE_ORDER = ("in_progress", "collecting", "pending", "retry", "passed", "failed", "absent")
SECTION_LABELS = {"in_progress": "进行中", "collecting": "收卷中", "pending": "待参加", "retry": "未通过（可补考）",
                  "passed": "已通过", "failed": "未通过", "absent": "未参加"}
TODO_STATES = ("in_progress", "pending", "retry")
ROSTER_STATUSES = {"": "全部", "absent": "未参考", "open": "作答中", "submitted": "已交卷", "passed": "合格",
                   "failed": "不合格", "flagged": "有标记"}


def makeup_ahead(info, now) -> bool:
    """A 补考 round this person may still sit opens later (its main round may still be open)."""
    exam = info.exam
    return bool(exam.makeup_enabled and exam.makeup_open_at and now < exam.makeup_open_at
                and not (info.result and info.result.passed))


def section_of(info, now) -> str:
    """Which 我的考试 section one Standing belongs in (pure)."""
    if info.state == "done":
        if info.result.passed:
            return "passed"
        return "retry" if (info.can_start or info.upcoming or makeup_ahead(info, now)) else "failed"
    if info.state == "ended":
        return "absent"
    return info.state


def days_left(close, now) -> int:
    """Whole local days from today until the window closes (0 on its last day)."""
    return max(0, (to_local(close).date() - to_local(now).date()).days)


def my_exams(user, now):
    """{section: [Standing]} for every published exam this person sits (four queries in all)."""
    exams = db.session.scalars(exams_for_user_stmt(user).order_by(Exam.close_at.desc())).all()
    ids = [e.id for e in exams]
    attempts, overrides, results = {}, {}, {}
    if ids:
        for attempt in db.session.scalars(sa.select(Attempt).where(Attempt.user_id == user.id,
                                                                   Attempt.exam_id.in_(ids))
                                          .order_by(Attempt.attempt_no)):
            attempts.setdefault(attempt.exam_id, []).append(attempt)
        overrides = {o.exam_id: o for o in db.session.scalars(
            sa.select(ExamOverride).where(ExamOverride.user_id == user.id, ExamOverride.exam_id.in_(ids)))}
        results = {r.exam_id: r for r in db.session.scalars(
            sa.select(ExamResult).where(ExamResult.user_id == user.id, ExamResult.exam_id.in_(ids)))}
    grouped = {state: [] for state in STATE_ORDER}
    for exam in exams:
        info = standing(exam, user, now, attempts=attempts.get(exam.id, []), override=overrides.get(exam.id),
                        result=results.get(exam.id))
        info.days_left = days_left(info.window_close, now) if info.window_close else None
        grouped[section_of(info, now)].append(info)
    for state in ("pending", "retry"):
        grouped[state].sort(key=lambda s: (s.upcoming, not s.exam.required, s.window_close))
    return grouped


def my_todo(user, now):
    """The exams 首页 lists under 待办: unfinished ones, required first, the soonest closing first."""
    grouped = my_exams(user, now)
    todo = [info for state in TODO_STATES for info in grouped[state]]
    return sorted(todo, key=lambda s: (s.state != "in_progress", s.upcoming, not s.exam.required, s.window_close))


def my_results(user):
    """(exam, result) for every exam this person has a result in, newest first."""
    return db.session.execute(
        sa.select(Exam, ExamResult).join(ExamResult, ExamResult.exam_id == Exam.id)
        .where(ExamResult.user_id == user.id).order_by(ExamResult.submitted_at.desc())).all()


def my_collecting(user, now):
    """(exam, attempt) for this person's attempts whose time is up but that are not yet collected."""
    return db.session.execute(
        sa.select(Exam, Attempt).join(Attempt, Attempt.exam_id == Exam.id)
        .where(Attempt.user_id == user.id, Attempt.status == "open", Attempt.deadline <= now)
        .order_by(Attempt.deadline.desc())).all()


def collecting_count(exam, now) -> int:
    """Attempts of this exam whose time is up but that are not yet collected (not in any figure yet)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(
        Attempt.exam_id == exam.id, Attempt.status == "open", Attempt.deadline <= now)) or 0


# ---------------------------------------------------------------- roster

def _attempt_summary(exam, now):
    return (sa.select(Attempt.user_id.label("user_id"), sa.func.count(Attempt.id).label("attempts"),
                      sa.func.sum(Attempt.page_leaves).label("leaves"),
                      sa.func.max(sa.case((Attempt.status == "open", 1), else_=0)).label("open_n"),
                      sa.func.max(sa.case((sa.and_(Attempt.status == "open", Attempt.deadline <= now), 1),
                                          else_=0)).label("collecting_n"),
                      sa.func.max(sa.case((Attempt.flagged_fast.is_(True), 1), else_=0)).label("fast"))
            .where(Attempt.exam_id == exam.id).group_by(Attempt.user_id).subquery())


def _people_ids(exam, within_path):
    """Everyone in the audience plus anyone who sat it and has since moved, within the viewer's subtree."""
    audience = audience_users_stmt(exam, within_path=within_path).with_only_columns(User.id)
    sat = sa.select(Attempt.user_id).where(Attempt.exam_id == exam.id)
    if within_path:
        sat = sat.join(User, User.id == Attempt.user_id).where(
            User.unit_id.in_(sa.select(Unit.id).where(Unit.path.startswith(within_path))))
    return sa.union(audience, sat).subquery()


def roster_stmt(exam, within_path=None, *, status="", unit=None, q="", now=None):
    """One row per person: user, unit, result, attempts, page-leaves, open, time-up and flag markers, override."""
    summary = _attempt_summary(exam, now or utcnow())
    people = _people_ids(exam, within_path)
    stmt = (sa.select(User, Unit, ExamResult, summary.c.attempts, summary.c.leaves, summary.c.open_n,
                      summary.c.collecting_n, summary.c.fast, ExamOverride)
            .join(people, people.c.id == User.id)
            .join(Unit, Unit.id == User.unit_id)
            .outerjoin(ExamResult, sa.and_(ExamResult.exam_id == exam.id, ExamResult.user_id == User.id))
            .outerjoin(summary, summary.c.user_id == User.id)
            .outerjoin(ExamOverride, sa.and_(ExamOverride.exam_id == exam.id, ExamOverride.user_id == User.id)))
    if status == "absent":
        stmt = stmt.where(summary.c.attempts.is_(None))
    elif status == "open":
        stmt = stmt.where(summary.c.open_n == 1)
    elif status == "submitted":
        stmt = stmt.where(ExamResult.id.is_not(None))
    elif status == "passed":
        stmt = stmt.where(ExamResult.passed.is_(True))
    elif status == "failed":
        stmt = stmt.where(ExamResult.passed.is_(False))
    elif status == "flagged":
        stmt = stmt.where(summary.c.fast == 1)
    if unit is not None:
        stmt = stmt.where(Unit.path.startswith(unit.path))
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(sa.or_(User.name.like(like), User.login.like(like)))
    return stmt.order_by(Unit.path, User.name, User.id)


def paginate_rows(stmt, page, per_page):
    """Multi-column rows a page at a time (db.paginate yields only the first column)."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    page = max(1, min(page, max(1, -(-total // per_page))))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=rows, page=page, per_page=per_page, total=total)


@dataclass
class RosterRow:
    user: User
    unit: Unit
    result: ExamResult | None
    attempts: int
    leaves: int
    in_progress: bool
    collecting: bool  # time up, not yet collected: its result is not final
    flagged: bool
    override: ExamOverride | None

    @property
    def status_label(self):
        if self.collecting:
            return "时间已到，待收卷"
        if self.in_progress:
            return "作答中"
        if self.result is not None:
            return "已交卷"
        return "未参考" if not self.attempts else "已交卷"


def roster_rows(rows):
    return [RosterRow(user=u, unit=unit, result=r, attempts=attempts or 0, leaves=int(leaves or 0),
                      in_progress=bool(open_n), collecting=bool(collecting_n), flagged=bool(fast), override=o)
            for u, unit, r, attempts, leaves, open_n, collecting_n, fast, o in rows]


def exam_figures(exam, within_path=None, now=None):
    """参考人数, 参考率, 合格率, 优秀率, 平均分 etc. for the people the viewer may see, in one query.

    "in_progress" counts people still answering; "collecting" those whose time is up but whose attempt
    is not yet collected (so not yet in the results).
    """
    summary = _attempt_summary(exam, now or utcnow())
    people = _people_ids(exam, within_path)
    top = exam.band_list[0][1] if exam.band_list else None
    row = db.session.execute(
        sa.select(sa.func.count(people.c.id),
                  sa.func.count(summary.c.user_id),
                  sa.func.count(ExamResult.id),
                  sa.func.sum(sa.case((ExamResult.passed.is_(True), 1), else_=0)),
                  sa.func.sum(sa.case((ExamResult.score >= top, 1), else_=0)) if top is not None else sa.literal(0),
                  sa.func.avg(ExamResult.score),
                  sa.func.sum(sa.case((sa.and_(summary.c.open_n == 1, summary.c.collecting_n == 0), 1), else_=0)),
                  sa.func.sum(sa.case((summary.c.collecting_n == 1, 1), else_=0)),
                  sa.func.sum(sa.case((summary.c.fast == 1, 1), else_=0)))
        .select_from(people)
        .outerjoin(summary, summary.c.user_id == people.c.id)
        .outerjoin(ExamResult, sa.and_(ExamResult.exam_id == exam.id, ExamResult.user_id == people.c.id))).one()
    total, started, submitted, passed, excellent, average, in_progress, collecting, flagged = row
    passed, excellent = int(passed or 0), int(excellent or 0)
    return {
        "total": total, "started": started, "submitted": submitted, "absent": total - started,
        "passed": passed, "excellent": excellent, "in_progress": int(in_progress or 0),
        "collecting": int(collecting or 0), "flagged": int(flagged or 0),
        "average": round(float(average), 1) if average is not None else None,
        "participation": _rate(submitted, total), "pass_rate": _rate(passed, submitted),
        "excellent_rate": _rate(excellent, submitted),
    }


def _rate(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


EXPORT_HEADER = ["单位", "姓名", "登录名", "人员类别", "职级", "状态", "考试次数", "成绩", "等次", "是否合格",
                 "用时", "离开页面次数", "用时过短", "交卷时间", "补考", "特殊安排"]


def export_rows(exam, within_path, unit_names, now=None):
    rows = [EXPORT_HEADER]
    for row in roster_rows(db.session.execute(roster_stmt(exam, within_path, now=now)).all()):
        result = row.result
        rows.append([
            unit_names.get(row.unit.id, row.unit.name), row.user.name, row.user.login, row.user.category_label,
            row.user.rank_label, row.status_label, row.attempts,
            result.score if result else None, result.band if result else "",
            ("合格" if result.passed else "不合格") if result else "",
            grading.format_duration(result.time_used) if result else "", row.leaves, "是" if row.flagged else "",
            format_datetime(result.submitted_at) if result else "", "是" if result and result.is_makeup else "",
            row.override.reason if row.override else "",
        ])
    return rows


# ---------------------------------------------------------------- item statistics

@dataclass
class ItemStat:
    question: Question
    sitters: int
    correct: int
    discrimination: float | None
    option_counts: list = field(default_factory=list)  # [(letter, text, count, is_key)]
    blank: int = 0

    @property
    def correct_rate(self):
        return round(100.0 * self.correct / self.sitters, 1) if self.sitters else None

    @property
    def type_label(self):
        return TYPE_LABELS.get(self.question.qtype, self.question.qtype)

    @property
    def review_reasons(self):
        """Why this question deserves a second look (empty when it behaves)."""
        reasons = []
        rate = self.correct_rate
        if rate is not None and rate < 30:
            reasons.append("正确率低于30%")
        if self.discrimination is not None and self.discrimination < 0.2:
            reasons.append("区分度偏低" if self.discrimination >= 0 else "区分度为负（高分组反而答错更多）")
        top_wrong = [c for letter, _, c, is_key in self.option_counts if not is_key]
        right = [c for letter, _, c, is_key in self.option_counts if is_key]
        if not self.question.type.several and top_wrong and right and max(top_wrong) > max(right):
            reasons.append("某个错误选项比正确答案更常被选")
        return reasons


def item_statistics(exam):
    """Per question over each person's counting attempt: correct rate, discrimination (27% groups), choices."""
    counting = sa.select(ExamResult.attempt_id).where(ExamResult.exam_id == exam.id,
                                                      ExamResult.attempt_id.is_not(None))
    n = db.session.scalar(sa.select(sa.func.count()).select_from(counting.subquery())) or 0
    if not n:
        return 0, []
    k = grading.group_size(n)
    ranked = (sa.select(Attempt.id.label("id"),
                        sa.func.row_number().over(order_by=(Attempt.score.desc(), Attempt.id)).label("rn"))
              .where(Attempt.id.in_(counting)).subquery())
    upper = ranked.c.rn <= k
    lower = ranked.c.rn > n - k
    correct = AttemptItem.correct.is_(True)
    rows = db.session.execute(
        sa.select(AttemptItem.question_id, sa.func.count(),
                  sa.func.sum(sa.case((correct, 1), else_=0)),
                  sa.func.sum(sa.case((upper, 1), else_=0)),
                  sa.func.sum(sa.case((sa.and_(upper, correct), 1), else_=0)),
                  sa.func.sum(sa.case((lower, 1), else_=0)),
                  sa.func.sum(sa.case((sa.and_(lower, correct), 1), else_=0)))
        .join(ranked, ranked.c.id == AttemptItem.attempt_id)
        .where(AttemptItem.question_id.is_not(None))
        .group_by(AttemptItem.question_id)).all()
    choices = {}
    for qid, response, count in db.session.execute(
            sa.select(AttemptItem.question_id, AttemptItem.bank_response, sa.func.count())
            .join(ranked, ranked.c.id == AttemptItem.attempt_id)
            .where(AttemptItem.question_id.is_not(None))
            .group_by(AttemptItem.question_id, AttemptItem.bank_response)):
        choices.setdefault(qid, []).append((response or "", count))
    questions = {q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_([r[0] for r in rows])))}
    stats = []
    for qid, sitters, right, up_n, up_right, low_n, low_right in rows:
        question = questions.get(qid)
        if question is None:
            continue
        per_letter, blank = {}, 0
        for response, count in choices.get(qid, []):
            if not response:
                blank += count
            for letter in response:
                per_letter[letter] = per_letter.get(letter, 0) + count
        options = [(LETTERS[i], text, per_letter.get(LETTERS[i], 0), LETTERS[i] in question.answer)
                   for i, text in enumerate(question.options or [])]
        stats.append(ItemStat(question=question, sitters=sitters, correct=int(right or 0),
                              discrimination=grading.discrimination_index(int(up_right or 0), int(up_n or 0),
                                                                          int(low_right or 0), int(low_n or 0)),
                              option_counts=options, blank=blank))
    order = {code: i for i, code in enumerate(REGISTRY)}
    stats.sort(key=lambda s: (order.get(s.question.qtype, 9), s.correct_rate if s.correct_rate is not None else 0))
    return n, stats
