"""Who watches an agreement's clauses, and whether each keeps its reporting cadence."""

import datetime as dt

from django.utils import timezone

from agreements.models import Agreement, VerificationMechanism
from monitor.cadence import cadence_status
from reports.selectors import mechanisms_with_last_covered


def clause_watchers(
    *, agreement: Agreement, moment: dt.datetime, known_at: dt.datetime | None = None
) -> dict[int, list[str]]:
    """By clause id: "mechanism (ok|grace|overdue|ended)" for every mechanism watching it, as
    of ``moment`` with the reports known at ``known_at`` (default now), measured as the rule
    ``clause.stale_monitoring`` measures it: from the last moment its reports cover."""
    cadence = {
        m["pk"]: cadence_status(
            last=m["last_covered"],
            interval=m["reporting_interval"],
            grace=m["grace"],
            now=moment,
            since=m["active_from"],
            until=m["active_until"],
        ).value
        for m in mechanisms_with_last_covered(
            mechanisms=VerificationMechanism.objects.filter(agreement=agreement),
            as_of=moment,
            known_at=known_at or timezone.now(),
        ).values(  # type: ignore[misc]  # the selector's annotation
            "pk", "reporting_interval", "grace", "active_from", "active_until", "last_covered"
        )
    }
    watchers: dict[int, list[str]] = {}
    for clause_id, mechanism_id, name in VerificationMechanism.clauses.through.objects.filter(
        clause__agreement=agreement
    ).values_list("clause_id", "verificationmechanism_id", "verificationmechanism__name"):
        watchers.setdefault(clause_id, []).append(f"{name} ({cadence.get(mechanism_id, '?')})")
    return watchers
