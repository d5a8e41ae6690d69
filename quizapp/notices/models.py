"""One notice to one person; reading it sets ``read_at``."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..common.clock import utcnow
from ..common.types import UTCDateTime, check_in
from ..extensions import db

KINDS = {"reminder": "督办提醒"}


class Notice(db.Model):
    """A message to one person, e.g. a 督办提醒 listing what they have not finished in a period (``topic``)."""

    __tablename__ = "notices"
    __table_args__ = (
        check_in("kind", tuple(KINDS)),
        sa.Index("ix_notices_user_read", "user_id", "read_at"),
        sa.Index("ix_notices_kind_topic", "kind", "topic"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20), default="reminder", server_default="reminder")
    topic: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")  # e.g. the period "2026-03"
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])

    @property
    def kind_label(self):
        return KINDS.get(self.kind, self.kind)

    def __repr__(self):
        return f"<Notice {self.id} to={self.user_id} {self.kind} {'read' if self.read_at else 'unread'}>"
