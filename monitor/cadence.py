"""Whether a mechanism reports as often as it should: a tiny pure function (healthchecks'
``Check.get_status``)."""

import datetime as dt
from enum import StrEnum


class CadenceStatus(StrEnum):
    OK = "ok"
    GRACE = "grace"
    OVERDUE = "overdue"
    ENDED = "ended"


def cadence_status(
    *,
    last: dt.datetime | None,
    interval: dt.timedelta,
    grace: dt.timedelta,
    now: dt.datetime,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> CadenceStatus:
    """ok until ``interval`` after ``last`` (the end of the period last covered), grace for
    ``grace`` more, then overdue; ended once ``now`` is past ``until``, its last active day.

    A mechanism that has never reported is measured from ``since``, the day it became active.
    Days are read in UTC, as the mechanisms' active periods are.
    """
    if until is not None and now.astimezone(dt.UTC).date() > until:
        return CadenceStatus.ENDED
    if last is None:
        if since is None:
            return CadenceStatus.OVERDUE
        last = dt.datetime(since.year, since.month, since.day, tzinfo=dt.UTC)
    due = last + interval
    if now <= due:
        return CadenceStatus.OK
    if now <= due + grace:
        return CadenceStatus.GRACE
    return CadenceStatus.OVERDUE


def cadence_text(
    status: CadenceStatus, *, last: dt.datetime | None, until: dt.date | None = None
) -> str:
    """The status in words for a reader: "ended on 31 March 2022" once the mechanism's period
    is over, otherwise "overdue: last covered up to 3 March 2026" (or "ok: no report yet")."""
    if status == CadenceStatus.ENDED and until is not None:
        return f"ended on {_day(until)}"
    if last is None:
        return f"{status.value}: no report yet"
    return f"{status.value}: last covered up to {_day(last.astimezone(dt.UTC))}"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"
