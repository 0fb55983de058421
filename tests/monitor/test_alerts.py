"""Findings become alerts: opened, updated, resolved and reopened, each change a transition."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from monitor.models import Alert, AlertTransition, EvaluationRun, RuleConfig
from monitor.services import alert_set_state, rules_run
from reports.models import Observation, ReportStatus
from tests.factories import MechanismFactory, ObservationFactory, ReportFactory

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
UNMONITORED = "clause.unmonitored"
VIOLATIONS = "clause.violation_recorded"
Kind = AlertTransition.Kind
State = Alert.State


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def run(**kwargs) -> EvaluationRun:
    return rules_run(trigger=EvaluationRun.Trigger.COMMAND, **kwargs)


def violation(world, *, severity: int = 2, at: dt.datetime | None = None) -> Observation:
    at = at or NOW - HOUR
    report = ReportFactory(
        mission=world.mission_a,
        status=ReportStatus.ACCEPTED,
        filed_at=at,
        period_start=at - HOUR,
        period_end=at,
    )
    return ObservationFactory(
        report=report, clause=world.clause_a, kind="violation", occurred_at=at, severity=severity
    )


def alert_for(rule: str, clause) -> Alert:
    return Alert.objects.get(rule=rule, clause=clause)


def kinds(alert: Alert) -> list[str]:
    return list(alert.transitions.values_list("kind", flat=True))


def unmonitored_alert(world) -> Alert:
    return alert_for(UNMONITORED, world.clause_unmonitored)


def test_a_finding_opens_an_alert_with_an_opened_transition(world, clock):
    first = run()
    alert = unmonitored_alert(world)
    assert (alert.state, alert.agreement, alert.party) == (State.OPEN, world.agreement, None)
    assert alert.first_seen == alert.last_seen == NOW
    [transition] = alert.transitions.all()
    assert (transition.kind, transition.from_state, transition.to_state) == (
        Kind.OPENED,
        "",
        State.OPEN,
    )
    assert (transition.at, transition.by, transition.severity) == (NOW, None, alert.severity)
    assert first.opened == Alert.objects.count() and first.resolved == 0


def test_rules_run_twice_creates_no_alert_and_no_transition(world, clock):
    violation(world)
    MechanismFactory(agreement=world.agreement).clauses.set([world.clause_b])  # silent too
    run()
    alerts, transitions = Alert.objects.count(), AlertTransition.objects.count()
    assert alerts >= 4  # unmonitored, stale twice, violations
    clock.shift(HOUR)
    second = run()
    assert (Alert.objects.count(), AlertTransition.objects.count()) == (alerts, transitions)
    assert (second.opened, second.updated, second.resolved) == (0, 0, 0)
    assert unmonitored_alert(world).last_seen == NOW + HOUR


def test_the_condition_clears_and_the_alert_is_auto_resolved(world, clock):
    run()
    mechanism = MechanismFactory(agreement=world.agreement)
    mechanism.clauses.set([world.clause_unmonitored])
    clock.shift(HOUR)
    result = run()
    alert = unmonitored_alert(world)
    assert (alert.state, alert.resolved_at) == (State.RESOLVED, NOW + HOUR)
    assert alert.updated_at == NOW + HOUR  # the API's ?changed_since= finds it
    assert alert.last_seen == NOW
    assert kinds(alert) == [Kind.OPENED, Kind.AUTO_RESOLVED]
    resolved = alert.transitions.last()
    assert (resolved.from_state, resolved.to_state) == (State.OPEN, State.RESOLVED)
    assert result.resolved == 1


def test_the_condition_returns_and_the_same_alert_is_reopened(world, clock):
    run()
    original = unmonitored_alert(world)
    mechanism = MechanismFactory(agreement=world.agreement)
    mechanism.clauses.set([world.clause_unmonitored])
    clock.shift(HOUR)
    run()
    mechanism.clauses.clear()
    clock.shift(HOUR)
    result = run()
    alert = Alert.objects.get(rule=UNMONITORED)
    assert alert.pk == original.pk
    assert (alert.state, alert.resolved_at) == (State.OPEN, None)
    assert alert.first_seen == NOW and alert.last_seen == NOW + 2 * HOUR
    assert kinds(alert) == [Kind.OPENED, Kind.AUTO_RESOLVED, Kind.REOPENED]
    assert result.opened == 1


def test_a_worse_violation_escalates_the_alert(world, clock):
    violation(world, severity=2)
    run()
    clock.shift(HOUR)
    worse = violation(world, severity=4, at=NOW)
    run()
    alert = alert_for(VIOLATIONS, world.clause_a)
    assert alert.severity == 4
    assert kinds(alert) == [Kind.OPENED, Kind.ESCALATED, Kind.EVIDENCE_ADDED]
    escalated = alert.transitions.get(kind=Kind.ESCALATED)
    assert (escalated.severity, escalated.to_state) == (4, State.OPEN)
    assert worse in alert.evidence.all()


def test_new_evidence_is_added_to_the_live_alert(world, clock):
    first = violation(world)
    run()
    clock.shift(HOUR)
    second = violation(world, at=NOW)
    result = run()
    alert = alert_for(VIOLATIONS, world.clause_a)
    assert kinds(alert) == [Kind.OPENED, Kind.EVIDENCE_ADDED]
    assert set(alert.evidence.all()) == {first, second}
    assert alert.details["count"] == 2
    assert result.updated == 2  # violations and single source, both on clause 1


def test_the_worst_violation_ageing_out_deescalates_the_alert(world, clock):
    violation(world, severity=4, at=NOW - dt.timedelta(days=29, hours=12))
    violation(world, severity=2)
    run()
    clock.shift(dt.timedelta(days=1))
    run()
    alert = alert_for(VIOLATIONS, world.clause_a)
    assert alert.severity == 2
    assert kinds(alert) == [Kind.OPENED, Kind.DEESCALATED]
    assert alert.transitions.last().comment == "severity 4 → 2"


def test_the_violations_age_out_and_the_alert_is_auto_resolved(world, clock):
    violation(world)
    run()
    clock.shift(dt.timedelta(days=31))
    run()
    alert = alert_for(VIOLATIONS, world.clause_a)
    assert kinds(alert) == [Kind.OPENED, Kind.AUTO_RESOLVED]
    assert alert.evidence.count() == 1  # the evidence stays on the record


def test_analyst_acknowledges_then_resolves_with_a_comment(world, clock, analyst):
    run()
    alert = unmonitored_alert(world)
    alert_set_state(alert=alert, state=State.ACKNOWLEDGED, by=analyst)
    assert alert.state == State.ACKNOWLEDGED
    with pytest.raises(ValidationError, match="comment"):
        alert_set_state(alert=alert, state=State.RESOLVED, by=analyst, comment="  ")
    alert_set_state(alert=alert, state=State.RESOLVED, by=analyst, comment="Mechanism agreed.")
    alert.refresh_from_db()
    assert (alert.state, alert.resolved_at) == (State.RESOLVED, NOW)
    rows = list(alert.transitions.values_list("kind", "from_state", "to_state", "by", "comment"))
    assert rows[1:] == [
        (Kind.ACKNOWLEDGED, State.OPEN, State.ACKNOWLEDGED, analyst.pk, ""),
        (Kind.RESOLVED, State.ACKNOWLEDGED, State.RESOLVED, analyst.pk, "Mechanism agreed."),
    ]


def test_a_resolve_by_an_analyst_holds_while_nothing_new_is_seen(world, clock, analyst):
    violation(world)
    run()
    alert = alert_for(VIOLATIONS, world.clause_a)
    alert_set_state(alert=alert, state=State.RESOLVED, by=analyst, comment="Duplicate report.")
    clock.shift(HOUR)
    result = run()  # the same violation is still in the window
    alert.refresh_from_db()
    assert alert.state == State.RESOLVED
    assert kinds(alert) == [Kind.OPENED, Kind.RESOLVED]
    assert result.opened == 0


def test_a_resolve_by_an_analyst_gives_way_to_new_evidence(world, clock, analyst):
    violation(world)
    run()
    alert = alert_for(VIOLATIONS, world.clause_a)
    alert_set_state(alert=alert, state=State.RESOLVED, by=analyst, comment="Duplicate report.")
    clock.shift(HOUR)
    fresh = violation(world, at=NOW)
    run()
    alert.refresh_from_db()
    assert alert.state == State.OPEN
    assert kinds(alert) == [Kind.OPENED, Kind.RESOLVED, Kind.REOPENED]
    assert fresh in alert.evidence.all()


def test_an_acknowledged_alert_stays_acknowledged_while_the_condition_holds(world, clock, analyst):
    run()
    alert_set_state(alert=unmonitored_alert(world), state=State.ACKNOWLEDGED, by=analyst)
    clock.shift(HOUR)
    run()
    alert = unmonitored_alert(world)
    assert alert.state == State.ACKNOWLEDGED
    assert kinds(alert) == [Kind.OPENED, Kind.ACKNOWLEDGED]


def test_an_acknowledged_alert_is_auto_resolved_when_the_condition_clears(world, clock, analyst):
    run()
    alert_set_state(alert=unmonitored_alert(world), state=State.ACKNOWLEDGED, by=analyst)
    MechanismFactory(agreement=world.agreement).clauses.set([world.clause_unmonitored])
    run()
    resolved = unmonitored_alert(world).transitions.last()
    assert (resolved.kind, resolved.from_state, resolved.by) == (
        Kind.AUTO_RESOLVED,
        State.ACKNOWLEDGED,
        None,
    )


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (State.OPEN, State.OPEN),
        (State.RESOLVED, State.OPEN),
        (State.RESOLVED, State.ACKNOWLEDGED),
        (State.ACKNOWLEDGED, State.ACKNOWLEDGED),
    ],
)
def test_an_illegal_move_is_refused_and_not_recorded(world, clock, analyst, start, target):
    run()
    alert = unmonitored_alert(world)
    Alert.objects.filter(pk=alert.pk).update(state=start)
    with pytest.raises(ValidationError):
        alert_set_state(alert=alert, state=target, by=analyst, comment="because")
    assert Alert.objects.get(pk=alert.pk).state == start
    assert kinds(alert) == [Kind.OPENED]


def test_a_second_live_alert_with_the_same_fingerprint_is_refused(world, clock):
    run()
    alert = unmonitored_alert(world)
    twin = Alert.objects.get(pk=alert.pk)
    twin.pk = None
    twin.state = State.ACKNOWLEDGED
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_a_resolved_alert_and_a_live_one_may_share_the_fingerprint(world, clock):
    run()
    alert = unmonitored_alert(world)
    Alert.objects.filter(pk=alert.pk).update(state=State.RESOLVED, resolved_at=NOW)
    twin = Alert.objects.get(pk=alert.pk)
    twin.pk, twin.state, twin.resolved_at = None, State.OPEN, None
    twin.save()
    assert Alert.objects.filter(fingerprint=alert.fingerprint).count() == 2


def test_incremental_run_leaves_the_alerts_of_other_clauses_untouched(world, clock):
    run()
    MechanismFactory(agreement=world.agreement).clauses.set([world.clause_unmonitored])
    before = set(Alert.objects.exclude(clause=world.clause_a).values_list("pk", "state"))
    violation(world)
    clock.shift(HOUR)
    result = run(clause_ids=[world.clause_a.pk])
    assert set(Alert.objects.exclude(clause=world.clause_a).values_list("pk", "state")) == before
    assert unmonitored_alert(world).state == State.OPEN  # cleared, but not in this run's scope
    assert alert_for(VIOLATIONS, world.clause_a).state == State.OPEN
    # Opened: violations and single source; resolved: clause 1's stale monitoring (the
    # violation came in a fresh report of mission A).
    assert (result.opened, result.resolved, result.clauses) == (2, 1, 1)
    assert alert_for("clause.stale_monitoring", world.clause_a).state == State.RESOLVED


def test_a_rule_switched_off_for_the_agreement_resolves_its_alerts(world, clock):
    violation(world)
    run()
    RuleConfig.objects.create(agreement=world.agreement, rule=VIOLATIONS, enabled=False)
    clock.shift(HOUR)
    run()
    alert = alert_for(VIOLATIONS, world.clause_a)
    assert alert.state == State.RESOLVED
    assert kinds(alert) == [Kind.OPENED, Kind.AUTO_RESOLVED]
    assert unmonitored_alert(world).state == State.OPEN


def test_rules_run_records_an_evaluation_run(world, clock):
    result = run(agreement_codes=["test-ceasefire"])
    stored = EvaluationRun.objects.get()
    assert stored == result
    assert (stored.trigger, stored.as_of, stored.clauses) == ("command", NOW, 3)
    assert stored.findings == Alert.objects.count() == stored.opened
    assert stored.summary["per_rule"][UNMONITORED] == 1


def test_an_ingest_that_touched_no_clause_evaluates_nothing_and_changes_nothing(world, clock):
    run()
    before = list(Alert.objects.values_list("id", "state", "last_seen"))
    result = rules_run(trigger=EvaluationRun.Trigger.INGEST, clause_ids=[])
    assert (result.clauses, result.findings, result.opened, result.resolved) == (0, 0, 0, 0)
    assert list(Alert.objects.values_list("id", "state", "last_seen")) == before
