"""cadence_status: ok until the interval, grace for the grace period, then overdue; ended
after the active period."""

import datetime as dt

from monitor.cadence import CadenceStatus, cadence_status, cadence_text

LAST = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
GRACE = dt.timedelta(hours=12)
SECOND = dt.timedelta(seconds=1)


def status(now: dt.datetime, **kwargs) -> CadenceStatus:
    values = {"last": LAST, "interval": DAY, "grace": GRACE, "now": now, **kwargs}
    return cadence_status(**values)


def test_exactly_one_interval_after_the_last_report_is_ok():
    assert status(LAST + DAY) == CadenceStatus.OK


def test_one_second_past_the_interval_is_grace():
    assert status(LAST + DAY + SECOND) == CadenceStatus.GRACE


def test_exactly_at_the_end_of_grace_is_still_grace():
    assert status(LAST + DAY + GRACE) == CadenceStatus.GRACE


def test_one_second_past_the_grace_is_overdue():
    assert status(LAST + DAY + GRACE + SECOND) == CadenceStatus.OVERDUE


def test_right_after_a_report_is_ok():
    assert status(LAST) == CadenceStatus.OK


def test_never_reported_is_measured_from_the_day_the_mechanism_became_active():
    since = dt.date(2025, 3, 1)
    start = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    assert status(start + DAY, last=None, since=since) == CadenceStatus.OK
    assert status(start + DAY + GRACE, last=None, since=since) == CadenceStatus.GRACE
    assert status(start + DAY + GRACE + SECOND, last=None, since=since) == CadenceStatus.OVERDUE


def test_never_reported_without_a_start_date_is_overdue():
    assert status(LAST, last=None, since=None) == CadenceStatus.OVERDUE


def test_a_weekly_mechanism_that_became_active_yesterday_is_ok():
    now = dt.datetime(2025, 3, 2, 23, 59, tzinfo=dt.UTC)
    result = status(
        now, last=None, since=dt.date(2025, 3, 1), interval=dt.timedelta(days=7), grace=DAY
    )
    assert result == CadenceStatus.OK


def test_after_its_last_active_day_a_mechanism_is_ended_not_overdue():
    until = dt.date(2025, 3, 1)
    last_day = dt.datetime(2025, 3, 1, 23, 59, tzinfo=dt.UTC)
    assert status(last_day + DAY, last=None, until=until) == CadenceStatus.ENDED
    assert status(last_day, last=LAST - 30 * DAY, until=until) == CadenceStatus.OVERDUE


def test_cadence_text_writes_the_end_date_out():
    assert cadence_text(CadenceStatus.ENDED, last=None, until=dt.date(2022, 3, 31)) == (
        "ended on 31 March 2022"
    )
    assert (
        cadence_text(CadenceStatus.OVERDUE, last=LAST) == "overdue: last covered up to 1 March 2025"
    )
    assert cadence_text(CadenceStatus.OK, last=None) == "ok: no report yet"
