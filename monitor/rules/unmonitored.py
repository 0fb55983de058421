from agreements.selectors import watched_by_active_mechanism
from monitor.models import Severity
from monitor.rules.base import CLAUSE_FIELDS, Finding, Rule, clause_label, register


@register
class Unmonitored(Rule):
    """In force, and no active verification mechanism covers it."""

    code = "clause.unmonitored"
    title = "Unmonitored"
    description = "The clause is in force and no active verification mechanism covers it."
    default_severity = Severity.MODERATE

    def find(self, *, clauses, as_of, known_at, params, severity):
        rows = (
            clauses.annotate(watched=watched_by_active_mechanism(as_of))
            .filter(watched=False)
            .values(*CLAUSE_FIELDS)
        )
        return [
            Finding(
                rule=self.code,
                clause_id=row["pk"],
                agreement_id=row["agreement_id"],
                severity=severity or self.default_severity,
                title=f"Unmonitored: {clause_label(row)}",
                explanation=(
                    f"{clause_label(row)} is in force and no active verification mechanism "
                    "covers it: nobody is watching whether it is kept."
                ),
            )
            for row in rows
        ]
