import datetime as dt

from django.db.models import Exists, F, OuterRef

from agreements.models import Clause
from monitor.models import Severity
from monitor.rules.base import CLAUSE_FIELDS, Finding, Rule, clause_label, register
from monitor.rules.queries import latest_observation_ids
from reports.models import Observation
from reports.selectors import observations_counted


@register
class PrerequisiteBreached(Rule):
    """In force while a prerequisite clause of an earlier phase has recent violations."""

    code = "clause.prerequisite_breached"
    title = "Prerequisite breached"
    description = (
        "The clause is in force while a prerequisite clause of an earlier phase "
        "has violations recorded within the last {window_days}."
    )
    default_severity = Severity.HIGH
    defaults = {"window_days": 30}

    def find(self, *, clauses, as_of, known_at, params, severity):
        window = as_of - dt.timedelta(days=params["window_days"])
        violated = observations_counted(known_at).filter(
            kind=Observation.Kind.VIOLATION, occurred_at__gt=window, occurred_at__lte=as_of
        )
        through = Clause.prerequisites.through
        pairs = list(
            through.objects.filter(
                from_clause__in=clauses,
                to_clause__phase__lt=F("from_clause__phase"),
            )
            .annotate(breached=Exists(violated.filter(clause=OuterRef("to_clause_id"))))
            .filter(breached=True)
            .order_by("from_clause_id", "to_clause__position", "to_clause_id")  # stable text
            .values_list(
                "from_clause_id", "to_clause_id", "to_clause__reference", "to_clause__title"
            )
        )
        if not pairs:
            return []
        prerequisites: dict[int, list[tuple]] = {}
        for clause_id, pre_id, ref, title in pairs:
            prerequisites.setdefault(clause_id, []).append((pre_id, ref, title))
        evidence = latest_observation_ids(
            violated.filter(clause_id__in={p[1] for p in pairs}), per=["clause_id"], n=5
        )
        findings = []
        for row in clauses.filter(pk__in=prerequisites).values(*CLAUSE_FIELDS):
            pres = prerequisites[row["pk"]]
            named = ", ".join(f"clause {ref} ({title})" for _, ref, title in pres)
            findings.append(
                Finding(
                    rule=self.code,
                    clause_id=row["pk"],
                    agreement_id=row["agreement_id"],
                    severity=severity or self.default_severity,
                    title=f"Prerequisite breached: {clause_label(row)}",
                    explanation=(
                        f"{clause_label(row)} is in force while its prerequisite {named} has "
                        f"violations recorded in the last {params['window_days']} days."
                    ),
                    evidence=[i for pre_id, _, _ in pres for i in evidence.get((pre_id,), [])],
                    details={"prerequisites": [pre_id for pre_id, _, _ in pres]},
                )
            )
        return findings
