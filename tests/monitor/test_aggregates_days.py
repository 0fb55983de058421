"""The daily figures count calendar days (``occurred_on``, the agreement's zone), never UTC
dates, and count rows flagged outside their clause's period or areas only as ``outside``."""

import datetime as dt
import json

import pytest

from monitor.aggregates import aggregates_refresh
from monitor.models import ClauseDay, PartyDay
from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.models import Channel, InboundPayload, Observation, ReportStatus
from reports.signals import report_accepted
from tests.factories import ObservationFactory, PartyFactory, ReportFactory

UTC = dt.UTC
START = dt.date(2021, 6, 1)


@pytest.fixture
def kyiv(world):
    agreement = world.agreement
    agreement.time_zone = "Europe/Kyiv"
    agreement.signed_on = agreement.in_force_on = START
    agreement.save()
    agreement.clauses.update(in_force_from=START)
    world.mechanism_a.active_from = START
    world.mechanism_a.save()
    PartyFactory(code="north", name="North")
    return world


def _ingest(rows: list[dict], *, external_id: str = "A-1") -> InboundPayload:
    document = {
        "mission": "mission-a",
        "external_id": external_id,
        "agreement": "test-ceasefire",
        "timezone": "Europe/Kyiv",
        "observations": rows,
    }
    payload = payload_receive(
        body=json.dumps(document).encode(),
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=None,
    ).payload
    payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    assert payload.state == InboundPayload.State.DONE, payload.errors
    return payload


def _violation(occurred_at: str, **extra) -> dict:
    return {
        "kind": "violation",
        "clause": "1",
        "party": "north",
        "occurred_at": occurred_at,
        **extra,
    }


def _clause_days(world) -> dict[dt.date, tuple[int, int, int]]:
    return {
        d.day: (d.violations, d.compliance, d.outside)
        for d in ClauseDay.objects.filter(clause=world.clause_a)
    }


def _party_days() -> dict[dt.date, int]:
    return dict(PartyDay.objects.values_list("day", "violations"))


def test_dates_without_a_time_read_in_kyiv_count_on_their_own_days(kyiv):
    # The case: January 2022 was given December's events.
    _ingest([_violation("2022-01-01"), _violation("2022-01-01"), _violation("2021-12-31")])

    aggregates_refresh()

    assert _clause_days(kyiv) == {dt.date(2022, 1, 1): (2, 0, 0), dt.date(2021, 12, 31): (1, 0, 0)}
    assert _party_days() == {dt.date(2022, 1, 1): 2, dt.date(2021, 12, 31): 1}


def test_a_time_at_2330_kyiv_on_31_january_counts_on_31_january(kyiv):
    _ingest([_violation("2022-01-31T23:30:00"), _violation("2022-01-31T22:30:00Z")])

    aggregates_refresh()

    # 23:30 Kyiv is 21:30 UTC on the 31st; 22:30 UTC is already 1 February in Kyiv.
    assert _clause_days(kyiv) == {dt.date(2022, 1, 31): (1, 0, 0), dt.date(2022, 2, 1): (1, 0, 0)}
    assert _party_days() == {dt.date(2022, 1, 31): 1, dt.date(2022, 2, 1): 1}


@pytest.mark.parametrize(
    ("sent", "day"),
    [
        ("2022-03-27T00:30:00", dt.date(2022, 3, 27)),  # 22:30 UTC on the 26th
        ("2022-03-27T03:30:00", dt.date(2022, 3, 27)),  # a time the clocks skip
        ("2022-03-27T04:00:00", dt.date(2022, 3, 27)),
        ("2022-03-26T23:59:00", dt.date(2022, 3, 26)),
        ("2022-10-30T00:30:00", dt.date(2022, 10, 30)),  # 21:30 UTC on the 29th (summer time)
        ("2022-10-30T03:30:00", dt.date(2022, 10, 30)),  # a time the clocks show twice
        ("2022-10-30T23:30:00", dt.date(2022, 10, 30)),  # 21:30 UTC (winter time)
        ("2022-10-30", dt.date(2022, 10, 30)),
    ],
)
def test_around_the_clock_changes_each_value_counts_on_its_kyiv_day(kyiv, sent, day):
    _ingest([_violation(sent)])

    aggregates_refresh()

    assert _clause_days(kyiv) == {day: (1, 0, 0)}
    assert _party_days() == {day: 1}


def test_flagged_rows_count_only_as_outside_whatever_their_kind(kyiv):
    payload = _ingest(
        [
            _violation("2022-01-05"),
            _violation("2022-01-05", quantity=7),
            {"kind": "compliance", "clause": "1", "occurred_at": "2022-01-05T10:00:00"},
            _violation("2022-01-05T12:00:00", quantity=3),
        ]
    )
    rows = Observation.objects.filter(report_id=payload.report_id).order_by("sequence")
    # As the scope checks flag them: the second by its period, the third by its area.
    rows.filter(sequence=2).update(outside_period=True, scope_note="before the clause")
    rows.filter(sequence=3).update(outside_area=True, scope_note="outside its areas")

    aggregates_refresh()

    [day] = ClauseDay.objects.filter(clause=kyiv.clause_a)
    assert (day.day, day.violations, day.compliance, day.outside) == (dt.date(2022, 1, 5), 2, 0, 2)
    assert day.quantity == 3  # the flagged row's 7 is not counted either
    assert _party_days() == {dt.date(2022, 1, 5): 2}


def test_a_day_with_only_flagged_rows_has_a_row_that_counts_nothing_else(kyiv):
    payload = _ingest([_violation("2022-01-06")])
    Observation.objects.filter(report_id=payload.report_id).update(outside_area=True)

    aggregates_refresh()

    assert _clause_days(kyiv) == {dt.date(2022, 1, 6): (0, 0, 1)}
    assert not PartyDay.objects.exists()


def test_since_and_until_are_calendar_days(kyiv):
    report = ReportFactory(mission=kyiv.mission_a, status=ReportStatus.ACCEPTED)
    at = dt.datetime(2022, 1, 31, 22, 30, tzinfo=UTC)  # 1 February in Kyiv
    for day in (dt.date(2022, 1, 31), dt.date(2022, 2, 1)):
        ObservationFactory(report=report, clause=kyiv.clause_a, occurred_at=at, occurred_on=day)

    aggregates_refresh(
        clause_ids=[kyiv.clause_a.pk], since=dt.date(2022, 2, 1), until=dt.date(2022, 2, 1)
    )

    assert _clause_days(kyiv) == {dt.date(2022, 2, 1): (1, 0, 0)}


def test_the_days_an_ingest_announces_cover_its_calendar_days(
    kyiv, django_capture_on_commit_callbacks
):
    announced = {}

    def remember(sender, *, since, until, clause_ids, **kwargs):
        announced.update(since=since, until=until, clause_ids=clause_ids)

    report_accepted.connect(remember, dispatch_uid="test.calendar_days")
    try:
        # 00:30 Kyiv on 1 February is still 31 January in UTC; the dates alone start the
        # evening before in UTC.
        rows = [_violation("2022-02-01T00:30:00"), _violation("2022-02-03")]
        with django_capture_on_commit_callbacks(execute=True):
            _ingest(rows)
    finally:
        report_accepted.disconnect(dispatch_uid="test.calendar_days")

    aggregates_refresh(**announced)  # as the evaluation request after the ingest does

    assert announced["since"] <= dt.date(2022, 2, 1) and announced["until"] >= dt.date(2022, 2, 3)
    assert _clause_days(kyiv) == {dt.date(2022, 2, 1): (1, 0, 0), dt.date(2022, 2, 3): (1, 0, 0)}
