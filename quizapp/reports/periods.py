"""Report periods: a month, a quarter or a year in local time (the TIMEZONE setting).

Pure values: a period knows its months, its boundaries as UTC instants, its
predecessor and which exams fall in it; nothing here touches the database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..common.clock import local_midnight_utc, to_local

KINDS = {"month": "月", "quarter": "季度", "year": "年度"}
QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
_PATTERNS = (
    (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), "month"),
    (re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE), "quarter"),
    (re.compile(r"^(\d{4})$"), "year"),
)
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class Period:
    kind: str  # "month", "quarter" or "year"
    year: int
    index: int = 0  # the month (1-12) or quarter (1-4); 0 for a year

    # ------------------------------------------------------------ parsing

    @classmethod
    def parse(cls, text: str | None) -> Period | None:
        """"2026-03", "2026-Q1" or "2026"; None for anything else (including absurd years)."""
        text = (text or "").strip()
        for pattern, kind in _PATTERNS:
            match = pattern.match(text)
            if match:
                year = int(match.group(1))
                if not MIN_YEAR <= year <= MAX_YEAR:
                    return None
                return cls(kind, year, int(match.group(2)) if kind != "year" else 0)
        return None

    @classmethod
    def containing(cls, moment: datetime, kind: str = "month") -> Period:
        local = to_local(moment)
        if kind == "year":
            return cls("year", local.year)
        if kind == "quarter":
            return cls("quarter", local.year, (local.month - 1) // 3 + 1)
        return cls("month", local.year, local.month)

    # ------------------------------------------------------------ shape

    @property
    def months(self) -> tuple[int, int]:
        """First and last month (inclusive)."""
        if self.kind == "month":
            return self.index, self.index
        if self.kind == "quarter":
            return 3 * self.index - 2, 3 * self.index
        return 1, 12

    @property
    def month_list(self) -> list[int]:
        first, last = self.months
        return list(range(first, last + 1))

    @property
    def start_date(self) -> date:
        return date(self.year, self.months[0], 1)

    @property
    def end_date(self) -> date:
        """The first day after the period."""
        last = self.months[1]
        return date(self.year + 1, 1, 1) if last == 12 else date(self.year, last + 1, 1)

    @property
    def last_date(self) -> date:
        return self.end_date - timedelta(days=1)

    @property
    def start(self) -> datetime:
        return local_midnight_utc(self.start_date)

    @property
    def end(self) -> datetime:
        return local_midnight_utc(self.end_date)

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.index}"
        return str(self.year)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.year}年{self.index}月"
        if self.kind == "quarter":
            return f"{self.year}年{QUARTER_NAMES[self.index]}"
        return f"{self.year}年"

    def __str__(self):
        return self.key

    # ------------------------------------------------------------ neighbours

    def previous(self) -> Period:
        if self.kind == "month":
            return Period("month", self.year - 1, 12) if self.index == 1 else Period("month", self.year, self.index - 1)
        if self.kind == "quarter":
            return Period("quarter", self.year - 1, 4) if self.index == 1 else Period("quarter", self.year,
                                                                                        self.index - 1)
        return Period("year", self.year - 1)

    def next(self) -> Period:
        if self.kind == "month":
            return Period("month", self.year + 1, 1) if self.index == 12 else Period("month", self.year, self.index + 1)
        if self.kind == "quarter":
            return Period("quarter", self.year + 1, 1) if self.index == 4 else Period("quarter", self.year,
                                                                                       self.index + 1)
        return Period("year", self.year + 1)

    def as_kind(self, kind: str) -> Period:
        """The period of another kind that contains this period's first month."""
        first = self.months[0]
        if kind == "year":
            return Period("year", self.year)
        if kind == "quarter":
            return Period("quarter", self.year, (first - 1) // 3 + 1)
        return Period("month", self.year, first)

    def contains_month(self, year: int, month: int) -> bool:
        first, last = self.months
        return year == self.year and first <= month <= last


def exam_month(exam) -> tuple[int, int]:
    """The (year, month) an exam counts in: its period's month, or for a yearly exam the month its main window closes.

    A yearly exam whose window closes after its year counts in December of its year.
    """
    period = exam.period or ""
    year = int(period[:4])
    if len(period) == 7:
        return year, int(period[5:7])
    close = to_local(exam.close_at)
    if close.year == year:
        return year, close.month
    return year, 12 if close.year > year else 1


def choices(today: date, years_back: int = 4) -> dict[str, list[tuple[str, str]]]:
    """Period options for the picker: months, quarters and years from ``years_back`` years ago to now."""
    months, quarters, years = [], [], []
    for year in range(today.year, today.year - years_back - 1, -1):
        years.append((str(year), f"{year}年"))
        for quarter in range(4, 0, -1):
            if year == today.year and 3 * quarter - 2 > today.month:
                continue
            period = Period("quarter", year, quarter)
            quarters.append((period.key, period.label))
        for month in range(12, 0, -1):
            if year == today.year and month > today.month:
                continue
            period = Period("month", year, month)
            months.append((period.key, period.label))
    return {"month": months, "quarter": quarters, "year": years}
