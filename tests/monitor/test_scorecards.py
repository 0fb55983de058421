"""Scorecard arithmetic and statuses on small hand-checked data."""

import datetime as dt

import pytest

from agreements.models import Clause
from agreements.services import assessment_record
from monitor.aggregates import aggregates_refresh
from monitor.api.scorecard_serializers import AgreementScorecardSerializer
from monitor.scorecards.agreement import agreement_scorecard
from monitor.scorecards.levels import implementation_rate
from monitor.status import STATUS_LABELS, status_from_rules
from reports.models import Observation, ReportStatus
from tests.factories import ClauseFactory, ObservationFactory, ReportFactory, UserFactory

AS_OF = dt.datetime(2025, 3, 1, 23, 59, 59, tzinfo=dt.UTC)


def assess(clause: Clause, level: int, on: str = "2025-02-01") -> None:
    assessment_record(
        clause=clause,
        level=level,
        assessed_on=dt.date.fromisoformat(on),
        rationale="Hand-checked for the test.",
        by=UserFactory(username="assessor"),
    )


def file_report(mission, *, filed_at: dt.datetime, external_id: str = "", **observation):
    """An accepted report of ``mission`` with one observation, filed at ``filed_at``."""
    report = ReportFactory(
        mission=mission,
        status=ReportStatus.ACCEPTED,
        period_start=filed_at - dt.timedelta(days=1),
        period_end=filed_at,
        filed_at=filed_at,
        **({"external_id": external_id} if external_id else {}),
    )
    ObservationFactory(report=report, occurred_at=filed_at - dt.timedelta(hours=6), **observation)
    return report


# --- the rate ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("levels", "rate"),
    [([3, 3, 0], 66.7), ([3], 100.0), ([0, 0], 0.0), ([1, 2], 50.0), ([2, 2, 1], 55.6)],
)
def test_implementation_rate_is_sum_of_levels_over_three_per_provision(levels, rate):
    assert implementation_rate(levels) == rate


def test_implementation_rate_of_nothing_assessed_is_not_available():
    assert implementation_rate([]) is None


def test_rate_counts_only_assessed_clauses_in_force(world):
    not_yet = ClauseFactory(
        agreement=world.agreement, reference="4", in_force_from=dt.date(2025, 6, 1)
    )
    unassessed = ClauseFactory(agreement=world.agreement, reference="5")
    assess(world.clause_a, 3)
    assess(world.clause_b, 3)
    assess(world.clause_unmonitored, 0)
    assess(not_yet, 0)  # would pull the rate down if it counted

    card = agreement_scorecard(agreement=world.agreement, as_of=AS_OF)

    assert card.implementation_rate == 66.7
    assert (card.assessed, card.not_assessed, card.not_in_force) == (3, 1, 1)
    rows = {r.clause.pk: r for r in card.rows}
    assert rows[not_yet.pk].status == "not_in_force" and not rows[not_yet.pk].in_force
    assert rows[unassessed.pk].level is None and rows[unassessed.pk].in_force


def test_rate_is_not_available_when_no_clause_in_force_is_assessed(world):
    card = agreement_scorecard(agreement=world.agreement, as_of=AS_OF)

    assert card.implementation_rate is None
    assert (card.assessed, card.not_assessed, card.not_in_force) == (0, 3, 0)


def test_rates_per_category(world):
    ClauseFactory(agreement=world.agreement, reference="4")  # ceasefire, not assessed
    assess(world.clause_a, 2)  # ceasefire
    assess(world.clause_b, 3)  # weapons withdrawal
    assess(world.clause_unmonitored, 0)  # prisoner exchange

    by_category = agreement_scorecard(agreement=world.agreement, as_of=AS_OF).by_category

    assert set(by_category) == {"ceasefire", "weapons_withdrawal", "prisoner_exchange"}
    ceasefire = by_category["ceasefire"]
    assert (ceasefire.clauses, ceasefire.assessed) == (2, 1)
    assert ceasefire.implementation_rate == 66.7
    assert ceasefire.label == "Ceasefire"
    assert by_category["weapons_withdrawal"].implementation_rate == 100.0
    assert by_category["prisoner_exchange"].implementation_rate == 0.0


def test_assessments_after_as_of_are_ignored(world):
    assess(world.clause_a, 1, on="2025-02-01")
    assess(world.clause_a, 3, on="2025-04-01")

    then = agreement_scorecard(agreement=world.agreement, as_of=AS_OF)
    later = agreement_scorecard(
        agreement=world.agreement, as_of=dt.datetime(2025, 4, 2, tzinfo=dt.UTC)
    )

    assert {r.clause.pk: r.level for r in then.rows}[world.clause_a.pk] == 1
    assert then.implementation_rate == 33.3
    assert later.implementation_rate == 100.0


def test_the_latest_assessment_of_a_day_wins(world):
    assess(world.clause_a, 1, on="2025-02-01")
    assess(world.clause_a, 2, on="2025-02-01")  # recorded later the same day: a correction

    card = agreement_scorecard(agreement=world.agreement, as_of=AS_OF)

    assert card.implementation_rate == 66.7


# --- statuses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "status"),
    [
        ({"clause.stale_monitoring", "clause.violation_recorded"}, "violated"),
        ({"clause.stale_monitoring", "clause.violation_surge"}, "violated"),
        ({"clause.unmonitored", "clause.deadline_missed"}, "deadline_missed"),
        ({"clause.unmonitored", "clause.access_restricted"}, "not_verifiable"),
        ({"clause.stale_monitoring", "clause.unmonitored"}, "unmonitored"),
        ({"clause.stale_monitoring", "clause.single_source"}, "stale"),
        ({"clause.single_source"}, "single_source"),
        ({"clause.prerequisite_breached"}, "prerequisite_breached"),
    ],
)
def test_the_most_telling_finding_gives_the_status(rules, status):
    assert status_from_rules(rules, in_force=True, complied=True) == status


def test_without_findings_compliance_on_record_means_complied():
    assert status_from_rules(set(), in_force=True, complied=True) == "complied"
    assert status_from_rules(set(), in_force=True, complied=False) == "no_data"


def test_a_clause_not_in_force_is_not_in_force_whatever_the_findings():
    rules = {"clause.violation_recorded", "clause.unmonitored"}
    assert status_from_rules(rules, in_force=False, complied=True) == "not_in_force"


def test_every_status_has_a_label():
    codes = {"complied", "no_data", "not_in_force", "violated", "stale", "unmonitored"}
    assert codes <= set(STATUS_LABELS)
    assert all(STATUS_LABELS.values())


def test_scorecard_statuses_come_from_the_rules_as_of_the_date(world):
    filed = AS_OF - dt.timedelta(hours=12)
    file_report(world.mission_a, filed_at=filed, clause=world.clause_a, severity=3)
    file_report(
        world.mission_b, filed_at=filed, clause=world.clause_b, kind=Observation.Kind.COMPLIANCE
    )
    aggregates_refresh()

    card = agreement_scorecard(agreement=world.agreement, as_of=AS_OF)

    statuses = {r.clause.pk: r.status for r in card.rows}
    assert statuses == {
        world.clause_a.pk: "violated",
        world.clause_b.pk: "complied",
        world.clause_unmonitored.pk: "unmonitored",
    }
    assert card.statuses == {"violated": 1, "complied": 1, "unmonitored": 1}


def test_violated_beats_stale_in_the_scorecard(world):
    # Mission A last filed ten days ago: stale, and the violation it reported is still recent.
    file_report(world.mission_a, filed_at=AS_OF - dt.timedelta(days=10), clause=world.clause_a)

    card = agreement_scorecard(agreement=world.agreement, as_of=AS_OF)

    row = next(r for r in card.rows if r.clause.pk == world.clause_a.pk)
    assert {"clause.violation_recorded", "clause.stale_monitoring"} <= row.rules
    assert row.status == "violated" and row.status_label == "Violated"


def test_monitored_clause_without_reports_for_too_long_is_stale(world):
    file_report(
        world.mission_b,
        filed_at=AS_OF - dt.timedelta(days=10),
        clause=world.clause_b,
        kind=Observation.Kind.COMPLIANCE,
    )
    aggregates_refresh()

    card = agreement_scorecard(agreement=world.agreement, as_of=AS_OF)

    assert {r.clause.pk: r.status for r in card.rows}[world.clause_b.pk] == "stale"


def test_compliance_filed_after_known_at_does_not_count_but_counts_as_known_now(world):
    # Observed before the date, but reported only afterwards: not known at the date itself;
    # known now (the default known_at), so it counts for the day it describes (issue 14).
    report = file_report(
        world.mission_b,
        filed_at=AS_OF + dt.timedelta(days=2),
        clause=world.clause_b,
        kind=Observation.Kind.COMPLIANCE,
    )
    report.observations.update(occurred_at=AS_OF - dt.timedelta(hours=2))
    file_report(
        world.mission_b,
        filed_at=AS_OF - dt.timedelta(hours=1),
        clause=world.clause_b,
        kind=Observation.Kind.INFORMATION,
    )
    aggregates_refresh()

    then = agreement_scorecard(agreement=world.agreement, as_of=AS_OF, known_at=AS_OF)
    now = agreement_scorecard(agreement=world.agreement, as_of=AS_OF)

    assert {r.clause.pk: r.status for r in then.rows}[world.clause_b.pk] == "no_data"
    assert {r.clause.pk: r.status for r in now.rows}[world.clause_b.pk] == "complied"


# --- JSON ----------------------------------------------------------------------------------


def test_json_scorecard_has_the_documented_keys_and_round_trips(world):
    import json

    assess(world.clause_a, 2)
    file_report(world.mission_a, filed_at=AS_OF - dt.timedelta(hours=12), clause=world.clause_a)
    aggregates_refresh()
    card = agreement_scorecard(agreement=world.agreement, as_of=AS_OF)

    document = json.loads(json.dumps(AgreementScorecardSerializer(card).data))

    assert set(document) == {
        "agreement",
        "as_of",
        "known_at",
        "live",
        "period",
        "period_kind",
        "active_life",
        "summary",
        "implementation_rate",
        "assessed_clauses",
        "not_assessed_clauses",
        "not_in_force_clauses",
        "statuses",
        "by_category",
        "violations_by_party",
        "weeks",
        "violations_by_party_and_week",
        "violations_by_party_and_category",
        "outside_period_or_area",
        "retrospective_alerts",
        "clauses",
    }
    assert document["agreement"] == "test-ceasefire"
    assert document["as_of"] == AS_OF.isoformat()
    # The 12 weeks to as_of, from the agreement's entry into force (15 January 2025).
    assert document["period"] == {"from": "2025-01-15", "to": "2025-03-01"}
    assert document["implementation_rate"] == 66.7
    assert (document["assessed_clauses"], document["not_assessed_clauses"]) == (1, 2)
    assert len(document["weeks"]) == len(card.weeks)
    assert document["weeks"][0] == "2025-01-13"  # the Monday of the period's first week
    clauses = {c["reference"]: c for c in document["clauses"]}
    assert set(clauses["1"]) == {
        "id",
        "reference",
        "title",
        "category",
        "depth",
        "status",
        "status_label",
        "implementation_level",
        "deadline",
        "weekly_violations_compliance",
        "outside_period_or_area",
    }
    assert clauses["1"]["status"] == "violated" and clauses["1"]["status_label"] == "Violated"
    assert clauses["1"]["implementation_level"] == 2
    assert clauses["1"]["weekly_violations_compliance"][-1] == [1, 0]
    assert clauses["3"]["weekly_violations_compliance"] is None


def test_clauses_of_an_expired_agreement_are_not_in_force(world):
    world.agreement.expires_on = dt.date(2025, 2, 1)
    world.agreement.save()

    card = agreement_scorecard(agreement=world.agreement, as_of=AS_OF)

    assert {r.status for r in card.rows} == {"not_in_force"}
    assert {r.status_label for r in card.rows} == {"Not in force"}  # not "not yet"
    assert card.not_in_force == 3
