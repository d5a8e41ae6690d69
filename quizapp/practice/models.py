"""Practice sessions with their answers, and the wrong-question book (错题本)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..bank.models import Question
from ..common.clock import utcnow
from ..common.types import UTCDateTime, check_in
from ..extensions import db

SESSION_KINDS = {"practice": "模拟练习", "redo": "错题重做"}
SOURCES = {"practice": "练习", "exam": "考试"}
MISTAKE_STATUSES = {"open": "未掌握", "mastered": "已掌握", "removed": "已移出"}
# A question leaves the book after this many correct answers in a row.
MASTERY_STREAK = 2


class PracticeSession(db.Model):
    """One sitting of practice: the questions drawn, in order, and how far the cadre got.

    ``position`` is the number of questions answered, so the question shown
    next is ``question_ids[position]`` and a reload resumes there.
    """

    __tablename__ = "practice_sessions"
    __table_args__ = (
        check_in("kind", SESSION_KINDS),
        sa.CheckConstraint("position >= 0 AND position <= total", name="position_in_range"),
        sa.Index("ix_practice_sessions_user_started", "user_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10), default="practice", server_default="practice")
    # The choices that drew the questions ({"category": …, "law": …, "qtype": …}), kept for the history list.
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    label: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    question_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    total: Mapped[int] = mapped_column(default=0, server_default="0")
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    correct_count: Mapped[int] = mapped_column(default=0, server_default="0")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The last answer (or the start): study time is credited from here to the next answer.
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def __repr__(self):
        return f"<PracticeSession {self.id} user={self.user_id} {self.position}/{self.total}>"

    @property
    def kind_label(self):
        return SESSION_KINDS.get(self.kind, self.kind)

    @property
    def finished(self):
        return self.finished_at is not None

    @property
    def wrong_count(self):
        return self.position - self.correct_count

    @property
    def accuracy(self):
        """Per cent of answered questions answered correctly (None before the first answer)."""
        if not self.position:
            return None
        return round(100 * self.correct_count / self.position)


class PracticeAnswer(db.Model):
    """The answer to the question at ``seq`` of a session, graded against the key of that moment."""

    __tablename__ = "practice_answers"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "seq", name="uq_practice_answers_session_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_sessions.id", ondelete="CASCADE"))
    seq: Mapped[int]
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    response: Mapped[str] = mapped_column(sa.String(8))
    answer_key: Mapped[str] = mapped_column(sa.String(8))
    correct: Mapped[bool]
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[PracticeSession] = relationship()
    question: Mapped[Question] = relationship()

    def __repr__(self):
        return f"<PracticeAnswer {self.session_id}#{self.seq} q={self.question_id} {'✓' if self.correct else '✗'}>"


class MistakeEntry(db.Model):
    """A question in a person's 错题本, with how it got there and how it is being relearned.

    The row outlives its stay: a mastered or removed entry comes back to
    ``open`` when the question is answered wrongly again, and ``wrong_count``
    keeps counting.
    """

    __tablename__ = "mistake_entries"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "question_id", name="uq_mistake_entries_user_question"),
        check_in("source", SOURCES),
        check_in("status", MISTAKE_STATUSES),
        sa.CheckConstraint("wrong_count >= 1", name="wrong_count_positive"),
        sa.CheckConstraint("correct_streak >= 0", name="streak_not_negative"),
        sa.Index("ix_mistake_entries_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    # Where the question came into the book for its current stay.
    source: Mapped[str] = mapped_column(sa.String(10))
    wrong_count: Mapped[int] = mapped_column(default=1, server_default="1")
    correct_streak: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[str] = mapped_column(sa.String(10), default="open", server_default="open")
    first_wrong_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_wrong_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    question: Mapped[Question] = relationship()

    def __repr__(self):
        return f"<MistakeEntry user={self.user_id} q={self.question_id} {self.status} x{self.wrong_count}>"

    @property
    def source_label(self):
        return SOURCES.get(self.source, self.source)

    @property
    def status_label(self):
        return MISTAKE_STATUSES.get(self.status, self.status)

    @property
    def corrects_to_go(self):
        return max(0, MASTERY_STREAK - self.correct_streak)
