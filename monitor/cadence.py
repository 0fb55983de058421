"""Whether a mechanism reports as often as it should: a tiny pure function (healthchecks'
``Check.get_status``)."""

import datetime as dt
from enum import StrEnum


class CadenceStatus(StrEnum):
    OK = "ok"
    GRACE = "grace"
    OVERDUE = "overdue"


def cadence_status(
    *,
    last: dt.datetime | None,
    interval: dt.timedelta,
    grace: dt.timedelta,
    now: dt.datetime,
    since: dt.date | None = None,
) -> CadenceStatus:
    """ok until ``interval`` after the last report, grace for ``grace`` more, then overdue.

    A mechanism that has never reported is measured from the day it became active.
    """
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
