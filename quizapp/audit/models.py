"""Audit log entries."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.clock import utcnow
from ..common.types import UTCDateTime
from ..extensions import db


class AuditEntry(db.Model):
    """One change made by one person (or by the system when actor is empty)."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(50), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(30))
    target_id: Mapped[int | None]
    target_label: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    summary: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    changes: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str] = mapped_column(sa.String(45), default="", server_default="")

    # Named, not imported: the audit log sits below accounts (whose services write to it).
    actor = relationship("User")

    def __repr__(self):
        return f"<AuditEntry {self.id} {self.action} {self.target_type}:{self.target_id}>"
