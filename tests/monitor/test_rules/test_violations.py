"""What violations show: clause.violation_recorded, clause.violation_surge and
clause.single_source."""

import datetime as dt

from monitor.models import RuleConfig, Severity
from reports.models import ReportStatus
from tests.factories import AgreementFactory, PartyFactory, ReportFactory
from tests.monitor.test_rules.support import (
    AS_OF,
    DAY,
    HOUR,
    SECOND,
    SINGLE_SOURCE,
    SURGE,
    VIOLATIONS,
    configure,
    filed,
    findings,
    flagged,
    observe,
)

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
