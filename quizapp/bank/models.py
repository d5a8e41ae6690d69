"""Banks, questions and import records."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Unit, User
from ..common.clock import utcnow
from ..common.types import UTCDateTime
from ..extensions import db
from .qtypes import LETTERS, REGISTRY

DIFFICULTIES = {"easy": "易", "medium": "中", "hard": "难"}
STATUSES = {"active": "在用", "retired": "已停用"}


class Bank(db.Model):
    """A 题库. ``unit_id`` NULL means a system bank (made by an admin), usable everywhere;
    otherwise exams in that unit's subtree may use it."""

    __tablename__ = "banks"
    __table_args__ = (sa.UniqueConstraint("unit_id", "name", name="uq_banks_unit_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit: Mapped[Unit | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __repr__(self):
        return f"<Bank {self.id} {self.name}>"


class ImportRecord(db.Model):
    """One applied import of a question file: who, when, which file, what came of it."""

    __tablename__ = "bank_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    total_rows: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict | None] = mapped_column(sa.JSON)

    bank: Mapped[Bank] = relationship()
    imported_by: Mapped[User | None] = relationship()

    def __repr__(self):
        return f"<ImportRecord {self.id} {self.filename}>"


class Question(db.Model):
    """A question. Exams copy what they need into the paper at start, so editing a
    question never changes what a past attempt recorded."""

    __tablename__ = "questions"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "fingerprint", name="uq_questions_bank_fingerprint"),
        sa.CheckConstraint("qtype IN ({})".format(", ".join(f"'{c}'" for c in REGISTRY) + ", 'fill'"),
                           name="qtype_valid"),
        sa.CheckConstraint("difficulty IN ('easy', 'medium', 'hard')", name="difficulty_valid"),
        sa.CheckConstraint("status IN ('active', 'retired')", name="status_valid"),
        sa.Index("ix_questions_bank_status_type", "bank_id", "status", "qtype"),
        sa.Index("ix_questions_category", "category"),
        sa.Index("ix_questions_law", "law_name"),
        sa.Index("ix_questions_bank_case", "bank_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id"))
    qtype: Mapped[str] = mapped_column(sa.String(10))
    stem: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list] = mapped_column(sa.JSON, default=list)  # option texts, A first
    answer: Mapped[str] = mapped_column(sa.String(8))  # option letters in order: "B", "ABD"
    explanation: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    difficulty: Mapped[str] = mapped_column(sa.String(10), default="medium", server_default="medium")
    category: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    law_name: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    law_article: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    law_version: Mapped[date | None] = mapped_column(sa.Date)
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    score_hint: Mapped[float | None]
    # 案例分析: sub-questions of one case share case_id (unique within the bank) and carry its text.
    case_id: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    case_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Questions testing the same fact share a variant group: a paper or session takes at most one. Read only with
    # questions already picked, never searched by, so not indexed (each imported question would pay for it).
    variant_group: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="active", server_default="active")
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    import_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bank_imports.id"), index=True)
    import_sheet: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    import_row: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    bank: Mapped[Bank] = relationship()
    created_by: Mapped[User | None] = relationship()
    import_record: Mapped[ImportRecord | None] = relationship()

    def __repr__(self):
        return f"<Question {self.id} {self.qtype} {self.stem[:20]!r}>"

    @property
    def type(self):
        return REGISTRY[self.qtype]

    @property
    def lettered_options(self):
        return list(zip(LETTERS, self.options or []))

    @property
    def type_label(self):
        return self.type.label

    @property
    def fixed_options(self) -> bool:
        """判断's 正确/错误: shown as a pair, not as lettered options."""
        return self.type.has_fixed_options

    @property
    def answer_label(self):
        """The key for people: "B", "ABD" or "正确"."""
        return self.type.answer_label(self.answer, self.options or [])

    @property
    def draw_unit(self) -> str:
        """What draws treat as one: the case group, else the question itself."""
        return f"case:{self.bank_id}:{self.case_id}" if self.case_id else f"q:{self.id}"

    @property
    def difficulty_label(self):
        return DIFFICULTIES.get(self.difficulty, self.difficulty)

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)

    @property
    def law_title(self):
        """The law's title without book-title marks, as the law library looks it up."""
        return self.law_name.strip().removeprefix("《").removesuffix("》")

    @property
    def citation(self):
        """"《中华人民共和国宪法》第三十三条（2018-03-11版）"."""
        text = self.law_name + self.law_article
        if self.law_version:
            text += f"（{self.law_version.isoformat()}版）"
        return text
