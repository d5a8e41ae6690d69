"""The one clock of the app, injectable so tests can travel in time, and the one local time zone.

Every rule that depends on time (deadlines, throttling windows shown to
users, study-time credit) asks ``utcnow()``; tests set ``app.config["CLOCK"]``
to a callable returning an aware UTC datetime.

Times are stored in UTC. Local time (what pages show, what a typed date
means, which day, month or year a moment falls in) is the ``TIMEZONE``
setting, Asia/Shanghai unless configured; ``local_zone()`` reads it.
"""
from datetime import date, datetime, time, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

UTC = timezone.utc
DEFAULT_TIMEZONE = "Asia/Shanghai"


@lru_cache(maxsize=8)
def zone(name):
    """The IANA time zone called ``name``; ValueError when the system knows no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def local_zone():
    """The local time zone: the app's ``TIMEZONE`` setting, or Asia/Shanghai outside an app."""
    if has_app_context():
        return zone(current_app.config.get("TIMEZONE") or DEFAULT_TIMEZONE)
    return zone(DEFAULT_TIMEZONE)


def zone_label():
    """How pages name local time: 北京时间 for Asia/Shanghai, otherwise the zone's name."""
    key = local_zone().key
    return "北京时间" if key == DEFAULT_TIMEZONE else key


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
    """A stored UTC datetime in local time, for display."""
    if value is None:
        return None
    return as_utc(value).astimezone(local_zone())


def local_midnight_utc(day: date) -> datetime:
    """The instant a local calendar day begins, as aware UTC."""
    return datetime.combine(day, time(0), tzinfo=local_zone()).astimezone(UTC)


def local_to_utc(value):
    """A naive datetime typed by a user in local time, as aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
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
