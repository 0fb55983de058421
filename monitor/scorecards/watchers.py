"""Who watches an agreement's clauses, and whether each keeps its reporting cadence."""

import datetime as dt

from agreements.models import Agreement, VerificationMechanism
from monitor.cadence import cadence_status
from reports.selectors import mechanisms_with_last_filed


def clause_watchers(
    *, agreement: Agreement, moment: dt.datetime, known_at: dt.datetime | None = None
) -> dict[int, list[str]]:
    """By clause id: "mechanism (ok|grace|overdue)" for every mechanism watching it, as of
    ``moment`` (reports filed later, or after ``known_at``, do not count)."""
    filed_by = moment if known_at is None else min(moment, known_at)
    cadence = {
        m["pk"]: cadence_status(
            last=m["last_filed"],
            interval=m["reporting_interval"],
            grace=m["grace"],
            now=moment,
            since=m["active_from"],
        ).value
        for m in mechanisms_with_last_filed(
            mechanisms=VerificationMechanism.objects.filter(agreement=agreement), as_of=filed_by
        ).values("pk", "reporting_interval", "grace", "active_from", "last_filed")  # type: ignore[misc]
    }
    watchers: dict[int, list[str]] = {}
    for clause_id, mechanism_id, name in VerificationMechanism.clauses.through.objects.filter(
        clause__agreement=agreement
    ).values_list("clause_id", "verificationmechanism_id", "verificationmechanism__name"):
        watchers.setdefault(clause_id, []).append(f"{name} ({cadence.get(mechanism_id, '?')})")
    return watchers
