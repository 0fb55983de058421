import datetime as dt

from django.db.models import Exists, F, OuterRef

from agreements.selectors import deadline_instant
from core.days import zone_or_utc
from monitor.models import Severity
from monitor.rules.base import CLAUSE_FIELDS, Finding, Rule, ago, clause_label, long_date, register
from reports.models import Observation
from reports.selectors import observations_counted


def _deadline_words(row: dict) -> str:
    """'8 March 2015', or '15 February 2015 at 00:00 (Europe/Kyiv time)' with a time."""
    words = long_date(row["deadline"])
    if row["deadline_time"] is not None:
        words += f" at {row['deadline_time']:%H:%M} ({row['zone']} time)"
    return words


@register
class DeadlineMissed(Rule):
    """Its deadline has passed and no compliance has been observed."""

    code = "clause.deadline_missed"
    title = "Deadline missed"
    description = (
        "The clause's deadline (fixed, or counted from another date of the "
        "agreement) has passed with no compliance observation. A deadline passes at its time "
        "in the agreement's zone, or without a time at the end of that day there."
    )
    default_severity = Severity.HIGH
    time_based = True

    def find(self, *, clauses, as_of, known_at, params, severity):
        complied = observations_counted(known_at).filter(
            kind=Observation.Kind.COMPLIANCE, clause=OuterRef("pk"), occurred_at__lte=as_of
        )
        # No zone is more than 14 hours from UTC, so a deadline that has passed is dated at
        # most a day after the UTC date of as_of; the exact instant is checked below.
        latest = as_of.astimezone(dt.UTC).date() + dt.timedelta(days=1)
        rows = (
            clauses.filter(deadline__lte=latest)
            .annotate(complied=Exists(complied))
            .filter(complied=False)
            .values(
                *CLAUSE_FIELDS,
                "deadline",
                "deadline_time",
                "deadline_text",
                anchor=F("deadline_anchor"),
                zone=F("agreement__time_zone"),
            )
        )
        findings = []
        for row in rows:
            passed_at = deadline_instant(
                row["deadline"], row["deadline_time"], zone_or_utc(row["zone"])
            )
            if passed_at is None or passed_at > as_of:
                continue
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
                        f"{clause_label(row)} had a deadline of {_deadline_words(row)}"
                        f"{counted}, {ago(row['deadline'], as_of)}, and no compliance has been "
                        "observed."
                    ),
                    details={
                        "deadline": row["deadline"].isoformat(),
                        "deadline_at": passed_at.astimezone(dt.UTC).isoformat(),
                        "deadline_text": row["deadline_text"],
                    },
                )
            )
        return findings
