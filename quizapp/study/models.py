"""Law library, study materials, study time and offline sessions."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..accounts.models import Unit, User
from ..common.clock import to_local, utcnow
from ..common.types import UTCDateTime, check_in
from ..extensions import db

# Top-level study categories (学时 are reported per category); a material's
# category may add a sector after a slash: "法律法规/土地与农村".
CATEGORIES = ("习近平法治思想", "宪法", "法律法规", "党内法规", "典型案例", "其他")
LAW_CATEGORIES = ("宪法", "法律法规", "党内法规", "其他")
CREDIT_SOURCES = {"material": "学习资料", "law": "法规阅读", "practice": "模拟练习", "offline": "线下学法"}
OFFLINE_KINDS = ("法治讲堂", "集中学法", "专题讲座", "旁听庭审", "宣讲", "其他")
MATERIAL_KINDS = {"markdown": "图文", "pdf": "PDF 文件"}


# ---------------------------------------------------------------- law library

class Law(db.Model):
    """A law or regulation; ``lookup_key`` is its normalised name (no 《》, no leading 中华人民共和国)."""

    __tablename__ = "laws"
    __table_args__ = (check_in("category", LAW_CATEGORIES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), unique=True)
    short_title: Mapped[str] = mapped_column(sa.String(200))
    lookup_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    category: Mapped[str] = mapped_column(sa.String(20), default="法律法规", server_default="法律法规")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions: Mapped[list[LawVersion]] = relationship(
        back_populates="law", order_by="LawVersion.version_date.desc()", passive_deletes=True)

    def __repr__(self):
        return f"<Law {self.id} {self.title}>"

    @property
    def current_version(self):
        return next((v for v in self.versions if v.is_current), None)


class LawVersion(db.Model):
    """One version of a law (dated by its latest adoption or revision); exactly one per law is current."""

    __tablename__ = "law_versions"
    __table_args__ = (
        sa.UniqueConstraint("law_id", "version_date", name="uq_law_versions_law_date"),
        sa.Index("uq_law_versions_current", "law_id", unique=True,
                 sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    law_id: Mapped[int] = mapped_column(sa.ForeignKey("laws.id", ondelete="CASCADE"))
    version_date: Mapped[date] = mapped_column(sa.Date)
    effective_date: Mapped[date | None] = mapped_column(sa.Date)
    history: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    preamble: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    appendices: Mapped[list] = mapped_column(sa.JSON, default=list)
    is_current: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    char_count: Mapped[int] = mapped_column(default=0, server_default="0")
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    law: Mapped[Law] = relationship(back_populates="versions")
    uploaded_by: Mapped[User | None] = relationship()
    sources: Mapped[list[LawSource]] = relationship(order_by="LawSource.first_number", passive_deletes=True,
                                                    back_populates="version")

    def __repr__(self):
        return f"<LawVersion {self.id} law={self.law_id} {self.version_date}>"

    @property
    def history_lines(self):
        return [line for line in self.history.split("\n") if line]

    @property
    def preamble_paragraphs(self):
        return [line for line in self.preamble.split("\n") if line]


class LawSource(db.Model):
    """A file that supplied (part of) a version: the 民法典 arrives as one file per 编."""

    __tablename__ = "law_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("law_versions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size: Mapped[int] = mapped_column(default=0)
    part_title: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    first_number: Mapped[int] = mapped_column(default=0)
    last_number: Mapped[int] = mapped_column(default=0)
    article_count: Mapped[int] = mapped_column(default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    version: Mapped[LawVersion] = relationship(back_populates="sources")
    uploaded_by: Mapped[User | None] = relationship()

    def __repr__(self):
        return f"<LawSource {self.id} {self.filename}>"


class LawHeading(db.Model):
    """A 编/章/节 (or 序言/附则/附件) heading; ``position`` orders headings and articles in the text."""

    __tablename__ = "law_headings"
    __table_args__ = (sa.Index("ix_law_headings_version_position", "version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("law_versions.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(sa.ForeignKey("law_sources.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    number: Mapped[int | None]
    title: Mapped[str] = mapped_column(sa.String(200))
    label: Mapped[str] = mapped_column(sa.String(250))
    level: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(sa.BigInteger)
    first_number: Mapped[int | None]
    first_suffix: Mapped[int | None]

    def __repr__(self):
        return f"<LawHeading {self.id} {self.label}>"

    @property
    def anchor(self):
        return f"h{self.id}"


class LawArticle(db.Model):
    """One article (条); ``text`` holds its paragraphs (款 and 项), one per line."""

    __tablename__ = "law_articles"
    __table_args__ = (sa.UniqueConstraint("version_id", "number", "suffix", name="uq_law_articles_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("law_versions.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(sa.ForeignKey("law_sources.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    suffix: Mapped[int] = mapped_column(default=0, server_default="0")
    label: Mapped[str] = mapped_column(sa.String(40))
    heading_path: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    text: Mapped[str] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(sa.BigInteger)

    version: Mapped[LawVersion] = relationship()

    def __repr__(self):
        return f"<LawArticle {self.id} {self.label}>"

    @property
    def anchor(self):
        """The fragment id in the full text: a33, a120-1 (第一百二十条之一)."""
        return f"a{self.number}" + (f"-{self.suffix}" if self.suffix else "")

    @property
    def paragraphs(self):
        return [line for line in self.text.split("\n") if line]

    @property
    def headings(self):
        return [part for part in self.heading_path.split(" / ") if part]


# ---------------------------------------------------------------- study materials

class Material(db.Model):
    """A study material: Markdown text or a PDF. ``unit_id`` NULL means a system material.

    The audience is every unit in the owner's subtree (everyone for a system
    material), narrowed by ``audience_units`` (subtrees) and
    ``audience_categories`` (人员类别) when those are set.
    """

    __tablename__ = "materials"
    __table_args__ = (check_in("kind", MATERIAL_KINDS), sa.CheckConstraint("minutes > 0", name="minutes_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(60), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default="markdown", server_default="markdown")
    body: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    minutes: Mapped[int] = mapped_column(default=10, server_default="10")
    sources: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    source_file: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    source_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    published: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship()
    file: Mapped[MaterialFile | None] = relationship(back_populates="material", cascade="all, delete-orphan",
                                                     passive_deletes=True)
    audience_units: Mapped[list[Unit]] = relationship(secondary="material_units", order_by="Unit.path")
    audience_category_rows: Mapped[list[MaterialCategory]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)

    def __repr__(self):
        return f"<Material {self.id} {self.title}>"

    @property
    def top_category(self):
        return self.category.split("/", 1)[0]

    @property
    def sector(self):
        return self.category.split("/", 1)[1] if "/" in self.category else ""

    @property
    def audience_categories(self):
        return sorted(row.category for row in self.audience_category_rows)

    @property
    def source_lines(self):
        return [part.strip() for part in self.sources.replace("；", ";").split(";") if part.strip()]

    @property
    def is_system(self):
        return self.unit_id is None


class MaterialFile(db.Model):
    """The PDF of a PDF material, kept in the database so every app server can serve it."""

    __tablename__ = "material_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("materials.id", ondelete="CASCADE"), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    data: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    material: Mapped[Material] = relationship(back_populates="file")

    def __repr__(self):
        return f"<MaterialFile {self.id} {self.filename}>"


material_units = sa.Table(
    "material_units", db.metadata,
    sa.Column("material_id", sa.ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class MaterialCategory(db.Model):
    """A 人员类别 a material is meant for (none: every category)."""

    __tablename__ = "material_categories"

    material_id: Mapped[int] = mapped_column(sa.ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(20), primary_key=True)

    def __repr__(self):
        return f"<MaterialCategory {self.material_id} {self.category}>"


class MaterialRequirement(db.Model):
    """A material is required in ``year`` for a unit's subtree (NULL: for everyone), with a due date."""

    __tablename__ = "material_requirements"
    __table_args__ = (
        sa.UniqueConstraint("material_id", "year", "unit_id", name="uq_material_requirements_scope"),
        sa.Index("uq_material_requirements_everyone", "material_id", "year", unique=True,
                 sqlite_where=sa.text("unit_id IS NULL"), postgresql_where=sa.text("unit_id IS NULL")),
        sa.Index("ix_material_requirements_year", "year", "material_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("materials.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    due_date: Mapped[date] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    material: Mapped[Material] = relationship()
    unit: Mapped[Unit | None] = relationship()

    def __repr__(self):
        return f"<MaterialRequirement {self.material_id} {self.year} unit={self.unit_id}>"


# ---------------------------------------------------------------- study time

class StudySession(db.Model):
    """The one page a person is reading now; a heartbeat from any other page credits nothing."""

    __tablename__ = "study_sessions"
    __table_args__ = (check_in("kind", ("material", "law")),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(10))
    material_id: Mapped[int | None] = mapped_column(sa.ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    law_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("law_versions.id", ondelete="CASCADE"),
                                                       index=True)
    session_version: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_beat_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self):
        return f"<StudySession user={self.user_id} {self.kind}>"


class StudyProgress(db.Model):
    """A person's time on one material (or one law version) in one year, and whether it is completed."""

    __tablename__ = "study_progress"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "material_id", "year", name="uq_study_progress_material"),
        sa.UniqueConstraint("user_id", "law_version_id", "year", name="uq_study_progress_law"),
        sa.CheckConstraint("(material_id IS NULL) <> (law_version_id IS NULL)", name="one_target"),
        sa.Index("ix_study_progress_material_year", "material_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    material_id: Mapped[int | None] = mapped_column(sa.ForeignKey("materials.id", ondelete="CASCADE"))
    law_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("law_versions.id", ondelete="CASCADE"),
                                                       index=True)
    seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    reached_end: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    material: Mapped[Material | None] = relationship()
    law_version: Mapped[LawVersion | None] = relationship()

    def __repr__(self):
        return f"<StudyProgress user={self.user_id} {self.year} m={self.material_id} l={self.law_version_id}>"


class StudyCredit(db.Model):
    """Credited study seconds per person, month, category and source: the roll-up reports read."""

    __tablename__ = "study_credits"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "year", "month", "category", "source", name="uq_study_credits_key"),
        sa.Index("ix_study_credits_year_user", "year", "user_id"),
        check_in("source", CREDIT_SOURCES),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name="month_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    month: Mapped[int] = mapped_column(sa.SmallInteger)
    category: Mapped[str] = mapped_column(sa.String(20))
    source: Mapped[str] = mapped_column(sa.String(10))
    seconds: Mapped[int] = mapped_column(default=0, server_default="0")

    def __repr__(self):
        return f"<StudyCredit user={self.user_id} {self.year}-{self.month} {self.category} {self.source}>"


class StudyTarget(db.Model):
    """The yearly 学时 target for one 人员类别 (defaults apply to categories without a row)."""

    __tablename__ = "study_targets"

    category: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    hours: Mapped[float] = mapped_column(sa.Float)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self):
        return f"<StudyTarget {self.category} {self.hours}>"


# ---------------------------------------------------------------- offline sessions

class OfflineSession(db.Model):
    """A 线下学法活动 (法治讲堂, 集中学法 …); attendance credits study time to the cadres present."""

    __tablename__ = "offline_sessions"
    __table_args__ = (
        check_in("kind", OFFLINE_KINDS),
        check_in("category", CATEGORIES),
        sa.CheckConstraint("minutes > 0", name="minutes_positive"),
        sa.CheckConstraint("public_count >= 0", name="public_count_nonnegative"),
        sa.Index("ix_offline_sessions_unit_date", "unit_id", "held_on"),
        sa.Index("ix_offline_sessions_date", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    topic: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(20), default="法律法规", server_default="法律法规")
    held_on: Mapped[date] = mapped_column(sa.Date)
    minutes: Mapped[int]
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    speaker: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    location: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    public_count: Mapped[int] = mapped_column(default=0, server_default="0")
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship()
    # Attendance earns 学时 only once an organiser confirms it, on or after the day held: a session planned
    # for next week credits nothing yet. Who confirmed is in the audit log (offline.confirm).
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def status(self, today: date | None = None) -> str:
        """已确认 (hours credited), 待确认 (held, attendance not yet confirmed) or 已安排 (still to come)."""
        if self.confirmed_at is not None:
            return "已确认"
        return "已安排" if self.held_on > (today or to_local(utcnow()).date()) else "待确认"

    def __repr__(self):
        return f"<OfflineSession {self.id} {self.kind} {self.held_on}>"


class OfflineAttendance(db.Model):
    """One cadre present at one offline session."""

    __tablename__ = "offline_attendance"
    __table_args__ = (check_in("added_via", ("manual", "import")),)

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("offline_sessions.id", ondelete="CASCADE"),
                                            primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    added_via: Mapped[str] = mapped_column(sa.String(10), default="manual", server_default="manual")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self):
        return f"<OfflineAttendance session={self.session_id} user={self.user_id}>"
