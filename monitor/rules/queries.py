"""Query pieces the rules share beyond the owning apps' selectors: the clauses an incremental
evaluation covers, the verification ladder, and a finding's evidence (the latest ids)."""

from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, Func, QuerySet
from django.db.models.expressions import F, Window
from django.db.models.functions import RowNumber

from agreements.models import Clause
from reports.models import Observation

VERIFICATION_ORDER: list[str] = [
    Observation.Verification.UNVERIFIED,
    Observation.Verification.CORROBORATED,
    Observation.Verification.CONFIRMED,
]


def clause_ids_with_dependents(*, clause_ids: list[int]) -> list[int]:
    """The clauses and those that name one of them as a prerequisite: new violations on a
    prerequisite change whether the clauses depending on it are flagged."""
    through = Clause.prerequisites.through
    dependents = through.objects.filter(to_clause_id__in=clause_ids).values_list(
        "from_clause_id", flat=True
    )
    return sorted(set(clause_ids) | set(dependents))


def verification_levels_at_least(level: str) -> list[str]:
    """The verification statuses at ``level`` or stronger (disputed is never among them)."""
    if level not in VERIFICATION_ORDER:
        raise ValueError(f"min_verification must be one of {', '.join(VERIFICATION_ORDER)}")
    return VERIFICATION_ORDER[VERIFICATION_ORDER.index(level) :]


def latest_observation_ids(
    observations: QuerySet[Observation], *, per: list[str], n: int = 10
) -> dict[tuple[Any, ...], list[int]]:
    """The ``n`` latest observation ids per group of the ``per`` fields, in one query (a
    window function)."""
    ranked = (
        observations.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F(p) for p in per],
                order_by=[F("occurred_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=n)
        .values_list("id", *per)
    )
    grouped: dict[tuple[Any, ...], list[int]] = {}
    for obs_id, *key in ranked:
        grouped.setdefault(tuple(key), []).append(obs_id)
    return grouped


def latest_observation_ids_aggregate(n: int = 10) -> Func | None:
    """The ``n`` latest observation ids of each group as one more aggregate of a grouped
    query (PostgreSQL: an ordered ARRAY_AGG, sliced), so the evidence comes with the group's
    figures instead of from a second pass over the same rows. None elsewhere: use
    ``latest_observation_ids`` there."""
    if connection.vendor != "postgresql":
        return None
    from django.contrib.postgres.aggregates import ArrayAgg
    from django.contrib.postgres.fields import ArrayField

    return Func(
        # The stubs allow only field names here; Django takes expressions too.
        ArrayAgg("id", order_by=(F("occurred_at").desc(), F("id").desc())),  # type: ignore[arg-type]
        template=f"(%(expressions)s)[1:{int(n)}]",
        output_field=ArrayField(BigIntegerField()),
    )
