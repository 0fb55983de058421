"""An agreement's scorecard: every clause with its status and level, the rates, and the
weekly figures of a period from the daily pre-aggregates."""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db.models import DateField, Exists, F, Func, OuterRef, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from agreements.models import Agreement, Clause, Party
from agreements.selectors import clause_tree, clauses_in_force
from core.db import fetch_rows
from core.params import DateWindow, window_ending
from monitor.models import Alert, ClauseDay, PartyDay
from monitor.scorecards.cards import (
    AgreementScorecard,
    CategoryFigures,
    ClauseRow,
    OpenAlert,
    PartyViolations,
    PeriodFigures,
    WeekCell,
)
from monitor.scorecards.levels import implementation_rate, levels_as_of
from monitor.status import status_from_rules
from reports.models import Observation
from reports.selectors import observations_counted


def agreement_scorecard(
    *, agreement: Agreement, as_of: dt.datetime | None = None, period: DateWindow | None = None
) -> AgreementScorecard:
    """Every clause with its status and level, the rates, and violations by party.

    ``as_of`` shows the agreement as the data stood then (the rules are evaluated for that
    moment); without it the engine's live alerts give the current status. ``period`` defaults
    to the twelve weeks up to ``as_of`` (or today) and never runs past it.
    """
    now = as_of or timezone.now()
    tree = clause_tree(agreement=agreement)
    # The agreement's clauses as a subquery: a list of a thousand ids is slower to send.
    scope = Clause.objects.filter(agreement=agreement)
    in_force = set(clauses_in_force(scope, now).values_list("pk", flat=True))
    complied = _complied_on_record(agreement=agreement, as_of=as_of, now=now)
    # The live alerts, once: the table lists them, and without as_of they give the statuses.
    open_alerts: dict[int, list[OpenAlert]] = defaultdict(list)
    live_rules: dict[int, set[str]] = defaultdict(set)
    for clause_id, rule, severity, explanation in fetch_rows(
        Alert.objects.filter(agreement=agreement, state__in=Alert.LIVE_STATES)
        .order_by("clause_id", "-severity", "id")
        .values_list("clause_id", "rule", "severity", "explanation")
    ):
        open_alerts[clause_id].append(OpenAlert(severity=severity, explanation=explanation))
        live_rules[clause_id].add(rule)
    rules = live_rules if as_of is None else _rules_as_of(agreement=agreement, as_of=as_of)
    levels = levels_as_of(clause_ids=scope.values("pk"), day=now.date())
    window = period or window_ending(now.date())
    window = DateWindow(start=window.start, end=min(window.end, now.date()))
    figures = period_figures(agreement=agreement, start=window.start, end=window.end)
    rows = tuple(
        ClauseRow(
            clause=clause,
            depth=depth,
            level=levels.get(clause.pk),
            in_force=clause.pk in in_force,
            rules=frozenset(rules.get(clause.pk, ())),
            status=status_from_rules(
                rules.get(clause.pk, set()),
                in_force=clause.pk in in_force,
                complied=clause.pk in complied,
            ),
            open_alerts=tuple(open_alerts.get(clause.pk, ())),
            weekly=figures.heatmap.get(clause.pk),
        )
        for depth, clause in tree
    )
    assessed = [r.level for r in rows if r.in_force and r.level is not None]
    return AgreementScorecard(
        agreement=agreement,
        as_of=now,
        period=window,
        rows=rows,
        implementation_rate=implementation_rate(assessed),
        assessed=len(assessed),
        not_assessed=sum(1 for r in rows if r.in_force and r.level is None),
        not_in_force=sum(1 for r in rows if not r.in_force),
        statuses=dict(Counter(r.status for r in rows)),
        by_category=_by_category(rows),
        weeks=figures.weeks,
        violations_by_party=figures.by_party,
        party_weeks=figures.party_weeks,
        party_categories=figures.party_categories,
    )


def _complied_on_record(
    *, agreement: Agreement, as_of: dt.datetime | None, now: dt.datetime
) -> set[int]:
    """Ids of the clauses with compliance observed by ``now``."""
    if as_of is None:
        # A semi-join per clause on (clause, day), not a scan of the agreement's whole history.
        on_record = (
            Clause.objects.filter(
                Exists(
                    ClauseDay.objects.filter(
                        clause_id=OuterRef("pk"), day__lte=now.date(), compliance__gt=0
                    )
                ),
                agreement=agreement,
            )
            .annotate(clause_id=F("pk"))
            .order_by()
        )
        return set(on_record.values_list("clause_id", flat=True))
    # The daily aggregates hold today's reports; as of a past date only what had been filed
    # (and not yet corrected) by then counts, as for the rules.
    return set(
        observations_counted(as_of)
        .filter(
            clause__agreement=agreement,
            kind=Observation.Kind.COMPLIANCE,
            occurred_at__lte=as_of,
        )
        .values_list("clause_id", flat=True)
        .distinct()
    )


def _rules_as_of(*, agreement: Agreement, as_of: dt.datetime) -> dict[int, set[str]]:
    from monitor.services import rules_evaluate

    rules: dict[int, set[str]] = defaultdict(set)
    for finding in rules_evaluate(as_of=as_of, agreement_codes=[agreement.code]).findings:
        rules[finding.clause_id].add(finding.rule)
    return rules


def _by_category(rows: tuple[ClauseRow, ...]) -> dict[str, CategoryFigures]:
    by_category: dict[str, CategoryFigures] = {}
    for category, label in Clause.Category.choices:
        cat_rows = [r for r in rows if r.clause.category == category]
        if not cat_rows:
            continue
        cat_levels = [r.level for r in cat_rows if r.in_force and r.level is not None]
        by_category[category] = CategoryFigures(
            category=category,
            label=label,
            clauses=len(cat_rows),
            statuses=dict(Counter(r.status for r in cat_rows)),
            implementation_rate=implementation_rate(cat_levels),
            assessed=len(cat_levels),
        )
    return by_category


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
    for clause_id, week, v, c in clause_weeks:
        cells.setdefault(clause_id, [(0, 0)] * len(weeks))[index(week)] = (v or 0, c or 0)
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
    )


def _day(week: dt.date | dt.datetime) -> dt.date:
    return week.date() if isinstance(week, dt.datetime) else week
