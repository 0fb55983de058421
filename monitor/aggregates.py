"""The pre-aggregated figures the scorecards read: per clause and day, per party and day.

A day is the observation's calendar day, ``occurred_on``: the date itself when it was sent
without a time, else the day its instant falls on in the zone of its clause's agreement
(``Agreement.time_zone``, e.g. Europe/Kyiv for Minsk II), so a late evening in Kyiv counts on
that evening's date and never on a UTC date. Rows flagged outside their clause's period or
areas count only in ``ClauseDay.outside`` (whatever their kind), never in the other figures.

Rebuilt for the clauses an ingest touched (from the observations of accepted reports, so a
correction that supersedes a report is reflected), or for everything on demand.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from monitor.models import ClauseDay, PartyDay
from reports.models import Observation, ReportStatus

KINDS = {
    "violations": Observation.Kind.VIOLATION,
    "compliance": Observation.Kind.COMPLIANCE,
    "incidents": Observation.Kind.INCIDENT,
    "access_restricted": Observation.Kind.ACCESS_RESTRICTED,
    "information": Observation.Kind.INFORMATION,
}
FLAGGED = Q(outside_period=True) | Q(outside_area=True)


@transaction.atomic
def aggregates_refresh(
    *,
    clause_ids: list[int] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> int:
    """Recompute ClauseDay and PartyDay rows for ``clause_ids`` (all clauses when None),
    for the calendar days (``occurred_on``) from ``since`` to ``until`` when given: after an
    ingest, only the days its reports cover, so the cost follows the payload, not the whole
    history."""
    observations = Observation.objects.filter(
        report__status=ReportStatus.ACCEPTED, clause__isnull=False
    )
    clause_days = ClauseDay.objects.all()
    party_days = PartyDay.objects.all()
    if clause_ids is not None and since is None:
        # A correction can drop every row of a clause the report it replaced spoke of; the
        # ingest only names the clauses the correction touches, so the dropped ones come too.
        dropped = Observation.objects.filter(
            report__superseded_by__status=ReportStatus.ACCEPTED,
            report__superseded_by__observations__clause_id__in=clause_ids,
            clause__isnull=False,
        ).values_list("clause_id", flat=True)
        clause_ids = sorted({*clause_ids, *dropped})
    if clause_ids is not None:
        observations = observations.filter(clause_id__in=clause_ids)
        clause_days = clause_days.filter(clause_id__in=clause_ids)
        party_days = party_days.filter(clause_id__in=clause_ids)
    if since is not None and until is not None:
        observations = observations.filter(occurred_on__gte=since, occurred_on__lte=until)
        clause_days = clause_days.filter(day__gte=since, day__lte=until)
        party_days = party_days.filter(day__gte=since, day__lte=until)
    clause_days.delete()
    party_days.delete()
    counted = ~FLAGGED
    days = (
        observations.values("clause_id", "clause__agreement_id", "occurred_on")
        .annotate(
            **{name: Count("id", filter=Q(kind=kind) & counted) for name, kind in KINDS.items()},
            quantity=Coalesce(Sum("quantity", filter=counted), 0),
            outside=Count("id", filter=FLAGGED),
        )
        .order_by()
    )
    rows = [
        ClauseDay(
            clause_id=d["clause_id"],
            agreement_id=d["clause__agreement_id"],
            day=d["occurred_on"],
            quantity=d["quantity"],
            outside=d["outside"],
            **{k: d[k] for k in KINDS},
        )
        for d in days
    ]
    ClauseDay.objects.bulk_create(rows, batch_size=5000)
    by_party = (
        observations.filter(counted, kind=Observation.Kind.VIOLATION, party__isnull=False)
        .values("party_id", "clause_id", "clause__agreement_id", "clause__category", "occurred_on")
        .annotate(n=Count("id"))
        .order_by()
    )
    PartyDay.objects.bulk_create(
        [
            PartyDay(
                party_id=p["party_id"],
                clause_id=p["clause_id"],
                agreement_id=p["clause__agreement_id"],
                category=p["clause__category"],
                day=p["occurred_on"],
                violations=p["n"],
            )
            for p in by_party
        ],
        batch_size=5000,
    )
    return len(rows)
