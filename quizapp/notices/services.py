"""Sending and reading notices. Services flush; the view commits."""
from __future__ import annotations

import sqlalchemy as sa

from ..audit.services import record
from ..common.clock import utcnow
from ..common.errors import NotFound
from ..extensions import db
from .models import Notice

MAX_PER_SEND = 5000


def send(actor, messages, *, kind: str, topic: str, title: str, scope_label: str, target=None) -> int:
    """One notice per (user id, body) pair, in one insert; one audit entry for the whole send. Returns the count."""
    messages = list(messages)[:MAX_PER_SEND]
    if not messages:
        return 0
    now = utcnow()
    db.session.execute(sa.insert(Notice), [
        {"user_id": user_id, "kind": kind, "topic": topic, "title": title, "body": body,
         "sent_by_id": getattr(actor, "id", None), "created_at": now} for user_id, body in messages])
    record(actor, "notices.send", "unit" if target is not None else "notice", getattr(target, "id", None),
           scope_label, summary=f"{title}：发送 {len(messages)} 人")
    db.session.flush()
    return len(messages)


def counts_by_user(user_ids, *, kind: str, topic: str) -> dict[int, int]:
    """How many notices of a kind and topic each person has been sent (e.g. reminders for one period)."""
    if not user_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Notice.user_id, sa.func.count()).where(Notice.user_id.in_(list(user_ids)), Notice.kind == kind,
                                                         Notice.topic == topic)
        .group_by(Notice.user_id)).all())


def unread_count(user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notice).where(
        Notice.user_id == user.id, Notice.read_at.is_(None))) or 0


def latest_unread(user, limit=3):
    return db.session.scalars(sa.select(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
                              .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit)).all()


def mine_stmt(user, *, unread_only=False):
    stmt = sa.select(Notice).where(Notice.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notice.read_at.is_(None))
    return stmt.order_by(Notice.created_at.desc(), Notice.id.desc())


def get_mine(user, notice_id) -> Notice:
    """A notice of this person's (another person's notice is not found, not forbidden)."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.user_id != user.id:
        raise NotFound()
    return notice


def mark_read(user, notice: Notice):
    if notice.user_id != user.id:
        raise NotFound()
    if notice.read_at is None:
        notice.read_at = utcnow()
    db.session.flush()


def mark_all_read(user) -> int:
    result = db.session.execute(sa.update(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
                                .values(read_at=utcnow()))
    db.session.flush()
    return result.rowcount or 0
