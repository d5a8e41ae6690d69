"""The unit tree and the people in it."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.auth import MANAGERS, READERS, ROLES
from ..common.clock import utcnow
from ..common.types import UTCDateTime, check_in
from ..extensions import db

RANKS = {"zhengchu": "正处", "fuchu": "副处", "zhengke": "正科", "fuke": "副科及以下", "none": "无"}
CATEGORIES = {
    "leading": "领导干部",
    "general": "一般干部",
    "village": "村“两委”干部",
    "legal_aide": "法律明白人",
    "other": "其他",
}
UNIT_KINDS = {
    "county": "县（市、区）",
    "township": "乡镇（街道）",
    "organ": "机关单位",
    "village": "行政村（社区）",
    "other": "其他",
}


class Unit(db.Model):
    """A node of the unit tree; ``path`` ("/1/4/9/") makes subtree queries one indexed LIKE."""

    __tablename__ = "units"
    __table_args__ = (
        sa.UniqueConstraint("parent_id", "name", name="uq_units_parent_name"),
        sa.Index("ix_units_path_prefix", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
        check_in("kind", UNIT_KINDS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(20), default="other", server_default="other")
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(sa.String(500), unique=True)
    depth: Mapped[int] = mapped_column(default=0, server_default="0")
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.sort_order, Unit.name")

    def __repr__(self):
        return f"<Unit {self.id} {self.path} {self.name}>"

    @property
    def kind_label(self):
        return UNIT_KINDS.get(self.kind, self.kind)

    def is_within(self, other: Unit) -> bool:
        """True when this unit is ``other`` or below it."""
        return self.path.startswith(other.path)

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]


class User(UserMixin, db.Model):
    """A person who signs in: cadre, leader, organiser or admin."""

    __tablename__ = "users"
    __table_args__ = (
        check_in("role", ROLES),
        check_in("rank", RANKS),
        check_in("category", CATEGORIES),
        sa.Index("ix_users_unit_active", "unit_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    rank: Mapped[str] = mapped_column(sa.String(20), default="none", server_default="none")
    category: Mapped[str] = mapped_column(sa.String(20), default="general", server_default="general")
    shufa: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    role: Mapped[str] = mapped_column(sa.String(20), default="cadre", server_default="cadre", index=True)
    phone: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    must_change_password: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship(lazy="joined")

    def __repr__(self):
        return f"<User {self.id} {self.login} {self.role}>"

    # Flask-Login: the stored id carries the session version, so bumping the
    # version (sign-out everywhere, password change, deactivation) ends every
    # other session of this person.
    def get_id(self):
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self):
        return self.active

    @property
    def role_label(self):
        return ROLES.get(self.role, self.role)

    @property
    def rank_label(self):
        return RANKS.get(self.rank, self.rank)

    @property
    def category_label(self):
        return CATEGORIES.get(self.category, self.category)

    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def is_manager(self):
        return self.role in MANAGERS

    @property
    def reads_subtree(self):
        return self.role in READERS
