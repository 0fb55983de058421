"""Retrospective alerts: findings about a past as_of, kept apart from the live alerts.

Minsk II's violations of February 2022 are filed today; a run as of 20 February 2022 finds
them, writes retrospective alerts about that date, and leaves the live alerts of the other
agreement exactly as they were. Re-running the date changes nothing; corrected data clears
the alert; live runs never touch it.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from agreements.models import Agreement
from monitor.models import Alert, AlertTransition, EvaluationRun
from monitor.selectors import alerts_live, alerts_retrospective
from monitor.services import alert_set_state, rules_run
from reports.models import Observation, Report, ReportStatus
from tests.factories import ObservationFactory, ReportFactory
from tests.monitor.clocks_world import (
    AS_OF,
    NOW,
    VIOLATIONS,
    clocks_world_build,
    live_alerts_snapshot,
    live_run,
    retrospective_run,
)

Kind = AlertTransition.Kind
State = Alert.State
HOURS = dt.timedelta(hours=3)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clocks(world, clock):
    """Live alerts open on the personas' agreement, then Minsk II's archival report filed."""
    live_run()
    assert alerts_live().exists()
    built = clocks_world_build()
    clock.shift(HOURS)  # the retrospective run comes later than the live one
    return built


def violation_alert(clocks) -> Alert:
    return alerts_retrospective().get(rule=VIOLATIONS, clause=clocks.point_1)


def test_a_retrospective_run_finds_the_archival_violations_about_its_date(clocks):
    run = retrospective_run(agreement_codes=["minsk-ii"])
    alert = violation_alert(clocks)
    assert alert.describes == AS_OF
    assert alert.first_seen == alert.last_seen == NOW + HOURS  # when it was learned
    assert alert.state == State.OPEN
    assert alert.details["count"] == 10
    assert alert.title.startswith("As of 20 February 2022: Violations")
    assert alert.explanation.startswith("As of 20 February 2022 (a retrospective finding): 10 ")
    assert "the latest 1 day ago" in alert.explanation  # counted back from 20 February
    assert list(alert.transitions.values_list("kind", "at")) == [(Kind.OPENED, NOW + HOURS)]
    assert (run.retrospective, run.as_of, run.known_at) == (True, AS_OF, NOW + HOURS)
    assert run.opened == alerts_retrospective().count() > 1  # unmonitored points too


def test_the_live_alerts_are_left_exactly_as_they_were(clocks):
    before = live_alerts_snapshot()
    retrospective_run(agreement_codes=["minsk-ii"])
    retrospective_run()  # every agreement: the personas' was not in force in 2022
    assert live_alerts_snapshot() == before
    assert not alerts_live().filter(agreement=clocks.minsk).exists()


def test_a_retrospective_alert_and_a_live_one_of_the_same_condition_coexist(world, clock):
    live_run()
    live = alerts_live().get(rule="clause.unmonitored")
    before = live_alerts_snapshot()
    clock.shift(HOURS)
    rules_as_of = dt.datetime(2025, 6, 1, 23, 59, 59, tzinfo=dt.UTC)  # in force already
    rules_run(trigger="command", as_of=rules_as_of)
    past = alerts_retrospective().get(rule="clause.unmonitored")
    assert past.fingerprint == live.fingerprint and past.pk != live.pk
    assert past.describes == rules_as_of
    assert live_alerts_snapshot() == before


def test_rerunning_the_same_date_changes_nothing_but_last_seen(clocks, clock):
    first = retrospective_run(agreement_codes=["minsk-ii"])
    alerts = list(alerts_retrospective().order_by("pk").values_list("pk", "state", "title"))
    transitions = AlertTransition.objects.count()
    clock.shift(HOURS)
    again = retrospective_run(agreement_codes=["minsk-ii"])
    assert list(alerts_retrospective().order_by("pk").values_list("pk", "state", "title")) == (
        alerts
    )
    assert AlertTransition.objects.count() == transitions
    assert (again.opened, again.updated, again.resolved) == (0, 0, 0)
    assert again.findings == first.findings
    assert violation_alert(clocks).last_seen == NOW + 2 * HOURS  # seen again, in place


def test_corrected_data_resolves_the_retrospective_alert(clocks, clock):
    retrospective_run(agreement_codes=["minsk-ii"])
    alert = violation_alert(clocks)
    clock.shift(HOURS)
    # The mission corrects its report: the February rows were compliance, not violations.
    archival = clocks.archival
    Report.objects.filter(pk=archival.pk).update(status=ReportStatus.SUPERSEDED)
    correction = ReportFactory(
        mission=clocks.smm,
        external_id=archival.external_id,
        revision=2,
        supersedes=archival,
        status=ReportStatus.ACCEPTED,
        period_start=archival.period_start,
        period_end=archival.period_end,
        filed_at=NOW + 2 * HOURS,
    )
    ObservationFactory(
        report=correction,
        clause=clocks.point_1,
        kind=Observation.Kind.COMPLIANCE,
        occurred_at=AS_OF - dt.timedelta(days=2),
    )
    before = live_alerts_snapshot()
    run = retrospective_run(agreement_codes=["minsk-ii"])
    alert.refresh_from_db()
    assert (alert.state, alert.resolved_at) == (State.RESOLVED, NOW + 2 * HOURS)
    assert alert.transitions.last().kind == Kind.AUTO_RESOLVED
    cleared = alerts_retrospective().filter(state=State.RESOLVED)
    assert set(cleared.values_list("rule", flat=True)) == {
        VIOLATIONS,
        "clause.violation_surge",
        "clause.single_source",
    }
    assert run.resolved == cleared.count() == 3
    assert live_alerts_snapshot() == before
    # Known as it was before the correction, the violations are still there: a run with
    # that known_at reopens the alert about that date.
    retrospective_run(agreement_codes=["minsk-ii"], known_at=NOW + HOURS)
    alert.refresh_from_db()
    assert alert.state == State.OPEN
    assert alert.transitions.last().kind == Kind.REOPENED


def test_a_live_run_leaves_retrospective_alerts_alone(clocks, clock):
    retrospective_run(agreement_codes=["minsk-ii"])
    rows = list(alerts_retrospective().order_by("pk").values_list("pk", "state", "last_seen"))
    transitions = AlertTransition.objects.filter(alert__describes__isnull=False).count()
    clock.shift(HOURS)
    run = live_run()
    assert list(alerts_retrospective().order_by("pk").values_list("pk", "state", "last_seen")) == (
        rows
    )
    assert AlertTransition.objects.filter(alert__describes__isnull=False).count() == transitions
    assert run.retrospective is False
    assert not alerts_live().filter(agreement=clocks.minsk).exists()  # lapsed in 2022


def test_a_live_run_never_reopens_a_resolved_retrospective_alert(clocks, clock, analyst):
    """The live run finds the same condition (a live agreement's unmonitored clause): it opens
    a live alert of its own instead of reviving the resolved retrospective one."""
    retrospective_run(agreement_codes=["minsk-ii"])
    alert = violation_alert(clocks)
    alert_set_state(alert=alert, state=State.RESOLVED, by=analyst, comment="Known, archived.")
    # The violation's clause as if still in force today: a live finding, same fingerprint.
    Agreement.objects.filter(pk=clocks.minsk.pk).update(expires_on=None, status="in_force")
    ObservationFactory(
        report=ReportFactory(
            mission=clocks.smm,
            status=ReportStatus.ACCEPTED,
            filed_at=NOW,
            period_start=NOW - dt.timedelta(days=1),
            period_end=NOW,
        ),
        clause=clocks.point_1,
        kind=Observation.Kind.VIOLATION,
        occurred_at=NOW - dt.timedelta(hours=2),
    )
    live_run()
    alert.refresh_from_db()
    assert alert.state == State.RESOLVED
    live = alerts_live().get(rule=VIOLATIONS, clause=clocks.point_1)
    assert live.fingerprint == alert.fingerprint and live.describes is None


def test_analysts_acknowledge_and_resolve_retrospective_alerts(clocks, analyst):
    retrospective_run(agreement_codes=["minsk-ii"])
    alert = violation_alert(clocks)
    alert_set_state(alert=alert, state=State.ACKNOWLEDGED, by=analyst)
    alert_set_state(alert=alert, state=State.RESOLVED, by=analyst, comment="Seen in the archive.")
    alert.refresh_from_db()
    assert alert.state == State.RESOLVED
    # The analyst's resolve holds while nothing new is seen about that date.
    retrospective_run(agreement_codes=["minsk-ii"])
    alert.refresh_from_db()
    assert alert.state == State.RESOLVED
    assert not alerts_retrospective().filter(rule=VIOLATIONS, state__in=Alert.LIVE_STATES).exists()


def test_another_date_gets_alerts_of_its_own(clocks):
    retrospective_run(agreement_codes=["minsk-ii"])
    earlier = AS_OF - dt.timedelta(days=3)
    rules_run(trigger="command", as_of=earlier, agreement_codes=["minsk-ii"])
    first, second = alerts_retrospective().filter(rule=VIOLATIONS).order_by("describes")
    assert (first.describes, second.describes) == (earlier, AS_OF)
    assert first.details["count"] == 8 and second.details["count"] == 10
    assert first.title.startswith("As of 17 February 2022")
    assert second.state == State.OPEN  # the later run did not resolve the other date's alert


def test_an_incremental_retrospective_run_speaks_only_for_its_clauses(clocks):
    retrospective_run(agreement_codes=["minsk-ii"])
    others = alerts_retrospective().exclude(clause=clocks.point_1)
    assert others.exists()
    rules_run(trigger="ingest", as_of=AS_OF, clause_ids=[clocks.point_1.pk])
    assert not others.filter(state=State.RESOLVED).exists()
    assert violation_alert(clocks).state == State.OPEN


@pytest.mark.parametrize(
    ("as_of", "known_at", "message"),
    [
        (NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=2), "live alerts follow"),
        (NOW + dt.timedelta(days=1), NOW, "is after known_at"),
        (AS_OF, NOW + dt.timedelta(days=1), "is in the future"),
    ],
)
def test_clocks_no_alert_can_hold_are_refused(world, clock, as_of, known_at, message):
    with pytest.raises(ValueError, match=message):
        rules_run(trigger="command", as_of=as_of, known_at=known_at)
    assert not Alert.objects.exists() and not EvaluationRun.objects.exists()


# --- the analysts' inbox and the metrics -----------------------------------------------------


def test_the_alert_admin_lists_the_present_unless_asked(clocks, client_for, analyst):
    retrospective_run(agreement_codes=["minsk-ii"])
    client = client_for(analyst)
    url = reverse("admin:monitor_alert_changelist")
    past = violation_alert(clocks)
    inbox = client.get(url).content.decode()
    assert past.title not in inbox  # "As of 20 February 2022: ..." stays out of the inbox
    assert alerts_live().first().title in inbox
    assert "The present (live)" in inbox and "Past dates (retrospective)" in inbox
    listing = client.get(url, {"about": "past", "rule": VIOLATIONS}).content.decode()
    assert past.title in listing
    assert '<td class="field-describes_day">20 February 2022</td>' in listing
    both = client.get(url, {"about": "all"}).content.decode()
    assert past.title in both and alerts_live().first().title in both
    page = client.get(reverse("admin:monitor_alert_change", args=[past.pk])).content.decode()
    assert "20 February 2022 (a retrospective finding about that date)" in page


def test_analysts_acknowledge_a_retrospective_alert_in_the_admin(clocks, client_for, analyst):
    retrospective_run(agreement_codes=["minsk-ii"])
    past = violation_alert(clocks)
    response = client_for(analyst).post(
        reverse("admin:monitor_alert_transition", args=[past.pk]),
        {"state": "acknowledged", "comment": ""},
    )
    assert response.status_code == 302
    past.refresh_from_db()
    assert past.state == State.ACKNOWLEDGED


def test_the_live_alert_gauges_count_live_alerts_only(clocks, client):
    retrospective_run(agreement_codes=["minsk-ii"])
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    live_open = sum(v for (name, _), v in samples.items() if name == "accord_alerts_open")
    assert live_open == alerts_live().filter(state=State.OPEN).count()
    assert samples[("accord_alerts_retrospective_unresolved", ())] == (
        alerts_retrospective().filter(state__in=Alert.LIVE_STATES).count()
    )
