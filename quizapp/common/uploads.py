"""Uploaded files kept between an import's preview and its apply.

Stored in the database (not on one server's disk) so the apply step works
behind a load balancer; rows older than a day are cleared on each new upload.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .clock import utcnow
from .types import UTCDateTime

KEEP_FOR = timedelta(days=1)


class StagedUpload(db.Model):
    __tablename__ = "staged_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(30))
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    options: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    def __repr__(self):
        return f"<StagedUpload {self.id} {self.purpose} {self.filename}>"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clean_filename(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable())[:255] or "upload"


def stage(owner, purpose, filename, data, options=None) -> StagedUpload:
    db.session.execute(sa.delete(StagedUpload).where(StagedUpload.created_at < utcnow() - KEEP_FOR))
    upload = StagedUpload(token=secrets.token_urlsafe(24), owner_id=owner.id, purpose=purpose,
                          filename=clean_filename(filename), sha256=sha256_hex(data), data=data,
                          options=options or {})
    db.session.add(upload)
    db.session.flush()
    return upload


def fetch(owner, purpose, token) -> StagedUpload | None:
    """The staged file, only for the person who uploaded it."""
    if not token:
        return None
    return db.session.scalar(sa.select(StagedUpload).where(
        StagedUpload.token == token, StagedUpload.owner_id == owner.id, StagedUpload.purpose == purpose))


def discard(upload):
    db.session.delete(upload)


def claim(upload, purpose: str | None = None) -> bool:
    """Take the staged file for one apply: True for the first caller only, so a double click applies nothing twice.

    Without ``purpose`` the row is deleted in the caller's transaction (a rollback gives it back); with it the row
    stays, renamed to ``purpose``, for a background job to read (``claimed``) and delete when it has applied it.
    """
    where = (StagedUpload.id == upload.id, StagedUpload.purpose == upload.purpose)
    stmt = sa.delete(StagedUpload) if purpose is None else sa.update(StagedUpload).values(purpose=purpose)
    result = db.session.execute(stmt.where(*where), execution_options={"synchronize_session": False})
    return result.rowcount == 1


def claimed(upload_id, purpose) -> StagedUpload | None:
    """The staged file a job was given by ``claim(upload, purpose)``."""
    return db.session.scalar(sa.select(StagedUpload).where(StagedUpload.id == upload_id,
                                                           StagedUpload.purpose == purpose))
