"""Deadlines, access and prerequisites (clause.deadline_missed, clause.access_restricted,
clause.prerequisite_breached), and the engine."""

import datetime as dt

import pytest
import time_machine

from agreements.models import DateAnchor
from agreements.services import clause_dates_resolve
from monitor.models import Alert
from monitor.services import rules_evaluate, rules_run
from reports.models import Observation
from tests.factories import AreaFactory
from tests.monitor.test_rules.support import (
    ACCESS,
    AS_OF,
    DAY,
    DEADLINE,
    HOUR,
    PREREQUISITE,
    SECOND,
    TODAY,
    UNMONITORED,
    VIOLATIONS,
    filed,
    findings,
    flagged,
    observe,
)

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
