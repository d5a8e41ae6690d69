"""Local time comes from the TIMEZONE setting: display, typed dates and report periods all follow it."""
from datetime import datetime, timezone

import pytest

from quizapp import create_app
from quizapp.common.clock import format_datetime, local_to_utc, to_local, zone_label
from quizapp.config import from_environment
from quizapp.reports.periods import Period

# 04:30 on 1 April in Shanghai (UTC+8), still 31 March in London and in UTC.
MOMENT = datetime(2026, 3, 31, 20, 30, tzinfo=timezone.utc)


def _app(**config):
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 32, **config})


@pytest.mark.parametrize("name, shown, month, label", [
    ("Asia/Shanghai", "2026-04-01 04:30", "2026-04", "北京时间"),
    ("Europe/London", "2026-03-31 21:30", "2026-03", "Europe/London"),  # British Summer Time, UTC+1
    ("UTC", "2026-03-31 20:30", "2026-03", "UTC"),
])
def test_timezone_setting_decides_what_pages_show(name, shown, month, label):
    """Does the TIMEZONE setting change the time a page shows, the month a moment counts in and the zone named?"""
    app = _app(TIMEZONE=name)
    with app.app_context():
        assert format_datetime(MOMENT) == shown
        assert app.jinja_env.from_string("{{ t|datetime }}").render(t=MOMENT) == shown
        assert Period.containing(MOMENT).key == month
        assert zone_label() == label


def test_typed_times_and_period_boundaries_follow_the_setting():
    """Is a time typed by a person, and the start of a report month, read in the configured zone?"""
    with _app(TIMEZONE="Europe/London").app_context():
        assert local_to_utc(datetime(2026, 7, 1, 9, 0)) == datetime(2026, 7, 1, 8, 0, tzinfo=timezone.utc)
        assert Period.parse("2026-07").start == datetime(2026, 6, 30, 23, 0, tzinfo=timezone.utc)
        assert to_local(MOMENT).utcoffset().total_seconds() == 3600
    with _app().app_context():  # the default
        assert Period.parse("2026-07").start == datetime(2026, 6, 30, 16, 0, tzinfo=timezone.utc)


def test_default_is_shanghai_and_the_environment_sets_it(tmp_path, monkeypatch):
    """Is Asia/Shanghai the default, outside an app too, and does the TIMEZONE variable override it?"""
    assert format_datetime(MOMENT) == "2026-04-01 04:30"  # no app: the default zone
    monkeypatch.delenv("TIMEZONE", raising=False)
    assert from_environment(str(tmp_path))["TIMEZONE"] == "Asia/Shanghai"
    monkeypatch.setenv("TIMEZONE", "Asia/Urumqi")
    assert from_environment(str(tmp_path))["TIMEZONE"] == "Asia/Urumqi"


@pytest.mark.parametrize("name", ["Asia/Beijing", "", "../etc/passwd", "+08:00"])
def test_unknown_timezone_stops_start_up(name):
    """Does a TIMEZONE the system does not know stop create_app, instead of failing on some later page?"""
    with pytest.raises(RuntimeError, match="TIMEZONE"):
        _app(TIMEZONE=name)
