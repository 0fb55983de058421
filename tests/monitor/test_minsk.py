"""The rules on the shipped agreements: Minsk II as of 1 April 2015.

The reports are made here as the demo files them (OSCE SMM daily reports per oblast, filed two
hours after the period ends), a week's worth: the whole demo takes half a minute to load on
PostgreSQL, too long for these few questions.
"""

import datetime as dt

import pytest

from agreements.loader import agreement_load_file
from agreements.models import Agreement, Area, Clause, VerificationMechanism
from demo.services import DATA_DIR
from monitor.models import Alert
from monitor.services import rules_evaluate
from reports.models import Observation, ObserverMission, ReportStatus
from tests.factories import ObservationFactory, ReportFactory

AS_OF = dt.datetime(2015, 4, 1, 23, 59, 59, tzinfo=dt.UTC)  # as evaluate_rules --as-of reads it
UNMONITORED = {"4", "5", "6", "7", "8", "9", "11"}  # the points that name no monitor
IN_DONETSK_OBLAST = {"1", "2", "2(a)", "2(b)", "2(c)", "3", "7", "9", "10", "12"}


@pytest.fixture
def minsk(db) -> Agreement:
    for path in sorted(DATA_DIR.glob("*.yaml")):
        agreement_load_file(path=path)
    smm = VerificationMechanism.objects.get(agreement__code="minsk-ii", code="osce-smm")
    clauses = {c.reference: c for c in Clause.objects.filter(agreement__code="minsk-ii")}
    donetsk = Area.objects.get(code="donetsk-oblast")
    for code in ("smm-donetsk", "smm-luhansk"):
        mission = ObserverMission.objects.create(code=code, name=code)
        mission.mechanisms.add(smm)
        for day in range(25, 32):
            start = dt.datetime(2015, 3, day, tzinfo=dt.UTC)
            report = ReportFactory(
                mission=mission,
                external_id=f"{code}-201503{day}",
                status=ReportStatus.ACCEPTED,
                period_start=start,
                period_end=start + dt.timedelta(days=1),
                filed_at=start + dt.timedelta(days=1, hours=2),
            )
            ObservationFactory(
                report=report, clause=clauses["1"], occurred_at=start + dt.timedelta(hours=3)
            )
            ObservationFactory(
                report=report,
                clause=clauses["2"],
                kind=Observation.Kind.COMPLIANCE,
                occurred_at=start + dt.timedelta(hours=10),
            )
        if code == "smm-donetsk":  # denied passage at a checkpoint, as the demo has it
            ObservationFactory(
                report=report,
                clause=clauses["3"],
                area=donetsk,
                kind=Observation.Kind.ACCESS_RESTRICTED,
                occurred_at=start + dt.timedelta(hours=9),
            )
    return Agreement.objects.get(code="minsk-ii")


def flagged(rule: str) -> dict[str, object]:
    evaluation = rules_evaluate(as_of=AS_OF, agreement_codes=["minsk-ii"], rules=[rule])
    references = dict(Clause.objects.values_list("pk", "reference"))
    return {references[f.clause_id]: f for f in evaluation.findings}


def test_the_points_that_name_no_monitor_are_unmonitored(minsk):
    assert set(flagged("clause.unmonitored")) == UNMONITORED


def test_ceasefire_and_withdrawal_verified_by_the_osce_are_monitored(minsk):
    found = flagged("clause.unmonitored")
    assert not {"1", "2", "2(a)", "2(b)", "2(c)", "3"} & set(found)


def test_the_osce_smm_reporting_daily_is_not_stale(minsk):
    assert not {"1", "2", "3"} & set(flagged("clause.stale_monitoring"))


def test_point_6_missed_its_deadline_of_8_march_2015(minsk):
    finding = flagged("clause.deadline_missed")["6"]
    assert "8 March 2015" in finding.explanation
    assert "24 days ago" in finding.explanation
    assert "counted from another date of the agreement" in finding.explanation


def test_points_with_a_later_deadline_are_not_yet_missed(minsk):
    assert not {"9", "11"} & set(flagged("clause.deadline_missed"))  # end of 2015


def test_point_1_has_violations_recorded(minsk):
    finding = flagged("clause.violation_recorded")["1"]
    assert finding.details["count"] == 14
    assert "14 violation(s) of Minsk II, clause 1 (Comprehensive ceasefire)" in finding.explanation


def test_a_restriction_in_donetsk_oblast_bears_on_every_point_there_once(minsk):
    found = flagged("clause.access_restricted")
    assert set(found) == IN_DONETSK_OBLAST
    assert {f.details["count"] for f in found.values()} == {1}


def test_evaluating_as_of_writes_no_alerts(minsk):
    rules_evaluate(as_of=AS_OF)
    assert not Alert.objects.exists()


def test_only_minsk_ii_is_in_force_on_1_april_2015(minsk):
    evaluation = rules_evaluate(as_of=AS_OF)
    assert {f.agreement_id for f in evaluation.findings} == {minsk.pk}
    assert len(evaluation.agreements) == Agreement.objects.count() == 5
