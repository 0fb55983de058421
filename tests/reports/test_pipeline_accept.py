"""The ingest pipeline stores a good report whole, and a bad one not at all."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from reports.ingest import observations
from reports.models import (
    Channel,
    Observation,
    Report,
    ReportStatus,
    ReportStatusChange,
)
from tests.reports.pipeline_support import (
    END,
    START,
    State,
    _body,
    _ingest,
    _observation,
    _report,
    _status_trail,
)

pytestmark = pytest.mark.django_db


# --- storing a good report ----------------------------------------------------------------


def test_valid_json_report_is_stored_and_accepted(world, observer_a):
    payload = _ingest(_body(_report(3)), sender=observer_a)

    assert payload.state == State.DONE
    report = Report.objects.get()
    assert payload.report == report
    assert payload.errors == [] and payload.attempts == 1 and payload.processed_at
    assert payload.result == {
        "report_id": report.pk,
        "revision": 1,
        "observations": 3,
        "supersedes": None,
        "clauses": [world.clause_a.pk],
    }
    assert report.status == ReportStatus.ACCEPTED
    assert (report.mission, report.external_id, report.revision) == (world.mission_a, "A-0001", 1)
    assert (report.period_start, report.period_end) == (START, END)
    assert (report.channel, report.filed_by, report.title) == (
        Channel.API,
        observer_a,
        "Daily report",
    )
    assert len(report.content_sha256) == 64
    assert _status_trail(report) == [("", "submitted"), ("submitted", "accepted")]
    observations = list(report.observations.order_by("sequence"))
    assert [o.sequence for o in observations] == [1, 2, 3]
    assert [o.quantity for o in observations] == [1, 2, 3]
    assert {o.clause_id for o in observations} == {world.clause_a.pk}
    assert Observation.objects.count() == 3


def test_period_defaults_to_the_span_of_the_observations(world, observer_a):
    document = _report(3)
    del document["period"]
    payload = _ingest(_body(document), sender=observer_a)
    report = payload.report
    assert report.period_start == dt.datetime(2025, 3, 1, 7, 1, tzinfo=dt.UTC)
    assert report.period_end == dt.datetime(2025, 3, 1, 9, 3, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (
            {"end": "2025-03-02T00:00:00Z"},
            ("2025-03-01T07:01:00+00:00", "2025-03-02T00:00:00+00:00"),
        ),
        (
            {"start": "2025-02-28T00:00:00Z"},
            ("2025-02-28T00:00:00+00:00", "2025-03-01T09:03:00+00:00"),
        ),
        (
            {"end": "2025-02-01T00:00:00Z"},
            ("2025-02-01T00:00:00+00:00", "2025-02-01T00:00:00+00:00"),
        ),
    ],
)
def test_half_open_period_is_completed_from_the_observations(world, observer_a, period, expected):
    payload = _ingest(_body(_report(3, period=period)), sender=observer_a)
    assert payload.state == State.DONE, payload.last_error
    report = payload.report
    assert (report.period_start.isoformat(), report.period_end.isoformat()) == expected


def test_naive_times_are_read_in_the_report_timezone(world, observer_a):
    document = _report(1, timezone="Europe/Kyiv")
    document["observations"][0]["occurred_at"] = "2025-01-20 08:00"
    payload = _ingest(_body(document), sender=observer_a)
    occurred = payload.report.observations.get().occurred_at
    assert occurred == dt.datetime(2025, 1, 20, 6, 0, tzinfo=dt.UTC)


def test_reserialised_with_other_offsets_is_the_same_content(world, observer_a):
    document = _report(2)
    _ingest(_body(document), sender=observer_a)
    shifted = _report(2, period={"start": "2025-03-01T02:00:00+02:00", "end": END.isoformat()})
    for row in shifted["observations"]:
        moment = dt.datetime.fromisoformat(row["occurred_at"])
        row["occurred_at"] = moment.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()

    second = _ingest(_body(shifted), sender=observer_a)

    assert second.result["duplicate"] is True
    assert Report.objects.count() == 1


def test_spreadsheet_cells_of_any_type_are_kept_as_attributes(world, observer_a):
    workbook = Workbook()
    workbook.active.append(["kind", "occurred_at", "duration", "at", "day", "checked"])
    workbook.active.append(
        ["incident", 45717.25, dt.timedelta(hours=5), dt.time(5, 30), dt.date(2025, 3, 1), True]
    )
    out = io.BytesIO()
    workbook.save(out)

    payload = _ingest(
        out.getvalue(),
        sender=observer_a,
        fmt="xlsx",
        mission=world.mission_a,
        params={"mission": "mission-a", "external_id": "X-1"},
    )

    assert payload.state == State.DONE, payload.last_error
    assert Observation.objects.get().attributes == {
        "duration": "5:00:00",
        "at": "05:30:00",
        "day": "2025-03-01T00:00:00",
        "checked": True,
    }


# --- all or nothing -----------------------------------------------------------------------


def test_bad_rows_among_good_ones_store_nothing_and_list_every_problem(world, observer_a):
    document = _report(100)
    document["observations"].insert(16, _observation(17, latitude=91))
    document["observations"].insert(80, _observation(81, kind="rumour"))

    payload = _ingest(_body(document), sender=observer_a)

    assert payload.state == State.REJECTED
    assert payload.errors == [
        "row 17, latitude: 91 is out of range (-90 to 90)",
        'row 81, kind: "rumour" is not one of violation, compliance, incident, '
        "access_restricted, information",
    ]
    assert payload.last_error == "2 problem(s); nothing from this payload was stored"
    assert payload.result == {"error_count": 2}
    assert payload.report is None
    assert Observation.objects.count() == 0
    assert Report.objects.count() == 0
    assert ReportStatusChange.objects.count() == 0


def test_rejection_past_the_first_batch_rolls_back_written_rows(world, observer_a, monkeypatch):
    monkeypatch.setattr(observations, "BATCH_SIZE", 10)
    document = _report(30)
    document["observations"].append(_observation(31, quantity=-5))
    payload = _ingest(_body(document), sender=observer_a)
    assert payload.state == State.REJECTED
    assert payload.errors == ["row 31, quantity: -5 is out of range (0 to 2e+09)"]
    assert Observation.objects.count() == 0 and Report.objects.count() == 0


def test_many_bad_rows_are_counted_but_the_list_is_capped(world, observer_a):
    document = _report(0)
    document["observations"] = [_observation(n, severity=9) for n in range(250)]
    payload = _ingest(_body(document), sender=observer_a)
    assert payload.state == State.REJECTED
    assert len(payload.errors) == observations.MAX_LISTED_ERRORS
    assert payload.result == {"error_count": 250}


def test_report_without_observations_is_rejected(world, observer_a):
    payload = _ingest(_body(_report(0)), sender=observer_a)
    assert payload.state == State.REJECTED
    assert payload.errors == ["file: the report has no observations"]
