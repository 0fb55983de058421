import datetime as dt

from django.db.models import Count, Q

from monitor.models import Severity
from monitor.rules.base import CLAUSE_FIELDS, Finding, Rule, clause_label, register
from monitor.rules.queries import latest_observation_ids
from reports.models import Observation
from reports.selectors import observations_counted


@register
class SingleSource(Rule):
    """Its recorded violations rest on one source only, none corroborated."""

    code = "clause.single_source"
    title = "Single source"
    description = (
        "Every violation recorded on the clause within the last {window_days} comes from "
        "one mission and one source, and none is corroborated or confirmed."
    )
    default_severity = Severity.LOW
    defaults = {"window_days": 30}

    def find(self, *, clauses, as_of, known_at, params, severity):
        window = as_of - dt.timedelta(days=params["window_days"])
        observed = (
            observations_counted(known_at)
            .filter(
                kind=Observation.Kind.VIOLATION,
                clause__in=clauses,
                occurred_at__gt=window,
                occurred_at__lte=as_of,
            )
            .exclude(verification_status="disputed")
        )
        single = {
            c["clause_id"]: c
            for c in observed.values("clause_id")
            .annotate(
                n=Count("id"),
                sources=Count("source", distinct=True),
                missions=Count("report__mission", distinct=True),
                backed=Count("id", filter=Q(verification_status__in=["corroborated", "confirmed"])),
            )
            .filter(sources=1, missions=1, backed=0)
            .order_by()
        }
        if not single:
            return []
        source = dict(observed.filter(clause_id__in=single).values_list("clause_id", "source"))
        evidence = latest_observation_ids(observed.filter(clause_id__in=single), per=["clause_id"])
        findings = []
        for row in clauses.filter(pk__in=single).values(*CLAUSE_FIELDS):
            n = single[row["pk"]]["n"]
            name = source.get(row["pk"]) or "an unnamed source"
            findings.append(
                Finding(
                    rule=self.code,
                    clause_id=row["pk"],
                    agreement_id=row["agreement_id"],
                    severity=severity or self.default_severity,
                    title=f"Single source: {clause_label(row)}",
                    explanation=(
                        f"The {n} violation(s) of {clause_label(row)} recorded in the last "
                        f"{params['window_days']} days all rest on one source ({name}) and none is "
                        "corroborated: treat them with care until another source confirms them."
                    ),
                    evidence=evidence.get((row["pk"],), []),
                    details={"count": n, "source": name},
                )
            )
        return findings
