"""Who watches a clause: clause.unmonitored and clause.stale_monitoring."""

import datetime as dt

import pytest

from agreements.models import Agreement
from monitor.models import Severity
from reports.models import ReportStatus
from tests.factories import ClauseFactory, MechanismFactory, MissionFactory
from tests.monitor.test_rules.support import (
    AS_OF,
    DAY,
    HOUR,
    SECOND,
    STALE,
    TODAY,
    UNMONITORED,
    filed,
    findings,
    flagged,
)

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
    assert (
        "Mechanism A (expected every day) last covered up to 27 February 2025 "
        "(filed 27 February 2025)" in finding.explanation
    )


def test_stale_monitoring_never_reported_names_the_mechanism(world):
    filed(world.mission_b, AS_OF - HOUR)
    [finding] = findings(STALE)
    assert finding.clause_id == world.clause_a.pk
    assert "Mechanism A (expected every day) has filed no present-day report" in finding.explanation
    assert finding.details["mechanisms"][0]["last_covered"] is None


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
