"""Exams, their papers, attempts with the paper frozen at start, overrides, results and certificates."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import CATEGORIES, RANKS, Unit, User
from ..bank.models import Bank, Question
from ..common.clock import utcnow
from ..common.types import UTCDateTime, check_in
from ..extensions import db

KINDS = {"monthly": "月度测试", "annual": "年度考试", "special": "专项测试"}
STATUSES = {"draft": "草稿", "published": "已发布"}
REVIEW_POLICIES = {
    "after_close": "考试结束后查看答案和解析",
    "immediate": "交卷后立即查看答案和解析",
    "score": "只显示成绩",
}
MULTI_SCORING = {"all": "全对才得分（少选、多选、错选均不得分）", "partial": "少选得一半分，错选不得分"}
COUNTING = {"best": "取最高分", "last": "取最后一次"}
PAPER_MODES = {"blueprint": "按规则随机抽题", "fixed": "固定题目"}
ATTEMPT_STATUSES = {"open": "作答中", "submitted": "已交卷"}
SUBMIT_KINDS = {"manual": "本人交卷", "timeout": "时间到自动收卷", "overdue": "系统收卷", "organiser": "组织者收卷"}
EVENT_KINDS = {"start": "开始作答", "resume": "继续作答", "leave": "离开考试页面", "submit": "交卷",
               "refused": "答案未被接受"}
DEFAULT_BANDS = [["优秀", 90], ["良好", 80], ["合格", 60]]


class Exam(db.Model):
    """An exam owned by a unit; its audience is units (with subtrees), optionally narrowed by category or 述法."""

    __tablename__ = "exams"
    __table_args__ = (
        check_in("kind", KINDS), check_in("status", STATUSES), check_in("review_policy", REVIEW_POLICIES),
        check_in("multi_scoring", MULTI_SCORING), check_in("counting", COUNTING),
        sa.CheckConstraint("close_at > open_at", name="window_order"),
        sa.CheckConstraint("time_limit > 0", name="time_limit_positive"),
        sa.CheckConstraint("attempts_allowed > 0", name="attempts_positive"),
        sa.Index("ix_exams_status_close", "status", "close_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(10), default="monthly", server_default="monthly")
    period: Mapped[str] = mapped_column(sa.String(7), index=True)  # "2026-11" or "2026"
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="draft", server_default="draft")
    open_at: Mapped[datetime] = mapped_column(UTCDateTime())
    close_at: Mapped[datetime] = mapped_column(UTCDateTime())
    time_limit: Mapped[int] = mapped_column(default=60, server_default="60")  # minutes
    required: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # ",leading,general," — empty means every category (a delimited string keeps the filter one LIKE).
    audience_categories: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    audience_shufa_only: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    full_marks: Mapped[float] = mapped_column(default=100, server_default="100")
    pass_mark: Mapped[float] = mapped_column(default=60, server_default="60")
    bands: Mapped[list] = mapped_column(sa.JSON, default=lambda: [list(b) for b in DEFAULT_BANDS])
    multi_scoring: Mapped[str] = mapped_column(sa.String(10), default="all", server_default="all")
    attempts_allowed: Mapped[int] = mapped_column(default=1, server_default="1")
    counting: Mapped[str] = mapped_column(sa.String(10), default="best", server_default="best")
    unseen_first: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    makeup_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    makeup_open_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    makeup_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    makeup_attempts: Mapped[int] = mapped_column(default=1, server_default="1")
    shuffle_questions: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    shuffle_options: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    review_policy: Mapped[str] = mapped_column(sa.String(12), default="after_close", server_default="after_close")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship()
    audience_units: Mapped[list[Unit]] = relationship(secondary="exam_units", order_by="Unit.path")
    variants: Mapped[list[PaperVariant]] = relationship(back_populates="exam", order_by="PaperVariant.position",
                                                        cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Exam {self.id} {self.period} {self.title!r}>"

    @property
    def kind_label(self):
        return KINDS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)

    @property
    def review_label(self):
        return REVIEW_POLICIES.get(self.review_policy, self.review_policy)

    @property
    def categories(self) -> list[str]:
        return [c for c in (self.audience_categories or "").split(",") if c]

    @categories.setter
    def categories(self, values):
        values = [v for v in CATEGORIES if v in set(values or [])]
        self.audience_categories = ("," + ",".join(values) + ",") if values else ""

    @property
    def category_labels(self):
        return [CATEGORIES[c] for c in self.categories if c in CATEGORIES]

    @property
    def year(self) -> int:
        return int(self.period[:4])

    @property
    def band_list(self) -> list[tuple[str, float]]:
        return sorted(((str(label), float(low)) for label, low in (self.bands or [])), key=lambda b: -b[1])


class ExamUnit(db.Model):
    """One audience unit of an exam; its whole subtree sits the exam."""

    __tablename__ = "exam_units"

    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), primary_key=True, index=True)

    def __repr__(self):
        return f"<ExamUnit {self.exam_id}:{self.unit_id}>"


class PaperVariant(db.Model):
    """A paper of an exam. A variant matching a person's category or rank wins over the default (no match lists)."""

    __tablename__ = "exam_papers"
    __table_args__ = (check_in("mode", PAPER_MODES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50), default="通用试卷", server_default="通用试卷")
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    mode: Mapped[str] = mapped_column(sa.String(10), default="blueprint", server_default="blueprint")
    match_categories: Mapped[list] = mapped_column(sa.JSON, default=list)
    match_ranks: Mapped[list] = mapped_column(sa.JSON, default=list)
    points: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # {"single": 2, "multiple": 2, "judge": 2}

    exam: Mapped[Exam] = relationship(back_populates="variants")
    rules: Mapped[list[PaperRule]] = relationship(back_populates="variant", order_by="PaperRule.position",
                                                  cascade="all, delete-orphan")
    fixed: Mapped[list[PaperQuestion]] = relationship(back_populates="variant", order_by="PaperQuestion.position",
                                                      cascade="all, delete-orphan")

    def __repr__(self):
        return f"<PaperVariant {self.id} exam={self.exam_id} {self.name}>"

    @property
    def is_default(self):
        return not self.match_categories and not self.match_ranks

    @property
    def match_label(self):
        labels = [CATEGORIES.get(c, c) for c in self.match_categories or []]
        labels += [RANKS.get(r, r) for r in self.match_ranks or []]
        return "、".join(labels) if labels else "其他人员（默认）"


class PaperRule(db.Model):
    """N questions of one type drawn from the usable banks, optionally narrowed by bank, category, law, difficulty."""

    __tablename__ = "exam_paper_rules"
    __table_args__ = (sa.CheckConstraint("count > 0", name="count_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_papers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    qtype: Mapped[str] = mapped_column(sa.String(10))
    count: Mapped[int]
    bank_id: Mapped[int | None] = mapped_column(sa.ForeignKey("banks.id"))
    category: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    law_name: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    difficulty: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")

    variant: Mapped[PaperVariant] = relationship(back_populates="rules")
    bank: Mapped[Bank | None] = relationship()

    def __repr__(self):
        return f"<PaperRule {self.id} {self.count}×{self.qtype}>"


class PaperQuestion(db.Model):
    """One question of a fixed paper."""

    __tablename__ = "exam_paper_questions"
    __table_args__ = (sa.UniqueConstraint("variant_id", "question_id", name="uq_exam_paper_questions_variant_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_papers.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"))
    position: Mapped[int] = mapped_column(default=0, server_default="0")

    variant: Mapped[PaperVariant] = relationship(back_populates="fixed")
    question: Mapped[Question] = relationship()

    def __repr__(self):
        return f"<PaperQuestion {self.variant_id}:{self.question_id}>"


class ExamOverride(db.Model):
    """Per-person arrangement (extra minutes, later close, more attempts) with the reason for it."""

    __tablename__ = "exam_overrides"
    __table_args__ = (sa.UniqueConstraint("exam_id", "user_id", name="uq_exam_overrides_exam_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    extra_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    close_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extra_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    reason: Mapped[str] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def __repr__(self):
        return f"<ExamOverride exam={self.exam_id} user={self.user_id}>"


class Attempt(db.Model):
    """One sitting. Its deadline is decided at start; exactly one row per (exam, person, attempt number)."""

    __tablename__ = "exam_attempts"
    __table_args__ = (
        sa.UniqueConstraint("exam_id", "user_id", "attempt_no", name="uq_exam_attempts_exam_user_no"),
        check_in("status", ATTEMPT_STATUSES),
        sa.Index("ix_exam_attempts_status_deadline", "status", "deadline"),
        sa.Index("ix_exam_attempts_user_exam", "user_id", "exam_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))  # the person's unit when they started
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exam_papers.id", ondelete="SET NULL"))
    attempt_no: Mapped[int]
    is_makeup: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(sa.String(10), default="open", server_default="open")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submit_kind: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")
    score: Mapped[float | None]
    max_score: Mapped[float] = mapped_column(default=0, server_default="0")
    band: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    passed: Mapped[bool | None]
    time_used: Mapped[int | None]  # seconds
    answered: Mapped[int] = mapped_column(default=0, server_default="0")
    page_leaves: Mapped[int] = mapped_column(default=0, server_default="0")
    flagged_fast: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    outcomes_recorded: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    exam: Mapped[Exam] = relationship()
    user: Mapped[User] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(back_populates="attempt", order_by="AttemptItem.position",
                                                    cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Attempt {self.id} exam={self.exam_id} user={self.user_id} #{self.attempt_no} {self.status}>"

    @property
    def status_label(self):
        return ATTEMPT_STATUSES.get(self.status, self.status)

    @property
    def submit_kind_label(self):
        return SUBMIT_KINDS.get(self.submit_kind, "")


class AttemptItem(db.Model):
    """One question of a frozen paper: text, displayed options and key as shown, with the answer given."""

    __tablename__ = "exam_attempt_items"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "position", name="uq_exam_attempt_items_attempt_position"),
        sa.Index("ix_exam_attempt_items_question", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_attempts.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1-based, as numbered on the page
    question_id: Mapped[int | None] = mapped_column(sa.ForeignKey("questions.id", ondelete="SET NULL"))
    qtype: Mapped[str] = mapped_column(sa.String(10))
    stem: Mapped[str] = mapped_column(sa.Text)
    # The 案例分析 material, frozen with the paper; the same text on each sub-question of one case.
    case_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    options: Mapped[list] = mapped_column(sa.JSON, default=list)  # texts in displayed order
    option_map: Mapped[str] = mapped_column(sa.String(8), default="", server_default="")  # displayed i -> bank letter
    key: Mapped[str] = mapped_column(sa.String(8))  # displayed letters
    points: Mapped[float]
    explanation: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    citation: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    response: Mapped[str] = mapped_column(sa.String(8), default="", server_default="")  # displayed letters
    seq: Mapped[int] = mapped_column(default=0, server_default="0")
    marked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    earned: Mapped[float | None]
    correct: Mapped[bool | None]
    bank_response: Mapped[str] = mapped_column(sa.String(8), default="", server_default="")  # response in bank letters

    attempt: Mapped[Attempt] = relationship(back_populates="items")

    def __repr__(self):
        return f"<AttemptItem {self.attempt_id}#{self.position}>"


class AttemptEvent(db.Model):
    """One thing that happened to an attempt (start, resume, page leaves, submission, refused answers), with the
    address and browser it came from: the history organisers read when a cadre disputes a result."""

    __tablename__ = "exam_attempt_events"
    __table_args__ = (check_in("kind", EVENT_KINDS), sa.Index("ix_exam_attempt_events_attempt_at", "attempt_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_attempts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(sa.String(10))
    detail: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    address: Mapped[str] = mapped_column(sa.String(45), default="", server_default="")
    device: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    def __repr__(self):
        return f"<AttemptEvent {self.attempt_id} {self.kind} {self.at:%H:%M:%S}>"

    @property
    def kind_label(self):
        return EVENT_KINDS.get(self.kind, self.kind)


class ExamResult(db.Model):
    """The one result per person per exam that reports read: the counting attempt (best or last), kept current."""

    __tablename__ = "exam_results"
    __table_args__ = (
        sa.UniqueConstraint("exam_id", "user_id", name="uq_exam_results_exam_user"),
        sa.Index("ix_exam_results_unit", "unit_id"),
        sa.Index("ix_exam_results_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))  # at the counting submission
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exam_attempts.id", ondelete="SET NULL"))
    attempts_used: Mapped[int] = mapped_column(default=0, server_default="0")
    score: Mapped[float]  # the counting score (best or last, by the exam's setting)
    best_score: Mapped[float]
    last_score: Mapped[float]
    max_score: Mapped[float] = mapped_column(default=100, server_default="100")
    band: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    passed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    time_used: Mapped[int | None]  # seconds, of the counting attempt
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())  # of the counting attempt
    is_makeup: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    page_leaves: Mapped[int] = mapped_column(default=0, server_default="0")  # over all attempts
    flagged: Mapped[bool] = mapped_column(default=False, server_default=sa.false())  # any attempt implausibly fast
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    exam: Mapped[Exam] = relationship()
    user: Mapped[User] = relationship()

    def __repr__(self):
        return f"<ExamResult exam={self.exam_id} user={self.user_id} {self.score}>"


class Certificate(db.Model):
    """A 合格证书 for passing a year's required exams; the code is checked on a public page."""

    __tablename__ = "exam_certificates"
    __table_args__ = (sa.UniqueConstraint("user_id", "year", name="uq_exam_certificates_user_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    year: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(50))
    unit_name: Mapped[str] = mapped_column(sa.String(500))
    exam_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    exam_titles: Mapped[list] = mapped_column(sa.JSON, default=list)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self):
        return f"<Certificate {self.code} user={self.user_id} {self.year}>"


class CertificateSetting(db.Model):
    """How certificates are issued (one row): the issuing unit's name and an optional seal image (PNG)."""

    __tablename__ = "certificate_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_name: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    seal_png: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self):
        return f"<CertificateSetting {self.issuer_name!r} seal={'yes' if self.seal_png else 'no'}>"
