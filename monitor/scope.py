"""Shared reads for the rules: what is in force, and the observations as they stood."""

import datetime as dt

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BigIntegerField, Exists, Func, OuterRef, Q, QuerySet
from django.db.models.expressions import F, Window
from django.db.models.functions import RowNumber

from agreements.models import Agreement, Clause, VerificationMechanism
from reports.models import Observation, ReportStatus

ACTIVE_STATUSES = [
    Agreement.Status.PROVISIONAL,
    Agreement.Status.SIGNED,
    Agreement.Status.IN_FORCE,
    Agreement.Status.TERMINATED,
]
VERIFICATION_ORDER = ["unverified", "corroborated", "confirmed"]


def agreement_in_force_q(day: dt.date, prefix: str = "") -> Q:
    """Agreements binding on ``day``: started, not expired, not draft or suspended.

    A terminated agreement counts for the days before its ``expires_on``; without that date
    it is taken as no longer binding. A suspension has no dates, so it counts as now.
    """
    p = prefix
    return (
        Q(**{f"{p}status__in": ACTIVE_STATUSES})
        & (
            Q(**{f"{p}in_force_on__lte": day})
            | Q(**{f"{p}in_force_on__isnull": True, f"{p}signed_on__lte": day})
        )
        & (Q(**{f"{p}expires_on__isnull": True}) | Q(**{f"{p}expires_on__gte": day}))
        & ~Q(**{f"{p}status": Agreement.Status.TERMINATED, f"{p}expires_on__isnull": True})
    )


def clauses_in_force(clauses: QuerySet[Clause], as_of: dt.datetime) -> QuerySet[Clause]:
    day = as_of.date()
    return clauses.filter(
        agreement_in_force_q(day, "agreement__"),
        Q(in_force_from__isnull=True) | Q(in_force_from__lte=day),
    )


def active_mechanisms_q(day: dt.date, prefix: str = "") -> Q:
    p = prefix
    return (Q(**{f"{p}active_from__isnull": True}) | Q(**{f"{p}active_from__lte": day})) & (
        Q(**{f"{p}active_until__isnull": True}) | Q(**{f"{p}active_until__gte": day})
    )


def watched_by_active_mechanism(as_of: dt.datetime) -> Exists:
    return Exists(
        VerificationMechanism.objects.filter(
            active_mechanisms_q(as_of.date()), clauses=OuterRef("pk")
        )
    )


def observations_at(as_of: dt.datetime) -> QuerySet[Observation]:
    """Observations of reports accepted by ``as_of`` and not yet corrected then."""
    return Observation.objects.filter(
        Q(report__status=ReportStatus.ACCEPTED, report__filed_at__lte=as_of)
        | Q(
            report__status=ReportStatus.SUPERSEDED,
            report__filed_at__lte=as_of,
            report__superseded_by__filed_at__gt=as_of,
        )
    )


def with_dependents(clause_ids: list[int]) -> list[int]:
    """The clauses and those that name one of them as a prerequisite: new violations on a
    prerequisite change whether the clauses depending on it are flagged."""
    through = Clause.prerequisites.through
    dependents = through.objects.filter(to_clause_id__in=clause_ids).values_list(
        "from_clause_id", flat=True
    )
    return sorted(set(clause_ids) | set(dependents))


def verification_at_least(level: str) -> list[str]:
    if level not in VERIFICATION_ORDER:
        raise ValueError(f"min_verification must be one of {', '.join(VERIFICATION_ORDER)}")
    return VERIFICATION_ORDER[VERIFICATION_ORDER.index(level) :]


def latest_ids(
    observations: QuerySet[Observation], partition: list[str], n: int = 10
) -> dict[tuple, list[int]]:
    """The ``n`` latest observation ids per group, in one query (a window function)."""
    ranked = (
        observations.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F(p) for p in partition],
                order_by=[F("occurred_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=n)
        .values_list("id", *partition)
    )
    grouped: dict[tuple, list[int]] = {}
    for obs_id, *key in ranked:
        grouped.setdefault(tuple(key), []).append(obs_id)
    return grouped


def latest_ids_aggregate(n: int = 10) -> Func | None:
    """The ``n`` latest observation ids of each group as one more aggregate of a grouped
    query (PostgreSQL: an ordered ARRAY_AGG, sliced), so the evidence comes with the group's
    figures instead of from a second pass over the same rows. None elsewhere: use
    ``latest_ids`` there."""
    if connection.vendor != "postgresql":
        return None
    from django.contrib.postgres.aggregates import ArrayAgg
    from django.contrib.postgres.fields import ArrayField

    return Func(
        ArrayAgg("id", order_by=(F("occurred_at").desc(), F("id").desc())),
        template=f"(%(expressions)s)[1:{int(n)}]",
        output_field=ArrayField(BigIntegerField()),
    )


def fetch_rows(queryset: QuerySet) -> list[tuple]:
    """The rows of a ``values_list`` query as plain tuples.

    On PostgreSQL the driver already returns Python types, so the rows are read straight
    from the cursor, without Django's per-row converters: for the tens of thousands of
    groups of a full evaluation that is a large share of the time. Elsewhere (SQLite keeps
    datetimes as text) the queryset runs as usual.
    """
    if connection.vendor != "postgresql":
        return list(queryset)
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a condition nothing can meet (an empty id list): no query at all
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
