"""Implementation levels and rates.

Implementation rate as the Peace Accords Matrix computes it: the sum of the latest 0-3 levels
divided by (number of provisions x 3), times 100, over the clauses in force that an analyst has
assessed; unassessed clauses are listed as N/A and not counted, so the figure compares with
published PAM and Colombia Barometer numbers.

A level is taken on two clocks: the newest assessment made for a day up to ``day``
(``assessed_on``), among those recorded by ``known_at`` (``created_at``).
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from agreements.models import Clause, ImplementationAssessment


def implementation_rate(levels: list[int]) -> float | None:
    """PAM: sum of levels / (provisions x 3) x 100; None when nothing is assessed."""
    if not levels:
        return None
    return round(sum(levels) / (len(levels) * 3) * 100, 1)


def levels_as_of(
    *, clause_ids: QuerySet[Clause, Any], day: dt.date, known_at: dt.datetime | None = None
) -> dict[int, int]:
    """Each assessed clause's latest level on ``day`` as recorded by ``known_at`` (default:
    every assessment so far), by clause id."""
    latest = ImplementationAssessment.objects.filter(clause=OuterRef("pk"), assessed_on__lte=day)
    if known_at is not None:
        latest = latest.filter(created_at__lte=known_at)
    latest = latest.order_by("-assessed_on", "-created_at")
    return {
        pk: level
        for pk, level in Clause.objects.filter(pk__in=clause_ids)
        .annotate(latest_level=Subquery(latest.values("level")[:1]))
        .values_list("pk", "latest_level")
        if level is not None
    }


# (assessed_on, created_at, level) of one clause's assessments.
Assessment = tuple[dt.date, dt.datetime, int]


def level_on(
    assessments: Iterable[Assessment], *, day: dt.date, known_at: dt.datetime | None = None
) -> int | None:
    """The latest level on ``day`` among ``assessments`` recorded by ``known_at``: the same
    rule as ``levels_as_of``, for reads that load a clause's few assessments at once."""
    valid = [
        (on, created, level)
        for on, created, level in assessments
        if on <= day and (known_at is None or created <= known_at)
    ]
    return max(valid)[2] if valid else None
