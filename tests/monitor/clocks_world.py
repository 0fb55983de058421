"""The two clocks' world, shared by the monitor, API and webhook tests: the personas' agreement
(in force since 2025) with live alerts open on 1 March 2026, and Minsk II with ten violations
of point 1 dated 10 to 19 February 2022 that the OSCE SMM files only today (archival)."""

import datetime as dt
from dataclasses import dataclass

from agreements.loader import agreement_load_file
from agreements.models import Agreement, Clause, VerificationMechanism
from demo.services import DATA_DIR
from monitor.models import Alert, AlertTransition, EvaluationRun
from monitor.services import rules_run
from reports.models import Observation, ObserverMission, Report, ReportStatus
from tests.factories import ObservationFactory, ReportFactory

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
# As evaluate_rules --as-of 2022-02-20 reads it: the end of that day in UTC. Minsk II lapsed on
# 21 February 2022, so point 1 is in force.
AS_OF = dt.datetime(2022, 2, 20, 23, 59, 59, tzinfo=dt.UTC)
FIRST_VIOLATION = dt.datetime(2022, 2, 10, 6, 0, tzinfo=dt.UTC)
VIOLATIONS = "clause.violation_recorded"


@dataclass
class ClocksWorld:
    minsk: Agreement
    point_1: Clause
    smm: ObserverMission
    archival: Report | None  # filed today about February 2022


def minsk_violations_file(*, mission: ObserverMission, point_1: Clause, filed_at) -> Report:
    """Ten violations of point 1, one a day from 10 February 2022, in a report filed at
    ``filed_at``."""
    report = ReportFactory(
        mission=mission,
        external_id="SMM-2022-02-10",
        status=ReportStatus.ACCEPTED,
        period_start=dt.datetime(2022, 2, 10, tzinfo=dt.UTC),
        period_end=dt.datetime(2022, 2, 20, tzinfo=dt.UTC),
        filed_at=filed_at,
        archival=True,
    )
    for day in range(10):
        ObservationFactory(
            report=report,
            clause=point_1,
            kind=Observation.Kind.VIOLATION,
            severity=3,
            occurred_at=FIRST_VIOLATION + dt.timedelta(days=day),
        )
    return report


def clocks_world_build(*, filed: bool = True) -> ClocksWorld:
    """Minsk II, its SMM mission and (``filed``) the archival report, filed ``NOW`` (call
    under a clock frozen there)."""
    agreement_load_file(path=DATA_DIR / "minsk-ii.yaml")
    minsk = Agreement.objects.get(code="minsk-ii")
    point_1 = Clause.objects.get(agreement=minsk, reference="1")
    smm = ObserverMission.objects.create(code="smm-donetsk", name="OSCE SMM Donetsk")
    smm.mechanisms.add(VerificationMechanism.objects.get(agreement=minsk, code="osce-smm"))
    archival = minsk_violations_file(mission=smm, point_1=point_1, filed_at=NOW) if filed else None
    return ClocksWorld(minsk=minsk, point_1=point_1, smm=smm, archival=archival)


def live_run() -> EvaluationRun:
    return rules_run(trigger=EvaluationRun.Trigger.PERIODIC)


def retrospective_run(**kwargs) -> EvaluationRun:
    return rules_run(trigger=EvaluationRun.Trigger.COMMAND, as_of=AS_OF, **kwargs)


def live_alerts_snapshot() -> tuple[list[tuple], list[tuple]]:
    """Every live alert's state, severity, texts and times, and every transition of them."""
    alerts = Alert.objects.filter(describes__isnull=True).order_by("pk")
    return (
        list(
            alerts.values_list(
                "pk", "state", "severity", "title", "last_seen", "resolved_at", "updated_at"
            )
        ),
        list(
            AlertTransition.objects.filter(alert__describes__isnull=True)
            .order_by("pk")
            .values_list("pk", "alert_id", "kind", "at")
        ),
    )
