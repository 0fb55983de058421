"""Dates as real observer data writes them, parsed explicitly: never a guess.

Accepted: ISO 8601 dates and date-times (with or without an offset), ``dd.mm.yy`` and
``dd.mm.yyyy`` (day first, as in the OSCE's and most European field forms), slash dates when
the profile says which order they use or when only one reading is possible, day and English
month name (``24 February 2022``, ``24-Feb-2022``), and spreadsheet serial day numbers (1900
date system; an import profile may say numbers are not dates). A time without an offset is
read in the stated zone; an explicit offset always wins.

A value without a time (an ISO date, ``dd.mm.yyyy``, a whole serial number, a spreadsheet
date cell) is a calendar day: ``parse_moment`` says so, so the day is kept as given and never
recomputed from an instant in another zone (DESIGN.md, "Two clocks").
"""

import datetime as dt
import re
from typing import NamedTuple

from core.days import start_of_day, zone_named

_DOTTED = re.compile(
    r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
# "24 February 2022", "24-Feb-2022" (ACLED's export, many English-language logs).
_NAMED_MONTH = re.compile(
    r"^(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
# strftime directives that carry a time of day: a profile format without any reads dates.
_TIME_DIRECTIVES = re.compile(r"%[HIMSfpXcTRz]")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # serial 1 = 1900-01-01, with Excel's leap-year quirk
_SERIAL_RANGE = (20000, 80000)  # 1954 .. 2119: anything else is not a date a report would hold


class DateProblem(ValueError):
    """The value cannot be read as a date without guessing."""


class Moment(NamedTuple):
    """A parsed value: the instant, and the calendar day when the value was a date without a
    time (the instant is then the start of that day in the zone it was read in), or, with
    ``wall`` set, a time read as local wall time that counts on its own wall-clock day."""

    at: dt.datetime
    day: dt.date | None
    wall: bool = False

    @property
    def date_only(self) -> bool:
        return self.day is not None and not self.wall


def zone(name: str) -> dt.tzinfo:
    try:
        return zone_named(name or "UTC")
    except ValueError:
        raise DateProblem(f'unknown time zone "{name}"') from None


def _timed(date: dt.date, hms: tuple[str | None, ...], tz: dt.tzinfo) -> Moment:
    if all(x is None for x in hms):
        return _day(date, tz)
    hour, minute, second = (int(x) if x else 0 for x in hms)
    at = dt.datetime(date.year, date.month, date.day, hour, minute, second, tzinfo=tz)
    return Moment(at, None)


def _day(date: dt.date, tz: dt.tzinfo) -> Moment:
    return Moment(start_of_day(date, tz), date)


def _two_digit_year(year: str) -> int:
    return 2000 + int(year) if len(year) == 2 else int(year)


def parse_datetime(value: object, *, tz: dt.tzinfo, date_format: str = "") -> dt.datetime:
    """Read ``value`` as an aware datetime, or raise DateProblem saying why not."""
    return parse_moment(value, tz=tz, date_format=date_format).at


def read_moment(
    value: object,
    *,
    tz: dt.tzinfo,
    date_format: str = "",
    date_only: bool = False,
    serial_dates: bool = True,
    wall_time: bool = False,
) -> Moment:
    """``value`` read as an import profile's time handling says: ``date_only`` keeps only
    the date as written (the time of day is dropped); ``wall_time`` counts a timed value on
    the date its own wall clock shows, the instant taking the offset ``tz`` has then (so
    values on either side of a DST change each keep their day)."""
    moment = parse_moment(value, tz=tz, date_format=date_format, serial_dates=serial_dates)
    if moment.day is not None:
        return moment
    if date_only:
        return _day(moment.at.date(), tz)
    if wall_time:
        return Moment(moment.at, moment.at.date(), wall=True)
    return moment


def parse_moment(
    value: object, *, tz: dt.tzinfo, date_format: str = "", serial_dates: bool = True
) -> Moment:
    """Read ``value`` as a Moment (a date without a time keeps its day), or raise
    DateProblem saying why not. Without ``serial_dates`` a number is not a date."""
    if not serial_dates and _is_number(value):
        raise DateProblem(
            f"{str(value).strip()[:20]} is a number, not a date (the import profile says "
            "numbers are not spreadsheet dates: time.serial_dates is false)"
        )
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time():
            # A spreadsheet date cell: a whole serial number, a day without a time.
            return _day(value.date(), tz)
        return Moment(value if value.tzinfo else value.replace(tzinfo=tz), None)
    if isinstance(value, dt.date):
        return _day(value, tz)
    if isinstance(value, bool):
        raise DateProblem("expected a date, got true/false")
    if isinstance(value, int | float):
        return _from_serial(float(value), tz)
    if not isinstance(value, str):
        raise DateProblem(f"expected a date, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise DateProblem("is empty")
    if date_format:
        return _formatted(text, date_format, tz)
    if _SERIAL.match(text):
        return _from_serial(float(text), tz)
    if match := _DOTTED.match(text):
        day, month, year = int(match[1]), int(match[2]), _two_digit_year(match[3])
        return _timed(_date(year, month, day, text), match.groups()[3:], tz)
    if match := _SLASHED.match(text):
        first, second, year = int(match[1]), int(match[2]), int(match[3])
        if first <= 12 and second <= 12 and first != second:
            raise DateProblem(
                f'"{text}" is ambiguous (day/month or month/day?): use ISO 8601 (YYYY-MM-DD) '
                "or an import profile with a date format (time.date_format)"
            )
        day, month = (first, second) if first > 12 or first == second else (second, first)
        return _timed(_date(year, month, day, text), match.groups()[3:], tz)
    if (match := _NAMED_MONTH.match(text)) and (month := _month(match[2])):
        return _timed(_date(int(match[3]), month, int(match[1]), text), match.groups()[3:], tz)
    return _iso(text, tz)


def _month(name: str) -> int:
    """1-12 for an English month name or its abbreviation ("Sep", "Sept."), else 0."""
    name = name.lower()
    for number, full in enumerate(_MONTHS, start=1):
        if name == full or name == full[:3] or (full == "september" and name == "sept"):
            return number
    return 0


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or bool(
        isinstance(value, str) and _NUMBER.match(value.strip())
    )


def _formatted(text: str, date_format: str, tz: dt.tzinfo) -> Moment:
    try:
        parsed = dt.datetime.strptime(text, date_format)  # noqa: DTZ007 - zone applied below
    except ValueError:
        raise DateProblem(f'"{text}" does not match the profile\'s format {date_format}') from None
    if not _TIME_DIRECTIVES.search(date_format):
        return _day(parsed.date(), tz)
    return Moment(parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed, None)


def _iso(text: str, tz: dt.tzinfo) -> Moment:
    if len(text) <= 10:
        try:
            return _day(dt.date.fromisoformat(text), tz)
        except ValueError:
            pass  # not a date alone; maybe a date-time without seconds or an error below
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DateProblem(
            f'"{text[:40]}" is not a date in a known format (ISO 8601, dd.mm.yy, dd/mm/yyyy, '
            "or a spreadsheet serial number)"
        ) from None
    return Moment(parsed if parsed.tzinfo else parsed.replace(tzinfo=tz), None)


def check_not_future(when: dt.datetime, *, now: dt.datetime, tolerance_hours: int) -> None:
    """Refuse a time further ahead of ``now`` than the tolerance (clocks and zones differ)."""
    if when > now + dt.timedelta(hours=tolerance_hours):
        raise DateProblem(
            f"{when.isoformat()} is more than {tolerance_hours} hours in the future "
            "(the tolerance is set by INGEST_FUTURE_TOLERANCE_HOURS)"
        )


def _date(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateProblem(f'"{text}" is not a real calendar date') from None


def _from_serial(serial: float, tz: dt.tzinfo) -> Moment:
    if not _SERIAL_RANGE[0] <= serial <= _SERIAL_RANGE[1]:
        raise DateProblem(f"{serial:g} is not a plausible spreadsheet date serial number")
    naive = _EXCEL_EPOCH + dt.timedelta(days=serial)
    if serial.is_integer():
        return _day(naive.date(), tz)
    return Moment(naive.replace(tzinfo=tz), None)
