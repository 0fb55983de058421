"""Calendar days and local times in a named zone: where a day starts, which day an instant
falls on, and the instant a local date and time name.

A calendar day is a day in some zone, never the UTC date of an instant: 00:30 in Kyiv on
15 February is 22:30 UTC on the 14th, and counts on the 15th there.
"""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=64)
def zone_named(name: str) -> dt.tzinfo:
    """The IANA zone ``name`` (UTC when empty); ValueError naming it when it is unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'unknown time zone "{name}"') from None


def zone_or_utc(name: str) -> dt.tzinfo:
    """The zone ``name``, or UTC when it is unknown: the admin and the loader refuse unknown
    zones, so one stored some other way must not stop a read or an ingest."""
    try:
        return zone_named(name)
    except ValueError:
        return dt.UTC


def local_instant(day: dt.date, time: dt.time | None, tz: dt.tzinfo) -> dt.datetime:
    """The instant ``day`` at ``time`` (midnight when None) names in ``tz``.

    A local time the clocks skip (a spring-forward gap) is read with the offset before the
    change, so it lands on the first instant after the gap, on the same day.
    """
    time = time or dt.time()
    return dt.datetime.combine(day, time.replace(tzinfo=None), tzinfo=tz)


def start_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The first instant of ``day`` in ``tz``."""
    return local_instant(day, None, tz)


def end_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The instant ``day`` ends in ``tz`` (the start of the next day): exclusive."""
    return start_of_day(day + dt.timedelta(days=1), tz)


def day_in(instant: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The calendar day ``instant`` falls on in ``tz``."""
    return instant.astimezone(tz).date()
