"""Column types shared by all models."""
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from .clock import UTC, as_utc


class UTCDateTime(TypeDecorator):
    """Stores UTC without a zone (portable to SQLite); returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return as_utc(value)
