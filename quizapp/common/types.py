"""Column types and constraint helpers shared by all models."""
from sqlalchemy import CheckConstraint, DateTime
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


def check_in(column, values):
    """CHECK that ``column`` holds one of ``values`` (the codes of a choice), named ``<column>_valid``.

    With the naming convention in extensions.py the database name becomes
    ``ck_<table>_<column>_valid``; migrations already use those names.
    """
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=f"{column}_valid")
