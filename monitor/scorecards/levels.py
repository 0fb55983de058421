"""Implementation levels and rates.

Implementation rate as the Peace Accords Matrix computes it: the sum of the latest 0-3 levels
divided by (number of provisions x 3), times 100, over the clauses in force that an analyst has
assessed; unassessed clauses are listed as N/A and not counted, so the figure compares with
published PAM and Colombia Barometer numbers.
"""

import datetime as dt

from django.db.models import OuterRef, Q, QuerySet, Subquery

from agreements.models import Clause, ImplementationAssessment


def implementation_rate(levels: list[int]) -> float | None:
    """PAM: sum of levels / (provisions x 3) x 100; None when nothing is assessed."""
    if not levels:
        return None
    return round(sum(levels) / (len(levels) * 3) * 100, 1)


def levels_as_of(*, clause_ids: QuerySet[Clause], day: dt.date) -> dict[int, int]:
    """Each assessed clause's latest level on ``day``, by clause id."""
    latest = (
        ImplementationAssessment.objects.filter(clause=OuterRef("pk"), assessed_on__lte=day)
        .order_by("-assessed_on", "-created_at")
        .values("level")[:1]
    )
    return {
        pk: level
        for pk, level in Clause.objects.filter(pk__in=clause_ids)
        .annotate(level=Subquery(latest))
        .values_list("pk", "level")
        if level is not None
    }


def clause_levels_on(day: dt.date) -> QuerySet[Clause, tuple[int, int, int]]:
    """(clause id, agreement id, latest level on ``day``) of every assessed clause."""
    latest = ImplementationAssessment.objects.filter(
        clause=OuterRef("pk"), assessed_on__lte=day
    ).order_by("-assessed_on", "-created_at")
    return (
        Clause.objects.annotate(level=Subquery(latest.values("level")[:1]))
        .filter(~Q(level=None))
        .values_list("pk", "agreement_id", "level")
    )
