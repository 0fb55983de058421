import datetime as dt

from django.db.models import Count, Max, Min, Sum

from monitor.models import Severity
from monitor.rules.base import Finding, Rule, ago, clause_label, register
from monitor.scope import latest_ids, observations_at, verification_at_least
from reports.models import Observation

GROUP = ["clause_id", "party_id"]
LABELS = {
    "clause__reference": "reference",
    "clause__title": "title",
    "clause__agreement__short_title": "agreement__short_title",
    "clause__agreement__title": "agreement__title",
}


def violations(clauses, as_of, params):
    window = dt.timedelta(days=params["window_days"])
    return observations_at(as_of).filter(
        kind=Observation.Kind.VIOLATION,
        clause__in=clauses,
        occurred_at__gt=as_of - window,
        occurred_at__lte=as_of,
        severity__gte=params["min_severity"],
        verification_status__in=verification_at_least(params["min_verification"]),
    )


@register
class ViolationRecorded(Rule):
    """Violations recorded on the clause within the window, per attributed party."""

    code = "clause.violation_recorded"
    title = "Violations recorded"
    description = (
        "At least `threshold` violations of at least `min_severity` and "
        "`min_verification` were recorded on the clause within `window_days`."
    )
    default_severity = Severity.HIGH
    defaults = {
        "window_days": 30,
        "threshold": 1,
        "min_severity": 1,
        "min_verification": "unverified",
    }

    def find(self, *, clauses, as_of, params, severity):
        observed = violations(clauses, as_of, params)
        groups = list(
            observed.values(*GROUP, "clause__agreement_id", "party__name", *LABELS)
            .annotate(
                n=Count("id"),
                worst=Max("severity"),
                quantity=Sum("quantity"),
                first=Min("occurred_at"),
                last=Max("occurred_at"),
            )
            .filter(n__gte=params["threshold"])
            .order_by()
        )
        if not groups:
            return []
        evidence = latest_ids(observed, GROUP)
        findings = []
        for g in groups:
            row = {new: g[old] for old, new in LABELS.items()}
            who = f" attributed to {g['party__name']}" if g["party__name"] else ""
            counted = f", {g['quantity']} counted events" if g["quantity"] else ""
            findings.append(
                Finding(
                    rule=self.code,
                    clause_id=g["clause_id"],
                    party_id=g["party_id"],
                    agreement_id=g["clause__agreement_id"],
                    severity=severity or max(g["worst"], Severity.LOW),
                    title=f"Violations{who}: {clause_label(row)}",
                    explanation=(
                        f"{g['n']} violation(s){who} of {clause_label(row)} recorded in the last "
                        f"{params['window_days']} days{counted}; "
                        f"the latest {ago(g['last'], as_of)}."
                    ),
                    evidence=evidence.get((g["clause_id"], g["party_id"]), []),
                    details={
                        "count": g["n"],
                        "worst_severity": g["worst"],
                        "quantity": g["quantity"],
                        "first": g["first"].isoformat(),
                        "last": g["last"].isoformat(),
                        "window_days": params["window_days"],
                    },
                )
            )
        return findings
