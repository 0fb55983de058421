"""Who watches an agreement's clauses, and whether each keeps its reporting cadence."""

import datetime as dt

from django.db.models import Max, Q

from agreements.models import Agreement, VerificationMechanism
from monitor.cadence import cadence_status


def clause_watchers(*, agreement: Agreement, moment: dt.datetime) -> dict[int, list[str]]:
    """By clause id: "mechanism (ok|grace|overdue)" for every mechanism watching it, as of
    ``moment`` (reports filed later do not count)."""
    filed = Q(
        missions__reports__status__in=["accepted", "superseded"],
        missions__reports__filed_at__lte=moment,
    )
    cadence = {
        m["pk"]: cadence_status(
            last=m["last"],
            interval=m["reporting_interval"],
            grace=m["grace"],
            now=moment,
            since=m["active_from"],
        ).value
        for m in VerificationMechanism.objects.filter(agreement=agreement)
        .annotate(last=Max("missions__reports__filed_at", filter=filed))
        .values("pk", "reporting_interval", "grace", "active_from", "last")
    }
    watchers: dict[int, list[str]] = {}
    for clause_id, mechanism_id, name in VerificationMechanism.clauses.through.objects.filter(
        clause__agreement=agreement
    ).values_list("clause_id", "verificationmechanism_id", "verificationmechanism__name"):
        watchers.setdefault(clause_id, []).append(f"{name} ({cadence.get(mechanism_id, '?')})")
    return watchers
