from django.db.models import Exists, F, OuterRef

from monitor.models import Severity
from monitor.rules.base import CLAUSE_FIELDS, Finding, Rule, ago, clause_label, long_date, register
from reports.models import Observation
from reports.selectors import observations_counted


@register
class DeadlineMissed(Rule):
    """Its deadline has passed and no compliance has been observed."""

    code = "clause.deadline_missed"
    title = "Deadline missed"
    description = (
        "The clause's deadline (fixed, or counted from another date of the "
        "agreement) has passed with no compliance observation."
    )
    default_severity = Severity.HIGH
    time_based = True

    def find(self, *, clauses, as_of, known_at, params, severity):
        complied = observations_counted(known_at).filter(
            kind=Observation.Kind.COMPLIANCE, clause=OuterRef("pk"), occurred_at__lte=as_of
        )
        rows = (
            clauses.filter(deadline__lt=as_of.date())
            .annotate(complied=Exists(complied))
            .filter(complied=False)
            .values(*CLAUSE_FIELDS, "deadline", "deadline_text", anchor=F("deadline_anchor"))
        )
        findings = []
        for row in rows:
            counted = (
                " (counted from another date of the agreement)"
                if row["anchor"] not in ("", "fixed")
                else ""
            )
            findings.append(
                Finding(
                    rule=self.code,
                    clause_id=row["pk"],
                    agreement_id=row["agreement_id"],
                    severity=severity or self.default_severity,
                    title=f"Deadline missed: {clause_label(row)}",
                    explanation=(
                        f"{clause_label(row)} had a deadline of {long_date(row['deadline'])}"
                        f"{counted}, {ago(row['deadline'], as_of)}, and no compliance has been "
                        "observed."
                    ),
                    details={
                        "deadline": row["deadline"].isoformat(),
                        "deadline_text": row["deadline_text"],
                    },
                )
            )
        return findings
