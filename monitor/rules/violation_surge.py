import datetime as dt

from django.db.models import Count, Q

from monitor.models import Severity
from monitor.rules.base import CLAUSE_FIELDS, Finding, Rule, clause_label, register
from monitor.rules.queries import latest_observation_ids
from reports.models import Observation
from reports.selectors import observations_counted


@register
class ViolationSurge(Rule):
    """Violations in the recent window exceed a multiple of the clause's own baseline."""

    code = "clause.violation_surge"
    title = "Surge in violations"
    description = (
        "Violations in the last {recent_days} exceed {multiple} times the clause's "
        "average over the {baseline_days} before, and number at least {min_count}."
    )
    default_severity = Severity.HIGH
    defaults = {"recent_days": 7, "baseline_days": 56, "multiple": 3.0, "min_count": 5}
    time_based = True

    def find(self, *, clauses, as_of, known_at, params, severity):
        recent_start = as_of - dt.timedelta(days=params["recent_days"])
        baseline_start = recent_start - dt.timedelta(days=params["baseline_days"])
        base = observations_counted(known_at).filter(
            kind=Observation.Kind.VIOLATION,
            clause__in=clauses,
            occurred_at__gt=baseline_start,
            occurred_at__lte=as_of,
        )
        counts = (
            base.values("clause_id")
            .annotate(
                recent=Count("id", filter=Q(occurred_at__gt=recent_start)),
                baseline=Count("id", filter=Q(occurred_at__lte=recent_start)),
            )
            .filter(recent__gte=params["min_count"])
            .order_by()
        )
        periods = params["baseline_days"] / params["recent_days"]
        surging = {}
        for c in counts:
            expected = c["baseline"] / periods
            if c["recent"] > params["multiple"] * expected:
                surging[c["clause_id"]] = (c["recent"], expected)
        if not surging:
            return []
        rows = clauses.filter(pk__in=surging).values(*CLAUSE_FIELDS)
        evidence = latest_observation_ids(
            base.filter(occurred_at__gt=recent_start, clause_id__in=surging), per=["clause_id"]
        )
        findings = []
        for row in rows:
            recent, expected = surging[row["pk"]]
            findings.append(
                Finding(
                    rule=self.code,
                    clause_id=row["pk"],
                    agreement_id=row["agreement_id"],
                    severity=severity or self.default_severity,
                    title=f"Surge in violations: {clause_label(row)}",
                    explanation=(
                        f"{recent} violations of {clause_label(row)} in the last "
                        f"{params['recent_days']} days, against a baseline of {expected:.1f} per "
                        f"{params['recent_days']} days over the {params['baseline_days']} days "
                        "before."
                    ),
                    evidence=evidence.get((row["pk"],), []),
                    details={"recent": recent, "baseline_per_period": round(expected, 2)},
                )
            )
        return findings
