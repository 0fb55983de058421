"""Each rule on its edge cases, evaluated as of a fixed moment (rules_evaluate writes nothing)."""

import datetime as dt

import pytest
import time_machine

from agreements.models import Agreement, DateAnchor
from agreements.services import clause_dates_resolve
from monitor.models import Alert, RuleConfig, Severity
from monitor.services import rules_evaluate, rules_run
from reports.models import Observation, ReportStatus
from tests.factories import (
    AgreementFactory,
    AreaFactory,
    ClauseFactory,
    MechanismFactory,
    MissionFactory,
    ObservationFactory,
    PartyFactory,
    ReportFactory,
)

AS_OF = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
TODAY = AS_OF.date()
SECOND = dt.timedelta(seconds=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

UNMONITORED = "clause.unmonitored"
STALE = "clause.stale_monitoring"
VIOLATIONS = "clause.violation_recorded"
SURGE = "clause.violation_surge"
DEADLINE = "clause.deadline_missed"
ACCESS = "clause.access_restricted"
SINGLE_SOURCE = "clause.single_source"
PREREQUISITE = "clause.prerequisite_breached"


def findings(rule: str, as_of: dt.datetime = AS_OF) -> list:
    return rules_evaluate(as_of=as_of, rules=[rule]).findings


def flagged(rule: str, as_of: dt.datetime = AS_OF) -> set[int]:
    return {f.clause_id for f in findings(rule, as_of)}


def filed(mission, at: dt.datetime, *, status: str = ReportStatus.ACCEPTED, **extra):
    """A report of ``mission`` filed (and accepted) at ``at``."""
    return ReportFactory(
        mission=mission,
        status=status,
        filed_at=at,
        period_start=at - DAY,
        period_end=at,
        **extra,
    )


def observe(clause, mission, *, at: dt.datetime, report=None, **extra) -> Observation:
    """A violation (unless ``kind`` says otherwise) in a report filed when it occurred."""
    extra.setdefault("kind", Observation.Kind.VIOLATION)
    return ObservationFactory(
        report=report or filed(mission, at), clause=clause, occurred_at=at, **extra
    )


def configure(world, rule: str, **fields) -> RuleConfig:
    return RuleConfig.objects.create(agreement=world.agreement, rule=rule, **fields)


# --- clause.unmonitored -----------------------------------------------------------------


def test_unmonitored_flags_only_the_clause_no_mechanism_covers(world):
    assert flagged(UNMONITORED) == {world.clause_unmonitored.pk}


def test_unmonitored_finding_names_the_clause(world):
    [finding] = findings(UNMONITORED)
    assert finding.agreement_id == world.agreement.pk
    assert finding.severity == Severity.MODERATE
    assert "clause 3 (Exchange)" in finding.explanation


def test_unmonitored_flags_a_clause_whose_mechanism_is_no_longer_active(world):
    world.mechanism_a.active_until = TODAY - DAY
    world.mechanism_a.save()
    assert flagged(UNMONITORED) == {world.clause_a.pk, world.clause_unmonitored.pk}


def test_unmonitored_counts_a_mechanism_on_its_last_active_day(world):
    world.mechanism_a.active_until = TODAY
    world.mechanism_a.save()
    assert flagged(UNMONITORED) == {world.clause_unmonitored.pk}


def test_unmonitored_ignores_a_mechanism_that_becomes_active_tomorrow(world):
    later = MechanismFactory(agreement=world.agreement, active_from=TODAY + DAY)
    later.clauses.set([world.clause_unmonitored])
    assert world.clause_unmonitored.pk in flagged(UNMONITORED)
    assert world.clause_unmonitored.pk not in flagged(UNMONITORED, AS_OF + DAY)


def test_unmonitored_skips_a_clause_not_yet_in_force(world):
    world.clause_unmonitored.in_force_from = TODAY + DAY
    world.clause_unmonitored.save()
    assert flagged(UNMONITORED) == set()
    assert flagged(UNMONITORED, AS_OF + DAY) == {world.clause_unmonitored.pk}


@pytest.mark.parametrize("status", [Agreement.Status.SUSPENDED, Agreement.Status.DRAFT])
def test_unmonitored_flags_nothing_in_a_suspended_or_draft_agreement(world, status):
    Agreement.objects.filter(pk=world.agreement.pk).update(status=status)
    assert findings(UNMONITORED) == []


def test_unmonitored_flags_a_terminated_agreement_until_it_expires(world):
    expiry = TODAY + dt.timedelta(days=10)
    Agreement.objects.filter(pk=world.agreement.pk).update(
        status=Agreement.Status.TERMINATED, expires_on=expiry
    )
    on_expiry = dt.datetime.combine(expiry, dt.time(12), tzinfo=dt.UTC)
    assert flagged(UNMONITORED) == {world.clause_unmonitored.pk}
    assert flagged(UNMONITORED, on_expiry) == {world.clause_unmonitored.pk}
    assert flagged(UNMONITORED, on_expiry + DAY) == set()


def test_unmonitored_takes_a_terminated_agreement_without_expiry_as_not_binding(world):
    Agreement.objects.filter(pk=world.agreement.pk).update(status=Agreement.Status.TERMINATED)
    assert findings(UNMONITORED) == []


def test_unmonitored_skips_an_agreement_not_yet_in_force(world):
    Agreement.objects.filter(pk=world.agreement.pk).update(signed_on=TODAY, in_force_on=TODAY + DAY)
    assert findings(UNMONITORED) == []


# --- clause.stale_monitoring -------------------------------------------------------------

GRACE_LIMIT = DAY + dt.timedelta(hours=12)  # the world's mechanisms: daily, 12 h grace


def test_stale_monitoring_a_report_filed_exactly_at_the_grace_limit_is_not_stale(world):
    filed(world.mission_a, AS_OF - GRACE_LIMIT)
    assert world.clause_a.pk not in flagged(STALE)


def test_stale_monitoring_one_second_past_the_grace_limit_is_stale(world):
    filed(world.mission_a, AS_OF - GRACE_LIMIT - SECOND)
    [finding] = [f for f in findings(STALE) if f.clause_id == world.clause_a.pk]
    assert "Mechanism A (expected every day) last filed 2 days ago" in finding.explanation


def test_stale_monitoring_never_reported_names_the_mechanism(world):
    filed(world.mission_b, AS_OF - HOUR)
    [finding] = findings(STALE)
    assert finding.clause_id == world.clause_a.pk
    assert "Mechanism A (expected every day) has never filed a report" in finding.explanation
    assert finding.details["mechanisms"][0]["last_filed"] is None


def test_stale_monitoring_ignores_reports_not_accepted_or_filed_later(world):
    filed(world.mission_a, AS_OF - HOUR, status=ReportStatus.SUBMITTED)
    filed(world.mission_a, AS_OF - HOUR, status=ReportStatus.REJECTED)
    filed(world.mission_a, AS_OF + HOUR)
    assert world.clause_a.pk in flagged(STALE)


def test_stale_monitoring_a_mechanism_active_since_yesterday_without_reports_is_not_stale(world):
    clause = ClauseFactory(agreement=world.agreement, reference="4")
    mechanism = MechanismFactory(agreement=world.agreement, active_from=TODAY - DAY)
    mechanism.clauses.set([clause])
    MissionFactory().mechanisms.set([mechanism])
    morning = dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC)
    assert clause.pk not in flagged(STALE, morning)


def test_stale_monitoring_one_fresh_mechanism_of_two_keeps_the_clause_watched(world):
    second = MechanismFactory(agreement=world.agreement, name="Mechanism C")
    second.clauses.set([world.clause_a])
    mission = MissionFactory()
    mission.mechanisms.set([second])
    assert world.clause_a.pk in flagged(STALE)
    filed(mission, AS_OF - HOUR)
    assert world.clause_a.pk not in flagged(STALE)


def test_stale_monitoring_names_every_overdue_mechanism(world):
    second = MechanismFactory(agreement=world.agreement, name="Mechanism C")
    second.clauses.set([world.clause_a])
    [finding] = [f for f in findings(STALE) if f.clause_id == world.clause_a.pk]
    assert "Mechanism A" in finding.explanation and "Mechanism C" in finding.explanation
    assert finding.explanation.index("Mechanism A") < finding.explanation.index("Mechanism C")


def test_stale_monitoring_skips_an_unwatched_clause(world):
    assert world.clause_unmonitored.pk not in flagged(STALE)


def test_stale_monitoring_counts_a_superseded_report_whose_correction_came_after_as_of(world):
    original = filed(
        world.mission_a, AS_OF - HOUR, status=ReportStatus.SUPERSEDED, external_id="R-1"
    )
    filed(world.mission_a, AS_OF + HOUR, external_id="R-1", revision=2, supersedes=original)
    assert world.clause_a.pk not in flagged(STALE)


# --- clause.violation_recorded -----------------------------------------------------------


def test_violation_recorded_flags_one_violation_by_default(world):
    observation = observe(world.clause_a, world.mission_a, at=AS_OF - DAY, severity=3)
    [finding] = findings(VIOLATIONS)
    assert (finding.clause_id, finding.party_id) == (world.clause_a.pk, None)
    assert finding.severity == 3  # the worst violation's
    assert finding.evidence == [observation.pk]
    assert "1 violation(s) of Test ceasefire, clause 1 (Ceasefire)" in finding.explanation


def test_violation_recorded_threshold_from_the_agreements_rule_config(world):
    configure(world, VIOLATIONS, params={"threshold": 3})
    for hours in (1, 2):
        observe(world.clause_a, world.mission_a, at=AS_OF - hours * HOUR)
    assert findings(VIOLATIONS) == []
    observe(world.clause_a, world.mission_a, at=AS_OF - 3 * HOUR)
    [finding] = findings(VIOLATIONS)
    assert finding.details["count"] == 3


def test_violation_recorded_min_severity(world):
    configure(world, VIOLATIONS, params={"min_severity": 3})
    observe(world.clause_a, world.mission_a, at=AS_OF - HOUR, severity=2)
    assert findings(VIOLATIONS) == []
    observe(world.clause_a, world.mission_a, at=AS_OF - HOUR, severity=3)
    [finding] = findings(VIOLATIONS)
    assert finding.details["count"] == 1


def test_violation_recorded_min_verification_excludes_weaker_and_disputed(world):
    configure(world, VIOLATIONS, params={"min_verification": "corroborated"})
    for status in ("unverified", "disputed"):
        observe(world.clause_a, world.mission_a, at=AS_OF - HOUR, verification_status=status)
    assert findings(VIOLATIONS) == []
    for status in ("corroborated", "confirmed"):
        observe(world.clause_a, world.mission_a, at=AS_OF - HOUR, verification_status=status)
    [finding] = findings(VIOLATIONS)
    assert finding.details["count"] == 2


def test_violation_recorded_config_severity_overrides_the_worst_violation(world):
    configure(world, VIOLATIONS, severity=Severity.CRITICAL)
    observe(world.clause_a, world.mission_a, at=AS_OF - HOUR, severity=1)
    [finding] = findings(VIOLATIONS)
    assert finding.severity == Severity.CRITICAL


def test_violation_recorded_one_finding_per_clause_and_party(world):
    ours, theirs = PartyFactory(name="Ours"), PartyFactory(name="Theirs")
    for party in (ours, ours, theirs, None):
        observe(world.clause_a, world.mission_a, at=AS_OF - HOUR, party=party)
    observe(world.clause_b, world.mission_b, at=AS_OF - HOUR, party=ours)
    found = {(f.clause_id, f.party_id): f for f in findings(VIOLATIONS)}
    a, b = world.clause_a.pk, world.clause_b.pk
    assert set(found) == {(a, ours.pk), (a, theirs.pk), (a, None), (b, ours.pk)}
    assert found[(a, ours.pk)].details["count"] == 2
    assert "attributed to Ours" in found[(a, ours.pk)].explanation
    assert len({f.fingerprint for f in found.values()}) == 4


def test_violation_recorded_window_boundary(world):
    window = dt.timedelta(days=30)
    observe(world.clause_a, world.mission_a, at=AS_OF - window)
    observe(world.clause_b, world.mission_b, at=AS_OF - window + SECOND)
    observe(world.clause_unmonitored, world.mission_b, at=AS_OF + SECOND)  # after as_of
    assert flagged(VIOLATIONS) == {world.clause_b.pk}


def test_violation_recorded_ignores_reports_not_accepted_or_not_yet_filed(world):
    at = AS_OF - DAY
    for status, filed_at in [
        (ReportStatus.DRAFT, at),
        (ReportStatus.SUBMITTED, at),
        (ReportStatus.REJECTED, at),
        (ReportStatus.ACCEPTED, None),
        (ReportStatus.ACCEPTED, AS_OF + SECOND),
    ]:
        report = ReportFactory(mission=world.mission_a, status=status, filed_at=filed_at)
        observe(world.clause_a, world.mission_a, at=at, report=report)
    assert findings(VIOLATIONS) == []
    assert flagged(VIOLATIONS, AS_OF + SECOND) == {world.clause_a.pk}


def test_violation_recorded_sees_a_corrected_report_as_it_stood_at_as_of(world):
    original = filed(
        world.mission_a, AS_OF - DAY, status=ReportStatus.SUPERSEDED, external_id="R-1"
    )
    old = observe(world.clause_a, world.mission_a, at=AS_OF - DAY, report=original)
    correction = filed(
        world.mission_a, AS_OF + HOUR, external_id="R-1", revision=2, supersedes=original
    )
    new = observe(world.clause_a, world.mission_a, at=AS_OF - DAY, report=correction)
    [before] = findings(VIOLATIONS)
    [after] = findings(VIOLATIONS, AS_OF + 2 * HOUR)
    assert (before.evidence, after.evidence) == ([old.pk], [new.pk])


def test_violation_recorded_switched_off_for_the_agreement(world):
    configure(world, VIOLATIONS, enabled=False)
    observe(world.clause_a, world.mission_a, at=AS_OF - HOUR)
    assert findings(VIOLATIONS) == []


def test_violation_recorded_config_of_another_agreement_does_not_apply(world):
    RuleConfig.objects.create(agreement=AgreementFactory(), rule=VIOLATIONS, enabled=False)
    observe(world.clause_a, world.mission_a, at=AS_OF - HOUR)
    assert flagged(VIOLATIONS) == {world.clause_a.pk}


def test_violation_recorded_evidence_lists_the_ten_latest_observations(world):
    report = filed(world.mission_a, AS_OF - HOUR)
    observations = [
        observe(world.clause_a, world.mission_a, at=AS_OF - hours * HOUR, report=report)
        for hours in range(12, 0, -1)
    ]
    [finding] = findings(VIOLATIONS)
    assert sorted(finding.evidence) == sorted(o.pk for o in observations[2:])
    assert finding.details["count"] == 12


# --- clause.violation_surge ----------------------------------------------------------------


def violations_on(world, clause, *, count: int, start: dt.datetime, span: dt.timedelta):
    """``count`` violations spread evenly over ``span`` from ``start``, in one report."""
    report = filed(world.mission_a, AS_OF - HOUR)
    step = span / count
    for i in range(count):
        observe(clause, world.mission_a, at=start + step * (i + 0.5), report=report)


RECENT_START = AS_OF - dt.timedelta(days=7)
BASELINE_START = RECENT_START - dt.timedelta(days=56)


def test_violation_surge_with_no_baseline_needs_min_count(world):
    violations_on(world, world.clause_a, count=4, start=RECENT_START, span=dt.timedelta(days=7))
    assert findings(SURGE) == []
    violations_on(world, world.clause_a, count=1, start=RECENT_START, span=dt.timedelta(days=7))
    [finding] = findings(SURGE)
    assert finding.details == {"recent": 5, "baseline_per_period": 0.0}


def test_violation_surge_must_exceed_the_multiple_of_the_baseline(world):
    # 16 violations over 8 weeks: 2 a week expected, so a surge is more than 6 in a week.
    violations_on(world, world.clause_a, count=16, start=BASELINE_START, span=dt.timedelta(56))
    violations_on(world, world.clause_a, count=6, start=RECENT_START, span=dt.timedelta(days=7))
    assert findings(SURGE) == []
    violations_on(world, world.clause_a, count=1, start=RECENT_START, span=dt.timedelta(days=7))
    [finding] = findings(SURGE)
    assert finding.details == {"recent": 7, "baseline_per_period": 2.0}
    assert "7 violations" in finding.explanation and "2.0 per 7 days" in finding.explanation


def test_violation_surge_params_from_the_rule_config(world):
    configure(world, SURGE, params={"min_count": 2, "multiple": 1.5})
    violations_on(world, world.clause_a, count=2, start=RECENT_START, span=dt.timedelta(days=7))
    assert flagged(SURGE) == {world.clause_a.pk}


# --- clause.deadline_missed ----------------------------------------------------------------


def with_deadline(clause, day: dt.date):
    clause.deadline_anchor, clause.deadline = DateAnchor.FIXED, day
    clause.save()
    return clause


def test_deadline_missed_explains_the_date_and_how_long_ago(world):
    with_deadline(world.clause_b, dt.date(2025, 2, 20))
    [finding] = findings(DEADLINE)
    assert finding.clause_id == world.clause_b.pk
    assert "20 February 2025" in finding.explanation
    assert "9 days ago" in finding.explanation
    assert "counted from" not in finding.explanation
    assert finding.details["deadline"] == "2025-02-20"


def test_deadline_missed_uses_the_resolved_relative_deadline(world):
    clause = world.clause_unmonitored
    clause.deadline_anchor = DateAnchor.CLAUSE_START
    clause.deadline_anchor_clause = world.clause_a
    clause.deadline_offset_days = 10
    clause.save()
    clause_dates_resolve(agreement=world.agreement)
    [finding] = findings(DEADLINE)
    assert finding.clause_id == clause.pk
    assert "25 January 2025" in finding.explanation  # clause 1 started 15 January, + 10 days
    assert "counted from another date of the agreement" in finding.explanation
    assert "35 days ago" in finding.explanation


def test_deadline_missed_cleared_by_compliance_observed_before_as_of(world):
    with_deadline(world.clause_b, dt.date(2025, 2, 20))
    late = filed(world.mission_b, AS_OF + HOUR)
    observe(
        world.clause_b, world.mission_b, at=AS_OF - DAY, report=late, kind="compliance"
    )  # filed after as_of: not known yet
    assert flagged(DEADLINE) == {world.clause_b.pk}
    observe(world.clause_b, world.mission_b, at=AS_OF - DAY, kind="compliance")
    assert findings(DEADLINE) == []


def test_deadline_missed_a_violation_is_not_compliance(world):
    with_deadline(world.clause_b, dt.date(2025, 2, 20))
    observe(world.clause_b, world.mission_b, at=AS_OF - DAY)
    assert flagged(DEADLINE) == {world.clause_b.pk}


@pytest.mark.parametrize("day", [TODAY, TODAY + DAY])
def test_deadline_missed_nothing_before_the_deadline_has_passed(world, day):
    with_deadline(world.clause_b, day)
    assert findings(DEADLINE) == []


# --- clause.access_restricted --------------------------------------------------------------


def denied(clause, mission, *, at: dt.datetime = AS_OF - DAY, **extra) -> Observation:
    return observe(clause, mission, at=at, kind=Observation.Kind.ACCESS_RESTRICTED, **extra)


def test_access_restricted_on_the_clause(world):
    observation = denied(world.clause_a, world.mission_a)
    [finding] = findings(ACCESS)
    assert finding.clause_id == world.clause_a.pk
    assert finding.evidence == [observation.pk]
    assert finding.details == {"count": 1, "areas": []}
    assert "1 restriction(s) of access bearing on" in finding.explanation


def test_access_restricted_in_one_of_the_clauses_areas_flags_the_clause(world):
    area = AreaFactory(name="Donetsk oblast")
    world.clause_b.areas.add(area)
    observation = denied(None, world.mission_a, area=area)
    [finding] = findings(ACCESS)
    assert finding.clause_id == world.clause_b.pk
    assert finding.evidence == [observation.pk]
    assert finding.details == {"count": 1, "areas": ["Donetsk oblast"]}
    assert "in Donetsk oblast" in finding.explanation


def test_access_restricted_in_an_area_the_clause_does_not_cover_flags_nothing(world):
    world.clause_b.areas.add(AreaFactory())
    denied(None, world.mission_a, area=AreaFactory())
    assert findings(ACCESS) == []


def test_access_restricted_on_the_clause_and_in_its_area_counts_once(world):
    area = AreaFactory(name="Donetsk oblast")
    world.clause_b.areas.add(area)
    denied(world.clause_b, world.mission_b, area=area)
    [finding] = findings(ACCESS)
    assert finding.details["count"] == 1
    assert "1 restriction(s) of access in Donetsk oblast" in finding.explanation


def test_access_restricted_outside_the_window_flags_nothing(world):
    area = AreaFactory()
    world.clause_b.areas.add(area)
    denied(world.clause_a, world.mission_a, at=AS_OF - dt.timedelta(days=14))
    denied(None, world.mission_a, at=AS_OF - dt.timedelta(days=14), area=area)
    denied(world.clause_a, world.mission_a, at=AS_OF + SECOND)
    assert findings(ACCESS) == []
    assert flagged(ACCESS, AS_OF - SECOND) == {world.clause_a.pk, world.clause_b.pk}


# --- clause.single_source -------------------------------------------------------------------


def test_single_source_flags_violations_from_one_mission_and_source(world):
    for hours in (1, 2):
        observe(world.clause_a, world.mission_a, at=AS_OF - hours * HOUR, source="patrol")
    [finding] = findings(SINGLE_SOURCE)
    assert finding.clause_id == world.clause_a.pk
    assert finding.details == {"count": 2, "source": "patrol"}
    assert "one source (patrol)" in finding.explanation
    assert len(finding.evidence) == 2


def test_single_source_cleared_by_a_second_source(world):
    observe(world.clause_a, world.mission_a, at=AS_OF - HOUR, source="patrol")
    observe(world.clause_a, world.mission_a, at=AS_OF - HOUR, source="UAV")
    assert findings(SINGLE_SOURCE) == []


def test_single_source_cleared_by_a_second_mission(world):
    observe(world.clause_a, world.mission_a, at=AS_OF - HOUR, source="patrol")
    observe(world.clause_a, world.mission_b, at=AS_OF - HOUR, source="patrol")
    assert findings(SINGLE_SOURCE) == []


def test_single_source_cleared_by_a_corroborated_violation(world):
    observe(world.clause_a, world.mission_a, at=AS_OF - HOUR, source="patrol")
    observe(
        world.clause_a,
        world.mission_a,
        at=AS_OF - HOUR,
        source="patrol",
        verification_status="corroborated",
    )
    assert findings(SINGLE_SOURCE) == []


# --- clause.prerequisite_breached ---------------------------------------------------------


def phased(world, *, phase: int):
    world.clause_b.phase = phase
    world.clause_b.save()
    world.clause_b.prerequisites.set([world.clause_a])  # clause_a is phase 1


def test_prerequisite_breached_flags_a_later_phase_while_its_prerequisite_is_violated(world):
    phased(world, phase=2)
    violation = observe(world.clause_a, world.mission_a, at=AS_OF - DAY)
    [finding] = findings(PREREQUISITE)
    assert finding.clause_id == world.clause_b.pk
    assert finding.evidence == [violation.pk]
    assert finding.details == {"prerequisites": [world.clause_a.pk]}
    assert "prerequisite clause 1 (Ceasefire)" in finding.explanation


def test_an_incremental_run_for_a_prerequisite_also_evaluates_the_clauses_depending_on_it(
    world,
):
    phased(world, phase=2)
    observe(world.clause_a, world.mission_a, at=AS_OF - DAY)
    with time_machine.travel(AS_OF, tick=False):
        # Only clause_a was touched by the ingest; clause_b depends on it.
        run = rules_run(trigger="ingest", clause_ids=[world.clause_a.pk])
    assert Alert.objects.filter(rule=PREREQUISITE, clause=world.clause_b, state="open").exists()
    assert world.clause_b.pk in run.summary["clause_ids"]


def test_prerequisite_breached_names_every_breached_prerequisite_in_order(world):
    phased(world, phase=2)
    world.clause_b.prerequisites.set([world.clause_unmonitored, world.clause_a])
    observe(world.clause_unmonitored, world.mission_b, at=AS_OF - DAY)
    observe(world.clause_a, world.mission_a, at=AS_OF - DAY)
    [finding] = findings(PREREQUISITE)
    assert "prerequisite clause 1 (Ceasefire), clause 3 (Exchange) has" in finding.explanation
    assert finding.details == {"prerequisites": [world.clause_a.pk, world.clause_unmonitored.pk]}


def test_prerequisite_breached_ignores_a_prerequisite_of_the_same_phase(world):
    phased(world, phase=1)
    observe(world.clause_a, world.mission_a, at=AS_OF - DAY)
    assert findings(PREREQUISITE) == []


def test_prerequisite_breached_nothing_without_a_violation_in_the_window(world):
    phased(world, phase=2)
    observe(world.clause_a, world.mission_a, at=AS_OF - DAY, kind="compliance")
    observe(world.clause_a, world.mission_a, at=AS_OF - dt.timedelta(days=30))
    assert findings(PREREQUISITE) == []


# --- the engine -----------------------------------------------------------------------------


def test_rules_evaluate_writes_no_alerts(world):
    observe(world.clause_a, world.mission_a, at=AS_OF - HOUR)
    evaluation = rules_evaluate(as_of=AS_OF)
    assert evaluation.per_rule[UNMONITORED] == 1 and evaluation.per_rule[VIOLATIONS] == 1
    assert not Alert.objects.exists()
