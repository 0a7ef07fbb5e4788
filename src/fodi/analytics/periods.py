"""Calendar periods in UTC: half-open ``[start, end)`` ranges relative to "today".

"last month" is the previous calendar month, "this year" the current calendar year up to its
end, "the last 7 days" the seven calendar days ending with today (today included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

GRAINS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # exclusive
    label: str

    @property
    def start_at(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC)

    def describe(self) -> str:
        last = self.end - timedelta(days=1)
        if last == self.start:
            return f"{self.label} ({self.start.isoformat()}, UTC)"
        return f"{self.label} ({self.start.isoformat()} – {last.isoformat()}, UTC)"


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month(year: int, month_number: int, label: str | None = None) -> Period:
    start = date(year, month_number, 1)
    return Period(start, add_months(start, 1), label or start.strftime("%Y-%m"))


def quarter(year: int, number: int, label: str | None = None) -> Period:
    start = date(year, 3 * (number - 1) + 1, 1)
    return Period(start, add_months(start, 3), label or f"{year}-Q{number}")


def year(number: int, label: str | None = None) -> Period:
    return Period(date(number, 1, 1), date(number + 1, 1, 1), label or str(number))


def day(value: date, label: str | None = None) -> Period:
    return Period(value, value + timedelta(days=1), label or value.isoformat())


def week_of(value: date) -> date:
    return value - timedelta(days=value.weekday())


def current(grain: str, today: date, offset: int = 0, label: str = "") -> Period:
    """The calendar ``grain`` containing today, shifted by ``offset`` units (-1 = previous)."""
    if grain == "day":
        start = today + timedelta(days=offset)
        return Period(start, start + timedelta(days=1), label or start.isoformat())
    if grain == "week":
        start = week_of(today) + timedelta(weeks=offset)
        return Period(start, start + timedelta(weeks=1), label or f"week of {start.isoformat()}")
    if grain == "month":
        start = add_months(date(today.year, today.month, 1), offset)
        return Period(start, add_months(start, 1), label or start.strftime("%Y-%m"))
    if grain == "quarter":
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        start = add_months(first, 3 * offset)
        number = (start.month - 1) // 3 + 1
        return Period(start, add_months(start, 3), label or f"{start.year}-Q{number}")
    if grain == "year":
        start = date(today.year + offset, 1, 1)
        return Period(start, date(start.year + 1, 1, 1), label or str(start.year))
    raise ValueError(f"unknown grain {grain!r}")


def last_n(grain: str, count: int, today: date, label: str) -> Period:
    """The ``count`` calendar units ending with the current one (today included)."""
    latest = current(grain, today)
    first = current(grain, today, offset=-(count - 1))
    return Period(first.start, latest.end, label)
