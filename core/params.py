"""Query parameters that pages and the API share: dates, the two clocks ``as_of`` and
``known_at``, a ``from``/``to`` window, whole numbers and plain text, parsed one way with one
set of defaults and messages.

A bad value raises :class:`ParameterError`; a page answers it with its 400 page and the API
with its JSON 400 (``core.api.exception_handler``), both saying what the parameter must be.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from django.http import QueryDict

# Scorecards count weeks and subtract windows from these days: keep them where that works.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
# A window with no start given: the twelve weeks up to its end.
DEFAULT_WINDOW = dt.timedelta(days=84)

Params = Mapping[str, str]


class ParameterError(ValueError):
    """A query parameter that cannot be used: its name, what it must be, and what was given."""

    def __init__(self, name: str, expected: str, given: str = "") -> None:
        super().__init__(f"{name}: {expected}")
        self.name, self.expected, self.given = name, expected, given

    @property
    def message(self) -> str:
        return f"Must be {self.expected}."


@dataclass(frozen=True)
class DateWindow:
    """A period of whole days, both ends included."""

    start: dt.date
    end: dt.date


def window_ending(end: dt.date) -> DateWindow:
    """The default window: the twelve weeks up to ``end``."""
    return DateWindow(start=end - DEFAULT_WINDOW, end=end)


def date_param(params: Params, name: str) -> dt.date | None:
    """An ISO date from 1900 to 2100, or None when the parameter is absent or empty."""
    value = params.get(name)
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ParameterError(name, "a date written YYYY-MM-DD, e.g. 2015-02-15", value) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ParameterError(name, f"a date from {FIRST_DAY} to {LAST_DAY}", value)
    return day


def as_of_param(params: Params, name: str = "as_of") -> dt.datetime | None:
    """The end of the given day in UTC (the data as it stood that day), or None for now."""
    day = date_param(params, name)
    if day is None:
        return None
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=dt.UTC)


def known_at_param(params: Params, name: str = "known_at") -> dt.datetime | None:
    """Which filings count (the second clock): a date, meaning the end of that day in UTC as
    ``as_of_param`` reads it, or a date and time (``YYYY-MM-DDTHH:MM``, UTC unless it gives
    an offset); None for now. Callers bring a moment after now back to now."""
    value = text_param(params, name)
    if not value:
        return None
    if len(value) == len("YYYY-MM-DD"):
        return as_of_param(params, name)
    expected = "a date YYYY-MM-DD or a date and time YYYY-MM-DDTHH:MM (UTC), e.g. 2022-03-01T12:00"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ParameterError(name, expected, value) from None
    if not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise ParameterError(name, f"a moment from {FIRST_DAY} to {LAST_DAY}", value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def clocks_from_params(params: Params) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``as_of`` and ``known_at`` as a page or the API gives them (docs/time.md); a
    ``known_at`` after now is now (nothing has been filed later). Both None: the present."""
    known_at = known_at_param(params)
    now = dt.datetime.now(dt.UTC)
    return as_of_param(params), None if known_at is None else min(known_at, now)


def window_param(
    params: Params, *, until: dt.date, start_name: str = "from", end_name: str = "to"
) -> DateWindow:
    """The ``from``/``to`` window; ``to`` defaults to ``until`` (the as-of day or today) and
    ``from`` to twelve weeks before ``until``."""
    start, end = date_param(params, start_name), date_param(params, end_name)
    default = window_ending(until)
    window = DateWindow(start=start or default.start, end=end or default.end)
    if window.end < window.start:
        raise ParameterError(
            end_name, f"a day on or after the start of the period ({window.start})", str(window.end)
        )
    return window


def whole_number_param(
    params: Params,
    name: str,
    *,
    default: int,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """A whole number, brought within ``minimum``..``maximum`` when given (a page size asked
    too large gets the largest page, not an error)."""
    value = text_param(params, name)
    try:
        number = int(value) if value else default
    except ValueError:
        raise ParameterError(name, "a whole number", value) from None
    if minimum is not None:
        number = max(minimum, number)
    if maximum is not None:
        number = min(maximum, number)
    return number


def text_param(params: Params, name: str) -> str:
    """The parameter's text ("" when absent); null characters, which no code or name holds
    and the database refuses to compare, are refused."""
    value = params.get(name) or ""
    if "\x00" in value:
        raise ParameterError(name, "text without null characters", value.replace("\x00", "\\0"))
    return value


def choice_param(
    params: Params,
    name: str,
    allowed: Iterable[str],
    *,
    default: str = "",
    expected: str = "",
) -> str:
    """One of ``allowed``, or ``default`` when the parameter is absent or empty; anything else
    is refused, naming the choices (or ``expected``, said in words)."""
    value = text_param(params, name) or default
    allowed = list(allowed)
    if value and value not in allowed:
        raise ParameterError(name, expected or "one of " + ", ".join(allowed), value)
    return value


def query_without_empty(params: "QueryDict") -> str | None:
    """The query string without its empty parameters (what a GET form sends for the fields
    left blank), or None when it has none: a page redirects there, so that the address stays
    short enough to share."""
    given = [(k, v) for k, values in params.lists() for v in values]
    kept = [(k, v) for k, v in given if v != ""]
    return None if len(kept) == len(given) else urlencode(kept)
