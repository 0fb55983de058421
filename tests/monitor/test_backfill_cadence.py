"""Backfill is safe: archival reports count for their own period, never as present-day
monitoring; cadence measures the periods reports cover; ended mechanisms are "ended"."""

import datetime as dt
import json

import pytest
import time_machine

from agreements.models import Agreement, Clause
from monitor.cadence import CadenceStatus, cadence_status
from monitor.models import Alert, EvaluationRun
from monitor.services import rules_evaluate, rules_run
from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.models import Channel, InboundPayload, Report
from reports.selectors import mechanisms_with_last_covered
from tests.factories import ReportFactory

NOW = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
STALE = "clause.stale_monitoring"
WAR_DAY = dt.datetime(2022, 2, 25, 12, 0, tzinfo=dt.UTC)  # a past as_of within the archive


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def weekly(world, clock):
    """Mission A's mechanism reports weekly (a day's grace) since 2022; the agreement is in
    force since then; mission A last covered a period four weeks ago."""
    Agreement.objects.filter(pk=world.agreement.pk).update(
        signed_on=dt.date(2021, 12, 1), in_force_on=dt.date(2022, 1, 1)
    )
    Clause.objects.filter(agreement=world.agreement).update(in_force_from=dt.date(2022, 1, 1))
    mechanism = world.mechanism_a
    mechanism.reporting_interval, mechanism.grace = 7 * DAY, DAY
    mechanism.active_from = dt.date(2022, 1, 1)
    mechanism.save()
    covered(world.mission_a, end=NOW - 28 * DAY, filed=NOW - 28 * DAY)
    return world


def covered(mission, *, end: dt.datetime, filed: dt.datetime, days: int = 7) -> Report:
    """An accepted report of ``mission`` covering ``days`` up to ``end``, filed at ``filed``
    (marked archival as acceptance would mark it)."""
    return ReportFactory(
        mission=mission,
        status="accepted",
        period_start=end - days * DAY,
        period_end=end,
        filed_at=filed,
        archival=filed - end > 7 * DAY,
    )


def ingest(world, sender, *, external_id: str, start: dt.datetime, end: dt.datetime) -> Report:
    """File a report of mission A through the real ingest, now."""
    body = {
        "format": "accord-monitor/report/v1",
        "mission": world.mission_a.code,
        "external_id": external_id,
        "agreement": world.agreement.code,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "observations": [
            {
                "kind": "violation",
                "clause": world.clause_a.reference,
                "occurred_at": (start + DAY).isoformat(),
                "place_name": "Shyrokyne",
                "quantity": 835,
            }
        ],
    }
    payload = payload_receive(
        body=json.dumps(body).encode(),
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=sender,
    ).payload
    payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    assert payload.state == InboundPayload.State.DONE, payload.errors
    return Report.objects.get(pk=payload.report_id)


def cadence(world, *, as_of: dt.datetime = NOW, known_at: dt.datetime = NOW) -> CadenceStatus:
    m = mechanisms_with_last_covered(as_of=as_of, known_at=known_at).get(pk=world.mechanism_a.pk)
    return cadence_status(
        last=m.last_covered,
        interval=m.reporting_interval,
        grace=m.grace,
        now=as_of,
        since=m.active_from,
        until=m.active_until,
    )


def stale(as_of: dt.datetime = NOW, known_at: dt.datetime = NOW) -> set[int]:
    findings = rules_evaluate(as_of=as_of, known_at=known_at, rules=[STALE]).findings
    return {f.clause_id for f in findings}


def run() -> EvaluationRun:
    return rules_run(trigger=EvaluationRun.Trigger.COMMAND)


def stale_alert(world) -> Alert:
    return Alert.objects.get(rule=STALE, clause=world.clause_a, describes=None)


def test_archival_import_leaves_the_stale_alert_open_and_the_cadence_overdue(
    weekly, observer_a, django_capture_on_commit_callbacks
):
    run()
    assert stale_alert(weekly).state == Alert.State.OPEN
    with django_capture_on_commit_callbacks(execute=True):
        report = ingest(
            weekly,
            observer_a,
            external_id="SMM-2022-02-24",
            start=dt.datetime(2022, 2, 16, tzinfo=dt.UTC),
            end=dt.datetime(2022, 2, 24, tzinfo=dt.UTC),
        )
    assert report.archival is True
    run()
    assert stale_alert(weekly).state == Alert.State.OPEN
    assert cadence(weekly) == CadenceStatus.OVERDUE


def test_stale_explanation_says_what_period_was_last_covered(weekly):
    findings = rules_evaluate(as_of=NOW, rules=[STALE]).findings
    [finding] = [f for f in findings if f.clause_id == weekly.clause_a.pk]
    assert (
        "Mechanism A (expected every 7 days) last covered up to 5 February 2026 "
        "(filed 5 February 2026)" in finding.explanation
    )
    assert finding.details["mechanisms"][0]["last_covered"] == "2026-02-05T12:00:00+00:00"


def test_an_archival_report_of_a_recent_period_does_not_count_for_the_present(weekly):
    slower = weekly.mechanism_a
    slower.reporting_interval = 20 * DAY  # the last report, 28 days ago, is overdue
    slower.save()
    assert cadence(weekly) == CadenceStatus.OVERDUE
    # Ten days after its period ended: archival, though the period is within the interval.
    covered(weekly.mission_a, end=NOW - 10 * DAY, filed=NOW)
    assert cadence(weekly) == CadenceStatus.OVERDUE
    assert weekly.clause_a.pk in stale()


def test_a_late_report_within_the_margin_refreshes_the_cadence(
    weekly, observer_a, django_capture_on_commit_callbacks
):
    run()
    with django_capture_on_commit_callbacks(execute=True):
        report = ingest(
            weekly, observer_a, external_id="A-LATE", start=NOW - 9 * DAY, end=NOW - 2 * DAY
        )
    assert report.archival is False
    assert cadence(weekly) == CadenceStatus.OK
    run()
    assert stale_alert(weekly).state == Alert.State.RESOLVED


def test_archival_data_counts_for_its_own_past(weekly):
    covered(
        weekly.mission_a,
        end=dt.datetime(2022, 2, 25, tzinfo=dt.UTC),
        filed=NOW,
    )
    assert cadence(weekly, as_of=WAR_DAY) == CadenceStatus.OK
    assert weekly.clause_a.pk not in stale(as_of=WAR_DAY)
    # As known then, nothing had been filed: the mechanism was stale on that day.
    assert weekly.clause_a.pk in stale(as_of=WAR_DAY, known_at=WAR_DAY)
    # And it does not reach into the present.
    assert weekly.clause_a.pk in stale()


def test_a_report_of_a_period_after_as_of_does_not_count_then(weekly):
    covered(weekly.mission_a, end=dt.datetime(2022, 3, 10, tzinfo=dt.UTC), filed=NOW)
    assert cadence(weekly, as_of=WAR_DAY) == CadenceStatus.OVERDUE


def test_an_ended_mechanism_is_ended_not_overdue_and_makes_nothing_stale(weekly):
    ended = weekly.mechanism_a
    ended.active_until = dt.date(2022, 3, 31)
    ended.save()
    assert cadence(weekly) == CadenceStatus.ENDED
    assert weekly.clause_a.pk not in stale()
    on_its_last_day = dt.datetime(2022, 3, 31, 12, tzinfo=dt.UTC)
    assert cadence(weekly, as_of=on_its_last_day) == CadenceStatus.OVERDUE
    assert weekly.clause_a.pk in stale(as_of=on_its_last_day)


def test_the_open_stale_alert_resolves_when_the_mechanism_ends(weekly):
    run()
    weekly.mechanism_a.active_until = NOW.date() - DAY
    weekly.mechanism_a.save()
    run()
    assert stale_alert(weekly).state == Alert.State.RESOLVED
    unmonitored = Alert.objects.get(rule="clause.unmonitored", clause=weekly.clause_a)
    assert unmonitored.state == Alert.State.OPEN


def test_reports_of_a_mission_past_its_mandate_do_not_count(weekly):
    mission = weekly.mission_a
    mission.active_until = dt.date(2022, 3, 31)
    mission.save()
    covered(mission, end=NOW - DAY, filed=NOW - DAY)
    assert cadence(weekly) == CadenceStatus.OVERDUE
    mission.active_until = None
    mission.save()
    assert cadence(weekly) == CadenceStatus.OK


def test_an_inactive_mission_still_counts_within_its_mandate(weekly):
    mission = weekly.mission_a
    mission.is_active = False  # may no longer file; what it filed still covers its periods
    mission.save()
    covered(mission, end=NOW - DAY, filed=NOW - DAY)
    assert cadence(weekly) == CadenceStatus.OK


def test_the_mechanisms_api_shows_an_ended_mechanism_as_ended(weekly, client_for, analyst):
    weekly.mechanism_a.active_until = dt.date(2022, 3, 31)
    weekly.mechanism_a.save()
    covered(weekly.mission_b, end=NOW - 3 * DAY, filed=NOW - 3 * DAY)
    response = client_for(analyst).get("/api/v1/mechanisms/")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()["results"]}
    assert (rows["mech-a"]["cadence_status"], rows["mech-a"]["cadence_text"]) == (
        "ended",
        "ended on 31 March 2022",
    )
    assert rows["mech-b"]["cadence_status"] == "overdue"  # daily, three days since
    assert rows["mech-b"]["cadence_text"] == "overdue: last covered up to 2 March 2026"
    assert rows["mech-b"]["last_covered"] == "2026-03-02T12:00:00Z"


def test_cadence_is_one_grouped_query_for_any_number_of_mechanisms(
    weekly, django_assert_num_queries
):
    covered(weekly.mission_b, end=NOW - DAY, filed=NOW - DAY)
    with django_assert_num_queries(1):
        rows = list(mechanisms_with_last_covered(as_of=NOW, known_at=NOW).values("last_covered"))
    assert len(rows) == 2


def test_mechanism_admin_shows_the_active_period_and_cadence_in_words(
    weekly, client_for, admin_user
):
    weekly.mechanism_a.active_until = dt.date(2022, 3, 31)
    weekly.mechanism_a.save()
    page = client_for(admin_user).get("/admin/agreements/verificationmechanism/").content.decode()
    assert "ended on 31 March 2022" in page
    assert "every 7 days, 1 day of grace" in page
    assert "every day, 12 hours of grace" in page  # mechanism B
