import datetime as dt

from django.db.models import Count, Max, Min, Sum

from agreements.models import Party
from core.db import fetch_rows
from monitor.models import Severity
from monitor.rules.base import CLAUSE_FIELDS, Finding, Rule, ago, clause_label, register
from monitor.rules.queries import (
    latest_observation_ids,
    latest_observation_ids_aggregate,
    verification_levels_at_least,
)
from reports.models import Observation
from reports.selectors import observations_counted

GROUP = ["clause_id", "party_id"]


def violations(clauses, as_of, known_at, params):
    window = dt.timedelta(days=params["window_days"])
    return observations_counted(known_at).filter(
        kind=Observation.Kind.VIOLATION,
        clause__in=clauses,
        occurred_at__gt=as_of - window,
        occurred_at__lte=as_of,
        severity__gte=params["min_severity"],
        verification_status__in=verification_levels_at_least(params["min_verification"]),
    )


@register
class ViolationRecorded(Rule):
    """Violations recorded on the clause within the window, per attributed party."""

    code = "clause.violation_recorded"
    title = "Violations recorded"
    description = (
        "At least {threshold} violation(s) of {min_severity} severity or worse, "
        "{min_verification} or better, were recorded on the clause within the last "
        "{window_days}."
    )
    default_severity = Severity.HIGH
    defaults = {
        "window_days": 30,
        "threshold": 1,
        "min_severity": 1,
        "min_verification": "unverified",
    }

    def find(self, *, clauses, as_of, known_at, params, severity):
        observed = violations(clauses, as_of, known_at, params)
        figures = {
            "n": Count("id"),
            "worst": Max("severity"),
            "quantity": Sum("quantity"),
            "first": Min("occurred_at"),
            "last": Max("occurred_at"),
        }
        latest = latest_observation_ids_aggregate()
        if latest is not None:
            figures["evidence"] = latest
        # Grouped by ids only (a narrow sort); the labels come from the clauses afterwards.
        groups = fetch_rows(
            observed.values(*GROUP)
            .annotate(**figures)
            .filter(n__gte=params["threshold"])
            .order_by()
            .values_list(*GROUP, *figures)
        )
        if not groups:
            return []
        evidence = None if latest is not None else latest_observation_ids(observed, per=GROUP)
        labels = {row["pk"]: row for row in clauses.values(*CLAUSE_FIELDS)}
        party_names = dict(Party.objects.values_list("pk", "name"))
        window_days = params["window_days"]
        findings = []
        for clause_id, party_id, n, worst, quantity, first, last, *latest_ids_ in groups:
            row = labels[clause_id]
            party = party_names.get(party_id)
            who = f" attributed to {party}" if party else ""
            counted = f", {quantity} counted events" if quantity else ""
            label = clause_label(row)
            findings.append(
                Finding(
                    rule=self.code,
                    clause_id=clause_id,
                    party_id=party_id,
                    agreement_id=row["agreement_id"],
                    severity=severity or max(worst, Severity.LOW),
                    title=f"Violations{who}: {label}",
                    explanation=(
                        f"{n} violation(s){who} of {label} recorded in the last "
                        f"{window_days} days{counted}; the latest {ago(last, as_of)}."
                    ),
                    evidence=latest_ids_[0]
                    if evidence is None
                    else evidence.get((clause_id, party_id), []),
                    details={
                        "count": n,
                        "worst_severity": worst,
                        "quantity": quantity,
                        "first": first.isoformat(),
                        "last": last.isoformat(),
                        "window_days": window_days,
                    },
                )
            )
        return findings
