"""The rules are set-based: the number of queries does not depend on the number of clauses."""

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from agreements.models import Clause, DateAnchor, VerificationMechanism
from monitor.models import EvaluationRun
from monitor.rules import RULES
from monitor.services import Evaluation, rules_evaluate, rules_run
from reports.models import Observation, ReportStatus
from tests.factories import (
    AgreementFactory,
    AreaFactory,
    MechanismFactory,
    MissionFactory,
    ReportFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
KINDS = 10  # clause i plays part i % 10 of the story below


def report(mission, at: dt.datetime):
    return ReportFactory(
        mission=mission,
        status=ReportStatus.ACCEPTED,
        filed_at=at,
        period_start=at - DAY,
        period_end=at,
    )


def build(n: int, *, flag_all: bool) -> None:
    """``n`` clauses in force. The first ten (or, with ``flag_all``, every one) each give one
    rule something to find; the rest are watched, fresh and quiet, yet still carry old
    violations, compliance and restrictions outside the windows, so every rule reads them."""
    agreement = AgreementFactory()
    area, quiet_area = AreaFactory(), AreaFactory()
    part = [i % KINDS if flag_all or i < KINDS else None for i in range(n)]
    clauses = Clause.objects.bulk_create(
        [
            Clause(
                agreement=agreement,
                reference=str(i),
                position=i,
                title=f"Clause {i}",
                text="The parties shall observe the ceasefire.",
                category=Clause.Category.CEASEFIRE,
                in_force_from=dt.date(2025, 1, 15),
                phase=2 if part[i] == 8 else 1,
                deadline_anchor=DateAnchor.FIXED if part[i] in (9, None) else "",
                deadline=(NOW - 10 * DAY).date() if part[i] in (9, None) else None,
            )
            for i in range(n)
        ]
    )
    fresh = MechanismFactory(agreement=agreement)
    silent = MechanismFactory(agreement=agreement)
    watched_by = VerificationMechanism.clauses.through
    watched_by.objects.bulk_create(
        [
            watched_by(
                verificationmechanism_id=(silent if part[i] == 1 else fresh).pk,
                clause_id=clause.pk,
            )
            for i, clause in enumerate(clauses)
            if part[i] != 0  # 0: unmonitored
        ]
    )
    Clause.areas.through.objects.bulk_create(
        [
            Clause.areas.through(
                clause_id=clause.pk, area_id=(area if part[i] == 7 else quiet_area).pk
            )
            for i, clause in enumerate(clauses)
            if part[i] in (7, None)
        ]
    )
    Clause.prerequisites.through.objects.bulk_create(
        [
            Clause.prerequisites.through(
                from_clause_id=clause.pk, to_clause_id=clauses[i - 6].pk
            )  # 8 depends on 2, which is violated
            for i, clause in enumerate(clauses)
            if part[i] == 8
        ]
    )
    mission = MissionFactory()
    mission.mechanisms.set([fresh])
    MissionFactory().mechanisms.set([silent])  # 1: stale, never reported
    recent, old = report(mission, NOW - dt.timedelta(hours=2)), report(mission, NOW - 90 * DAY)

    def obs(clause, kind, at, *, rep=None, **extra) -> Observation:
        return Observation(report=rep or recent, clause=clause, kind=kind, occurred_at=at, **extra)

    V, C, A = "violation", "compliance", "access_restricted"
    hour = dt.timedelta(hours=1)
    rows = []
    for i, clause in enumerate(clauses):
        p = part[i]
        if p is None:
            rows += [
                obs(clause, V, NOW - 100 * DAY, rep=old, source="patrol"),
                obs(clause, C, NOW - 5 * DAY),
                obs(clause, A, NOW - 20 * DAY, rep=old),
                obs(None, A, NOW - 20 * DAY, rep=old, area=quiet_area),
                obs(clause, V, NOW - 3 * hour, verification_status="disputed"),
            ]
        elif p == 2:  # violations, single source; the prerequisite of 8
            rows += [obs(clause, V, NOW - k * hour, source="patrol") for k in (3, 4)]
        elif p == 3:  # a surge, from two sources and corroborated
            rows += [
                obs(clause, V, NOW - k * DAY, source=f"s{k % 2}", verification_status="confirmed")
                for k in range(1, 6)
            ]
        elif p == 4:  # attributed violations of differing severity
            rows += [obs(clause, V, NOW - k * hour, severity=k, source="UAV") for k in (1, 4)]
        elif p == 5:  # disputed only
            rows += [obs(clause, V, NOW - hour, verification_status="disputed")]
        elif p == 6:  # monitors denied access on the clause
            rows += [obs(clause, A, NOW - DAY)]
        elif p == 7:  # ... and in its area
            rows += [obs(None, A, NOW - DAY, area=area)]
    Observation.objects.bulk_create(rows)


def measure(n: int, action: Callable[[], object], *, flag_all: bool) -> tuple[int, object]:
    """Build ``n`` clauses, count the queries of ``action``, then roll everything back."""
    with transaction.atomic():
        build(n, flag_all=flag_all)
        with CaptureQueriesContext(connection) as queries:
            result = action()
        transaction.set_rollback(True)
    return len(queries), result


def evaluate() -> Evaluation:
    return rules_evaluate(as_of=NOW)


def run_twice() -> tuple[EvaluationRun, EvaluationRun]:
    with time_machine.travel(NOW, tick=False):
        return rules_run(trigger="command"), rules_run(trigger="command")


def test_rules_evaluate_query_count_does_not_grow_with_the_clauses_or_findings():
    small_queries, small = measure(10, evaluate, flag_all=True)
    large_queries, large = measure(1000, evaluate, flag_all=True)
    assert set(small.per_rule) == set(RULES)
    assert all(small.per_rule.values()), small.per_rule  # every rule found something
    assert large.per_rule["clause.unmonitored"] == 100 * small.per_rule["clause.unmonitored"]
    assert small_queries == large_queries


def test_full_rules_run_query_count_does_not_grow_with_the_clauses():
    small_queries, (small, small_again) = measure(10, run_twice, flag_all=False)
    large_queries, (large, large_again) = measure(1000, run_twice, flag_all=False)
    assert all(small.summary["per_rule"].values()), small.summary["per_rule"]
    assert large.summary["per_rule"] == small.summary["per_rule"]
    assert (small.clauses, large.clauses) == (10, 1000)
    assert (small_again.opened, large_again.opened) == (0, 0)
    assert small_queries == large_queries
