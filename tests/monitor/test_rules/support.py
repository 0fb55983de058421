"""What the rule tests share: the moment they evaluate at, the rule codes, and reports and
observations filed at a given time."""

import datetime as dt

from monitor.models import RuleConfig
from monitor.services import rules_evaluate
from reports.models import Observation, ReportStatus
from tests.factories import ObservationFactory, ReportFactory

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
    # Both clocks at the same moment: what had been filed by then, about then.
    return rules_evaluate(as_of=as_of, known_at=as_of, rules=[rule]).findings


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
