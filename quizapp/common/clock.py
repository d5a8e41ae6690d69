"""The one clock of the app, injectable so tests can travel in time.

Every rule that depends on time (deadlines, throttling windows shown to
users, study-time credit) asks ``utcnow()``; tests set ``app.config["CLOCK"]``
to a callable returning an aware UTC datetime.
"""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

UTC = timezone.utc
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow():
    """Now as an aware UTC datetime, from the app's clock when one is set."""
    if has_app_context():
        clock = current_app.config.get("CLOCK")
        if clock is not None:
            return clock()
    return datetime.now(UTC)


def as_utc(value):
    """Interpret a naive datetime as UTC; convert an aware one to UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_local(value):
    """A stored UTC datetime in Asia/Shanghai, for display."""
    if value is None:
        return None
    return as_utc(value).astimezone(LOCAL_TZ)


def local_to_utc(value):
    """A naive datetime typed by a user in Asia/Shanghai, as aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def format_datetime(value, fmt="%Y-%m-%d %H:%M"):
    local = to_local(value)
    return local.strftime(fmt) if local else ""


def format_date_cn(value):
    """2026年12月4日, as Chinese documents write dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return f"{value.year}年{value.month}月{value.day}日"
