"""Review cards of the spaced-repetition scheduler, the day's 每日一练 sets, and 以案释法 cases."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Unit
from ..bank.models import Question
from ..common.clock import utcnow
from ..common.types import UTCDateTime, check_in
from ..extensions import db
from ..practice.models import PracticeSession
from ..study.models import Material


class ReviewCard(db.Model):
    """When a person should see a question again, as the FSRS scheduler decided after their last answer.

    The columns are FSRS's card fields (state 1 learning, 2 review, 3 relearning), so the scheduler's
    state can be rebuilt without parsing JSON and the due questions found with an index.
    """

    __tablename__ = "review_cards"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "question_id", name="uq_review_cards_user_question"),
        sa.CheckConstraint("state IN (1, 2, 3)", name="state_valid"),
        sa.Index("ix_review_cards_user_due", "user_id", "due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    state: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")
    stability: Mapped[float | None]
    difficulty: Mapped[float | None]
    due: Mapped[datetime] = mapped_column(UTCDateTime())
    last_review: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviews: Mapped[int] = mapped_column(default=0, server_default="0")
    lapses: Mapped[int] = mapped_column(default=0, server_default="0")

    question: Mapped[Question] = relationship()

    def __repr__(self):
        return f"<ReviewCard user={self.user_id} q={self.question_id} due={self.due:%Y-%m-%d}>"


class DailySet(db.Model):
    """One person's 每日一练 of one local day: the practice session that holds its questions and answers.

    One row per person and day (a unique constraint), so two tabs starting the day at once get the same set.
    """

    __tablename__ = "daily_sets"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "day", name="uq_daily_sets_user_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_sessions.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[PracticeSession] = relationship()

    def __repr__(self):
        return f"<DailySet user={self.user_id} {self.day} session={self.session_id}>"

    @property
    def done(self):
        """Every question of the day answered (a set ended early does not count toward the streak)."""
        return self.session.position >= self.session.total


class Case(db.Model):
    """A 以案释法 case: 案情, the question it raises, the analysis and the articles that decide it.

    Shipped cases come from question_bank/cases/*.md (``source_file`` set, ``unit_id`` NULL); organisers add
    their own for their unit. ``material_id`` is the study material (category 典型案例) that lets a case be
    assigned as 必学 through the study module's requirements.
    """

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    laws: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    facts: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    issue: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    analysis: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    basis: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The 案例分析 groups that test the case, as written in the file ("caoyuan.csv#CY-02; …").
    question_refs: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    question_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    source_file: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    material_id: Mapped[int | None] = mapped_column(sa.ForeignKey("materials.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship()
    material: Mapped[Material | None] = relationship()

    def __repr__(self):
        return f"<Case {self.id} {self.title}>"


class LegalAideCertificate(db.Model):
    """The 法律明白人 certificate a person of that 人员类别 receives on completing the learning path.

    One per person; name and unit are copied at issue so the printed certificate never changes afterwards.
    """

    __tablename__ = "legal_aide_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    unit_name: Mapped[str] = mapped_column(sa.String(500))
    exam_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exams.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self):
        return f"<LegalAideCertificate {self.code} user={self.user_id}>"


CONTEST_STATUSES = {"draft": "未开始", "running": "进行中", "finished": "已结束"}
CONTEST_PHASES = {"lobby": "等待加入", "question": "答题中", "reveal": "公布答案"}


class Contest(db.Model):
    """A live 知识竞赛 for a 法治讲堂: questions drawn from a bank, stepped by the organiser on the projector.

    The server holds the whole state (which question, when its countdown ends, what was answered), so a
    reloaded projector or phone picks up exactly where the contest is.
    """

    __tablename__ = "contests"
    __table_args__ = (
        check_in("status", CONTEST_STATUSES),
        check_in("phase", CONTEST_PHASES),
        sa.CheckConstraint("seconds BETWEEN 5 AND 300", name="seconds_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    bank_id: Mapped[int | None] = mapped_column(sa.ForeignKey("banks.id", ondelete="SET NULL"))
    join_code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    question_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    seconds: Mapped[int] = mapped_column(default=20, server_default="20")
    status: Mapped[str] = mapped_column(sa.String(10), default="draft", server_default="draft")
    phase: Mapped[str] = mapped_column(sa.String(10), default="lobby", server_default="lobby")
    # 0-based position of the question on screen; -1 before the first.
    current: Mapped[int] = mapped_column(default=-1, server_default="-1")
    question_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    question_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    offline_session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offline_sessions.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit: Mapped[Unit] = relationship()

    def __repr__(self):
        return f"<Contest {self.id} {self.title} {self.status} q={self.current}>"

    @property
    def status_label(self):
        return CONTEST_STATUSES.get(self.status, self.status)

    @property
    def total(self):
        return len(self.question_ids or [])


class ContestPlayer(db.Model):
    """A person who joined a contest (their attendance), with their unit when they joined."""

    __tablename__ = "contest_players"
    __table_args__ = (sa.UniqueConstraint("contest_id", "user_id", name="uq_contest_players_contest_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self):
        return f"<ContestPlayer contest={self.contest_id} user={self.user_id}>"


class ContestAnswer(db.Model):
    """One person's one answer to one question of a contest: stored once (a unique constraint), never changed."""

    __tablename__ = "contest_answers"
    __table_args__ = (
        sa.UniqueConstraint("contest_id", "user_id", "position", name="uq_contest_answers_contest_user_position"),
        sa.Index("ix_contest_answers_contest_position", "contest_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    position: Mapped[int]
    question_id: Mapped[int | None] = mapped_column(sa.ForeignKey("questions.id", ondelete="SET NULL"))
    response: Mapped[str] = mapped_column(sa.String(8))
    correct: Mapped[bool]
    # Milliseconds from the question's start to the answer: ties on correct answers go to the faster.
    elapsed_ms: Mapped[int]
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self):
        return f"<ContestAnswer contest={self.contest_id} user={self.user_id} #{self.position}>"
