"""Implementation levels and rates.

Implementation rate as the Peace Accords Matrix computes it: the sum of the latest 0-3 levels
divided by (number of provisions x 3), times 100, over the clauses in force that an analyst has
assessed; unassessed clauses are listed as N/A and not counted, so the figure compares with
published PAM and Colombia Barometer numbers.
"""

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from agreements.models import Clause
from agreements.selectors import clauses_with_latest_level


def implementation_rate(levels: list[int]) -> float | None:
    """PAM: sum of levels / (provisions x 3) x 100; None when nothing is assessed."""
    if not levels:
        return None
    return round(sum(levels) / (len(levels) * 3) * 100, 1)


def levels_as_of(*, clause_ids: QuerySet[Clause, Any], day: dt.date) -> dict[int, int]:
    """Each assessed clause's latest level on ``day``, by clause id."""
    return {
        pk: level
        for pk, level in clauses_with_latest_level(as_of=day)
        .filter(pk__in=clause_ids)
        .values_list("pk", "latest_level")  # type: ignore[misc]  # the selector's annotation
        if level is not None
    }


def clause_levels_on(day: dt.date) -> QuerySet[Clause, tuple[int, int, int]]:
    """(clause id, agreement id, latest level on ``day``) of every assessed clause."""
    return (
        clauses_with_latest_level(as_of=day)
        .filter(latest_level__isnull=False)  # type: ignore[misc]  # the selector's annotation
        .values_list("pk", "agreement_id", "latest_level")
    )
