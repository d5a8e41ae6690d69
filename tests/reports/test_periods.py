"""Report periods: parsing, boundaries in local time, neighbours, and which month an exam or requirement counts in."""
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from quizapp.study.materials import due_month
from quizapp.reports.periods import Period, choices, exam_month
from quizapp.reports.rollup import slot_of, slot_period

UTC = timezone.utc


@pytest.mark.parametrize("text, kind, year, index", [
    ("2026-03", "month", 2026, 3), ("2026-12", "month", 2026, 12), ("2026-Q1", "quarter", 2026, 1),
    ("2026-q4", "quarter", 2026, 4), ("2026", "year", 2026, 0), (" 2026 ", "year", 2026, 0),
])
def test_parse_accepts_months_quarters_years(text, kind, year, index):
    """Are the three spellings of a period read correctly?"""
    assert Period.parse(text) == Period(kind, year, index)


@pytest.mark.parametrize("text", ["", "2026-13", "2026-00", "2026-Q5", "26-03", "1999", "2101-01", "2026/03", "x"])
def test_parse_refuses_anything_else(text):
    """Is a malformed or absurd period refused (None) rather than guessed?"""
    assert Period.parse(text) is None


def test_boundaries_are_local_midnights_in_utc():
    """Does March 2026 run from 1 March 00:00 to 1 April 00:00 Beijing time (16:00 UTC the day before)?"""
    march = Period.parse("2026-03")
    assert march.start == datetime(2026, 2, 28, 16, tzinfo=UTC)
    assert march.end == datetime(2026, 3, 31, 16, tzinfo=UTC)
    assert march.last_date == date(2026, 3, 31)
    q4 = Period.parse("2026-Q4")
    assert (q4.start_date, q4.end_date, q4.months) == (date(2026, 10, 1), date(2027, 1, 1), (10, 12))
    assert Period.parse("2026").months == (1, 12)


@pytest.mark.parametrize("text, previous, label", [
    ("2026-01", "2025-12", "2026年1月"), ("2026-07", "2026-06", "2026年7月"), ("2026-Q1", "2025-Q4", "2026年第一季度"),
    ("2026-Q3", "2026-Q2", "2026年第三季度"), ("2026", "2025", "2026年"),
])
def test_previous_period_and_label(text, previous, label):
    """Is the period compared against the previous one of the same kind, across a year boundary too?"""
    period = Period.parse(text)
    assert period.previous().key == previous
    assert period.previous().next() == period
    assert period.label == label


def test_containing_uses_local_time():
    """Is 31 March 20:00 UTC (1 April in Beijing) in April?"""
    moment = datetime(2026, 3, 31, 20, tzinfo=UTC)
    assert Period.containing(moment).key == "2026-04"
    assert Period.containing(moment, "quarter").key == "2026-Q2"
    assert Period.containing(moment, "year").key == "2026"


def test_exam_month_by_period_or_by_close():
    """Does a monthly exam count in its period's month, and a yearly one in the month its window closes?"""
    monthly = SimpleNamespace(period="2026-03", close_at=datetime(2026, 4, 2, tzinfo=UTC))
    yearly = SimpleNamespace(period="2026", close_at=datetime(2026, 11, 30, 15, tzinfo=UTC))
    late = SimpleNamespace(period="2026", close_at=datetime(2027, 1, 10, tzinfo=UTC))
    assert exam_month(monthly) == (2026, 3)
    assert exam_month(yearly) == (2026, 11)
    assert exam_month(late) == (2026, 12)


def test_due_month_is_clamped_into_the_year():
    """Does a requirement of 2026 due in January 2027 count in December 2026?"""
    assert due_month(date(2026, 5, 20), 2026) == 5
    assert due_month(date(2027, 1, 15), 2026) == 12
    assert due_month(date(2025, 12, 31), 2026) == 1


@pytest.mark.parametrize("text, slot", [("2026-01", 1), ("2026-12", 12), ("2026-Q1", 13), ("2026-Q4", 16),
                                        ("2026", 17)])
def test_slots_round_trip(text, slot):
    """Does every period map to its roll-up slot and back?"""
    period = Period.parse(text)
    assert slot_of(period) == slot
    assert slot_period(2026, slot) == period


def test_picker_offers_no_future_months():
    """Does the period picker stop at the current month and quarter?"""
    offered = choices(date(2026, 5, 10), years_back=1)
    assert offered["month"][0] == ("2026-05", "2026年5月")
    assert ("2026-06", "2026年6月") not in offered["month"]
    assert offered["quarter"][0][0] == "2026-Q2"
    assert [key for key, _ in offered["year"]] == ["2026", "2025"]
