"""Calendar buckets for charts over periods of any length: weeks while they are few, then
months, quarters or years, so a chart of a seven-year life has a bounded number of columns."""

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Literal

Unit = Literal["week", "month", "quarter", "year"]
UNITS: tuple[Unit, ...] = ("week", "month", "quarter", "year")


def _first_of(unit: Unit, day: dt.date) -> dt.date:
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return dt.date(day.year, 1, 1)


def _next(unit: Unit, first: dt.date) -> dt.date:
    if unit == "week":
        return first + dt.timedelta(weeks=1)
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Buckets:
    """Consecutive calendar buckets of one ``unit``, by their first day."""

    unit: Unit
    starts: tuple[dt.date, ...]

    def index(self, day: dt.date) -> int:
        """The bucket holding ``day`` (days before the first go to the first)."""
        return max(0, bisect.bisect_right(self.starts, day) - 1)

    def regroup(self, days: list[dt.date], values: list[int]) -> list[int]:
        """``values`` given per day (or per week, by its Monday) summed into the buckets."""
        sums = [0] * len(self.starts)
        for day, value in zip(days, values, strict=True):
            sums[self.index(day)] += value
        return sums

    def label(self, i: int) -> str:
        """How a bucket reads in a title: "week of 16 February 2015", "March 2015",
        "2015 Q1", "2015"."""
        first = self.starts[i]
        if self.unit == "week":
            return f"week of {first.day} {first:%B %Y}"
        if self.unit == "month":
            return f"{first:%B %Y}"
        if self.unit == "quarter":
            return f"{first.year} Q{(first.month - 1) // 3 + 1}"
        return str(first.year)

    def axis_label(self, i: int) -> str:
        """A short label for an axis: "16 Feb", "Mar 2015", "2015 Q1", "2015"."""
        first = self.starts[i]
        if self.unit == "week":
            return f"{first.day} {first:%b}"
        if self.unit == "month":
            return f"{first:%b %Y}"
        return self.label(i)


def buckets_over(start: dt.date, end: dt.date, *, most: int) -> Buckets:
    """The finest unit (week, month, quarter, year) that covers ``start``..``end`` in at most
    ``most`` buckets (years when nothing finer does)."""
    for unit in UNITS:
        starts = [_first_of(unit, start)]
        while (following := _next(unit, starts[-1])) <= end:
            starts.append(following)
            if len(starts) > most and unit != "year":
                break
        if len(starts) <= most or unit == "year":
            return Buckets(unit=unit, starts=tuple(starts))
    raise AssertionError("unreachable: years always answer")
