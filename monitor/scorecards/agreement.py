"""An agreement's scorecard: every clause with its status and level, the rates, the
figures of a period, and the retrospective findings about it, on two clocks (``picture``)."""

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Exists, F, OuterRef

from agreements.models import Agreement, Clause
from agreements.selectors import clause_tree, clauses_in_force
from core.db import fetch_rows
from core.params import DateWindow
from monitor.models import ClauseDay
from monitor.scorecards.cards import (
    AgreementScorecard,
    CategoryFigures,
    ClauseRow,
    OpenAlert,
    RetrospectiveAlert,
)
from monitor.scorecards.figures import outside_counts, period_figures, period_figures_known
from monitor.scorecards.levels import implementation_rate, levels_as_of
from monitor.scorecards.picture import (
    Picture,
    agreements_active_periods,
    end_of_day,
    picture_for,
)
from monitor.selectors import alerts_live, alerts_retrospective
from monitor.status import status_in_period
from reports.models import Observation
from reports.selectors import observations_counted

# Enough to read; the API and the alerts list have them all.
RETROSPECTIVE_SHOWN = 200


def agreement_picture(
    *,
    agreement: Agreement,
    as_of: dt.datetime | None = None,
    known_at: dt.datetime | None = None,
    period: DateWindow | None = None,
) -> Picture:
    """The agreement's picture with the defaults of ``picture_for`` (its active life when it
    has ended, else the last twelve weeks; statuses as of the end of the period)."""
    life = agreements_active_periods([agreement])[agreement.pk]
    return picture_for(
        life=life,
        start=period.start if period else None,
        end=period.end if period else None,
        as_of=as_of,
        known_at=known_at,
    )


def agreement_scorecard(
    *,
    agreement: Agreement,
    picture: Picture | None = None,
    as_of: dt.datetime | None = None,
    known_at: dt.datetime | None = None,
    period: DateWindow | None = None,
) -> AgreementScorecard:
    """Every clause with its status and level, the rates, and violations by party.

    Live (the default picture of an agreement in force): the engine's live alerts give the
    statuses. Otherwise the rules are evaluated as of ``picture.as_of`` with what had been
    filed by ``picture.known_at``. A clause no longer in force at that moment but with
    violations counted in the period reads "Violated (before it ended)", never "Not in force".
    """
    picture = picture or agreement_picture(
        agreement=agreement, as_of=as_of, known_at=known_at, period=period
    )
    moment, window = picture.as_of, picture.period
    tree = clause_tree(agreement=agreement)
    # The agreement's clauses as a subquery: a list of a thousand ids is slower to send.
    scope = Clause.objects.filter(agreement=agreement)
    in_force = set(clauses_in_force(scope, moment).values_list("pk", flat=True))
    complied = _complied_on_record(agreement=agreement, picture=picture)
    # Live: the live alerts give the statuses and fill the alerts column. Otherwise the rules'
    # findings at as_of do both: the live alerts of today say nothing of that moment.
    findings: dict[int, list[OpenAlert]] = defaultdict(list)
    rules: dict[int, set[str]] = defaultdict(set)
    if picture.live:
        rows_of_rules = fetch_rows(
            alerts_live()
            .filter(agreement=agreement)
            .order_by("clause_id", "-severity", "id")
            .values_list("clause_id", "rule", "severity", "explanation")
        )
    else:
        rows_of_rules = _findings_as_of(agreement=agreement, picture=picture)
    for clause_id, rule, severity, explanation in rows_of_rules:
        findings[clause_id].append(OpenAlert(severity=severity, explanation=explanation))
        rules[clause_id].add(rule)
    known_at = None if picture.knows_everything else picture.known_at
    levels = levels_as_of(clause_ids=scope.values("pk"), day=moment.date(), known_at=known_at)
    if known_at is None:
        figures = period_figures(agreement=agreement, start=window.start, end=window.end)
    else:
        figures = period_figures_known(
            agreement=agreement, start=window.start, end=window.end, known_at=known_at
        )
    outside = outside_counts(
        agreement=agreement, start=window.start, end=window.end, known_at=known_at
    )
    rows = []
    for depth, clause in tree:
        weekly = figures.heatmap.get(clause.pk)
        rows.append(
            ClauseRow(
                clause=clause,
                depth=depth,
                level=levels.get(clause.pk),
                in_force=clause.pk in in_force,
                rules=frozenset(rules.get(clause.pk, ())),
                status=status_in_period(
                    rules.get(clause.pk, set()),
                    in_force=clause.pk in in_force,
                    complied=clause.pk in complied,
                    violations=sum(v for v, _ in weekly or ()),
                ),
                open_alerts=tuple(findings.get(clause.pk, ())),
                weekly=weekly,
                outside=outside.get(clause.pk, 0),
            )
        )
    assessed = [r.level for r in rows if r.in_force and r.level is not None]
    return AgreementScorecard(
        agreement=agreement,
        picture=picture,
        rows=tuple(rows),
        implementation_rate=implementation_rate(assessed),
        assessed=len(assessed),
        not_assessed=sum(1 for r in rows if r.in_force and r.level is None),
        not_in_force=sum(1 for r in rows if not r.in_force),
        statuses=dict(Counter(r.status for r in rows)),
        by_category=_by_category(tuple(rows)),
        weeks=figures.weeks,
        violations_by_party=figures.by_party,
        party_weeks=figures.party_weeks,
        party_categories=figures.party_categories,
        outside=sum(outside.values()),
        retrospective=retrospective_alerts(agreement=agreement, picture=picture),
        violation_weeks=figures.violation_weeks,
    )


def _complied_on_record(*, agreement: Agreement, picture: Picture) -> set[int]:
    """Ids of the clauses with compliance observed by ``as_of``, as known at ``known_at``."""
    if picture.live:
        # A semi-join per clause on (clause, day), not a scan of the agreement's whole history.
        on_record = (
            Clause.objects.filter(
                Exists(
                    ClauseDay.objects.filter(
                        clause_id=OuterRef("pk"), day__lte=picture.as_of.date(), compliance__gt=0
                    )
                ),
                agreement=agreement,
            )
            .annotate(clause_id=F("pk"))
            .order_by()
        )
        return set(on_record.values_list("clause_id", flat=True))
    return set(
        observations_counted(picture.known_at)
        .filter(
            clause__agreement=agreement,
            kind=Observation.Kind.COMPLIANCE,
            occurred_at__lte=picture.as_of,
        )
        .values_list("clause_id", flat=True)
        .distinct()
    )


def _findings_as_of(*, agreement: Agreement, picture: Picture) -> list[tuple[int, str, int, str]]:
    """(clause id, rule, severity, explanation) of the rules' findings at ``as_of`` with what
    had been filed by ``known_at``, most severe first per clause."""
    from monitor.services import rules_evaluate  # services sit above the scorecards' reads

    evaluation = rules_evaluate(
        as_of=picture.as_of, known_at=picture.known_at, agreement_codes=[agreement.code]
    )
    return sorted(
        ((f.clause_id, f.rule, f.severity, f.explanation) for f in evaluation.findings),
        key=lambda f: (f[0], -f[2], f[1]),
    )


def retrospective_alerts(
    *, agreement: Agreement, picture: Picture
) -> tuple[RetrospectiveAlert, ...]:
    """The agreement's retrospective alerts about moments in the period, raised by
    ``known_at``: the findings the engine made about that past, kept apart from live ones."""
    window = picture.period
    start = dt.datetime(window.start.year, window.start.month, window.start.day, tzinfo=dt.UTC)
    alerts = (
        alerts_retrospective()
        .filter(
            agreement=agreement,
            describes__gte=start,
            describes__lte=end_of_day(window.end),
            first_seen__lte=picture.known_at,
        )
        .select_related("clause")
        .order_by("describes", "clause__position", "id")[:RETROSPECTIVE_SHOWN]
    )
    return tuple(
        RetrospectiveAlert(
            id=a.pk,
            clause_id=a.clause_id,
            clause_reference=a.clause.reference,
            clause_title=a.clause.title,
            rule=a.rule,
            severity=a.severity,
            state=a.state,
            title=a.title,
            explanation=a.explanation,
            describes=a.describes,
            first_seen=a.first_seen,
        )
        for a in alerts
        if a.describes is not None
    )


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
