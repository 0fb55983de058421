"""An agreement's figures over a period: weekly violations and compliance per clause,
violations per party, and the flagged observations counted apart.

With every filing so far counted (``known_at`` now) they come from the daily
pre-aggregates; with an earlier ``known_at``, from the observations as known then.
"""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, DateField, F, Func, Q, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncWeek

from agreements.models import Agreement, Party
from core.db import fetch_rows
from monitor.models import ClauseDay, PartyDay
from monitor.scorecards.cards import PartyViolations, PeriodFigures, WeekCell
from reports.models import Observation
from reports.selectors import observations_counted, observations_known


class _WeekOfDate(Func):
    """The Monday of a date's week, as a date (PostgreSQL returns DATE_TRUNC's result as a
    timestamp, which costs a parse per row; as a date it does not). The day is truncated as
    a timestamp without time zone: as a date it would be cast to one with the session's time
    zone, a conversion per row of the scan for the same Monday."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        return TruncWeek(*self.source_expressions, output_field=DateField()).as_sql(
            compiler, connection, **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(DATE_TRUNC('week', ({sql})::timestamp)::date)", params


def weeks_of(start: dt.date, end: dt.date) -> tuple[dt.date, ...]:
    """The Mondays of the weeks from ``start`` to ``end``."""
    first = start - dt.timedelta(days=start.weekday())
    return tuple(first + dt.timedelta(weeks=i) for i in range((end - first).days // 7 + 1))


def period_figures(*, agreement: Agreement, start: dt.date, end: dt.date) -> PeriodFigures:
    """Weekly figures for the period from the daily pre-aggregates, in a fixed number of
    queries (grouped passes over covering indexes of both tables)."""
    days = ClauseDay.objects.filter(agreement=agreement, day__gte=start, day__lte=end)
    clause_weeks = fetch_rows(
        days.annotate(week=_WeekOfDate(F("day")))
        .values("clause_id", "week")
        .annotate(v=Sum("violations"), c=Sum("compliance"))
        .order_by()
        .values_list("clause_id", "week", "v", "c")
    )
    # One pass over the party rows, by party, category and day (grouping by the day itself
    # spares a week computation per row of a large scan); both views are summed from it.
    codes = dict(Party.objects.values_list("pk", "code"))
    party_rows = [
        (codes[party_id], category, day, n)
        for party_id, category, day, n in fetch_rows(
            PartyDay.objects.filter(agreement=agreement, day__gte=start, day__lte=end)
            .values("party_id", "category", "day")
            .annotate(n=Sum("violations"))
            .order_by()
            .values_list("party_id", "category", "day", "n")
        )
    ]
    return period_figures_from_rows(
        weeks=weeks_of(start, end), clause_weeks=clause_weeks, party_rows=party_rows
    )


def period_figures_from_rows(
    *,
    weeks: tuple[dt.date, ...],
    clause_weeks: Iterable[tuple[int, dt.date | dt.datetime, int | None, int | None]],
    party_rows: Iterable[tuple[str, str, dt.date | dt.datetime, int | None]],
) -> PeriodFigures:
    """The figures from grouped rows: (clause id, week, violations, compliance) and
    (party code, category, day or week, violations)."""

    def index(day: dt.date | dt.datetime) -> int:
        return (_day(day) - weeks[0]).days // 7

    cells: dict[int, list[WeekCell]] = {}
    violations = [0] * len(weeks)
    for clause_id, week, v, c in clause_weeks:
        at = index(week)
        cells.setdefault(clause_id, [(0, 0)] * len(weeks))[at] = (v or 0, c or 0)
        violations[at] += v or 0
    by_week: dict[str, list[int]] = {}
    by_category: dict[str, dict[str, int]] = {}
    for code, category, day, n in party_rows:
        by_week.setdefault(code, [0] * len(weeks))[index(day)] += n or 0
        in_party = by_category.setdefault(code, {})
        in_party[category] = in_party.get(category, 0) + (n or 0)
    totals = sorted(((code, sum(v)) for code, v in by_week.items()), key=lambda t: (-t[1], t[0]))
    return PeriodFigures(
        weeks=weeks,
        heatmap={clause_id: tuple(row) for clause_id, row in cells.items()},
        party_weeks={code: tuple(row) for code, row in by_week.items()},
        party_categories=by_category,
        by_party=tuple(PartyViolations(party=code, violations=n) for code, n in totals),
        violation_weeks=tuple(violations),
    )


def _day(week: dt.date | dt.datetime) -> dt.date:
    return week.date() if isinstance(week, dt.datetime) else week


def observed_day() -> Coalesce:
    """An observation's calendar day: the day it was given for, else its UTC date (as the
    daily aggregates count it)."""
    return Coalesce(F("occurred_on"), TruncDate("occurred_at"), output_field=DateField())


def period_figures_known(
    *, agreement: Agreement, start: dt.date, end: dt.date, known_at: dt.datetime
) -> PeriodFigures:
    """``period_figures`` from the observations as known at ``known_at`` (filed by then, not
    yet corrected then, not flagged), in two grouped queries."""
    counted = (
        observations_counted(known_at)
        .filter(clause__agreement=agreement)
        .annotate(day=observed_day())
        .filter(day__gte=start, day__lte=end)
    )
    clause_weeks = fetch_rows(
        counted.annotate(week=_WeekOfDate(F("day")))
        .values("clause_id", "week")
        .annotate(
            v=Count("id", filter=Q(kind=Observation.Kind.VIOLATION)),
            c=Count("id", filter=Q(kind=Observation.Kind.COMPLIANCE)),
        )
        .order_by()
        .values_list("clause_id", "week", "v", "c")
    )
    party_rows = fetch_rows(
        counted.filter(kind=Observation.Kind.VIOLATION, party__isnull=False)
        .values("party__code", "clause__category", "day")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("party__code", "clause__category", "day", "n")
    )
    return period_figures_from_rows(
        weeks=weeks_of(start, end), clause_weeks=clause_weeks, party_rows=party_rows
    )


def outside_counts(
    *, agreement: Agreement, start: dt.date, end: dt.date, known_at: dt.datetime | None
) -> dict[int, int]:
    """By clause id: observations in the period flagged outside the clause's period or area
    (counted apart, never against the clause); ``known_at`` None: every filing so far."""
    rows: list[tuple[int, int]]
    if known_at is None:
        rows = list(
            ClauseDay.objects.filter(
                agreement=agreement, day__gte=start, day__lte=end, outside__gt=0
            )
            .values("clause_id")
            .annotate(n=Sum("outside"))
            .order_by()
            .values_list("clause_id", "n")
        )
    else:
        rows = list(
            observations_known(known_at)
            .filter(Q(outside_period=True) | Q(outside_area=True), clause__agreement=agreement)
            .annotate(day=observed_day())
            .filter(day__gte=start, day__lte=end)
            .values("clause_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("clause_id", "n")
        )
    return {clause_id: n for clause_id, n in rows if n}
