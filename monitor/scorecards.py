"""Compliance scorecards: the figures the scorecard pages and the API both show.

Implementation rate as the Peace Accords Matrix computes it: the sum of the latest 0-3 levels
divided by (number of provisions x 3), times 100, over the clauses in force that an analyst has
assessed; unassessed clauses are listed as N/A and not counted, so the figure compares with
published PAM and Colombia Barometer numbers.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone

from agreements.models import Agreement, Clause, Party
from agreements.selectors import clause_tree, clauses_in_force, clauses_with_latest_level
from core.db import fetch_rows
from monitor.models import Alert, ClauseDay, PartyDay
from monitor.rules.base import long_date
from monitor.status import STATUS_LABELS, status_from_rules
from reports.models import Observation, ReportStatus
from reports.selectors import observations_at


@dataclass
class ClauseRow:
    clause: Clause
    depth: int
    status: str
    level: int | None
    in_force: bool
    rules: set[str] = field(default_factory=set)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def implementation_rate(levels: list[int]) -> float | None:
    """PAM: sum of levels / (provisions x 3) x 100; None when nothing is assessed."""
    if not levels:
        return None
    return round(sum(levels) / (len(levels) * 3) * 100, 1)


def levels_as_of(clause_ids: list[int] | QuerySet, as_of: dt.date | None) -> dict[int, int]:
    return {
        pk: level
        for pk, level in clauses_with_latest_level(as_of=as_of)
        .filter(pk__in=clause_ids)
        .values_list("pk", "latest_level")
        if level is not None
    }


def agreement_scorecard(
    *,
    agreement: Agreement,
    as_of: dt.datetime | None = None,
    period: tuple[dt.date, dt.date] | None = None,
) -> dict[str, Any]:
    """Every clause with its status and level, the rates, and violations by party.

    ``as_of`` shows the agreement as the data stood then (the rules are evaluated for that
    moment); without it the engine's live alerts give the current status.
    """
    now = as_of or timezone.now()
    tree = clause_tree(agreement=agreement)
    # The agreement's clauses as a subquery: a list of a thousand ids is slower to send.
    scope = Clause.objects.filter(agreement=agreement)
    ids = scope.values("pk")
    in_force = set(clauses_in_force(scope, now).values_list("pk", flat=True))
    if as_of is None:
        # A semi-join per clause on (clause, day), not a scan of the agreement's whole history.
        complied_on_record = (
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
    else:
        # The daily aggregates hold today's reports; as of a past date only what had been
        # filed (and not yet corrected) by then counts, as for the rules.
        complied_on_record = observations_at(as_of).filter(
            clause__agreement=agreement,
            kind=Observation.Kind.COMPLIANCE,
            occurred_at__lte=as_of,
        )
    complied = set(complied_on_record.values_list("clause_id", flat=True).distinct())
    # The live alerts, once: the table lists them, and without as_of they give the statuses.
    open_alerts: dict[int, list[tuple[int, str]]] = defaultdict(list)
    live_rules: dict[int, set[str]] = defaultdict(set)
    for clause_id, rule, severity, explanation in fetch_rows(
        Alert.objects.filter(agreement=agreement, state__in=Alert.LIVE_STATES)
        .order_by("clause_id", "-severity", "id")
        .values_list("clause_id", "rule", "severity", "explanation")
    ):
        open_alerts[clause_id].append((severity, explanation))
        live_rules[clause_id].add(rule)
    if as_of is None:
        rules = live_rules
    else:
        from monitor.services import rules_evaluate

        rules = defaultdict(set)
        for finding in rules_evaluate(as_of=as_of, agreement_codes=[agreement.code]).findings:
            rules[finding.clause_id].add(finding.rule)
    levels = levels_as_of(ids, now.date())
    rows = [
        ClauseRow(
            clause=clause,
            depth=depth,
            level=levels.get(clause.pk),
            in_force=clause.pk in in_force,
            rules=rules.get(clause.pk, set()),
            status=status_from_rules(
                rules.get(clause.pk, set()),
                in_force=clause.pk in in_force,
                complied=clause.pk in complied,
            ),
        )
        for depth, clause in tree
    ]
    assessed = [r.level for r in rows if r.in_force and r.level is not None]
    by_category: dict[str, dict[str, Any]] = {}
    for category, label in Clause.Category.choices:
        cat_rows = [r for r in rows if r.clause.category == category]
        if not cat_rows:
            continue
        cat_levels = [r.level for r in cat_rows if r.in_force and r.level is not None]
        by_category[category] = {
            "label": label,
            "clauses": len(cat_rows),
            "statuses": dict(Counter(r.status for r in cat_rows)),
            "implementation_rate": implementation_rate(cat_levels),
            "assessed": len(cat_levels),
        }
    start, end = period or ((now - dt.timedelta(days=84)).date(), now.date())
    end = min(end, now.date())
    figures = period_figures(agreement=agreement, start=start, end=end)
    return {
        "agreement": agreement,
        "as_of": now,
        "period": (start, end),
        "rows": rows,
        "open_alerts": open_alerts,
        "implementation_rate": implementation_rate(assessed),
        "assessed": len(assessed),
        "not_assessed": sum(1 for r in rows if r.in_force and r.level is None),
        "not_in_force": sum(1 for r in rows if not r.in_force),
        "statuses": dict(Counter(r.status for r in rows)),
        "by_category": by_category,
        "violations_by_party": figures["by_party"],
        "weeks": figures["weeks"],
        "heatmap": figures["heatmap"],
        "party_weeks": figures["party_weeks"],
        "party_categories": figures["party_categories"],
    }


class _WeekOfDate(Func):
    """The Monday of a date's week, as a date (PostgreSQL returns DATE_TRUNC's result as a
    timestamp, which costs a parse per row; as a date it does not)."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        return TruncWeek(*self.source_expressions, output_field=DateField()).as_sql(
            compiler, connection, **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(DATE_TRUNC('week', {sql})::date)", params


def _week_of(field: str) -> Func:
    return _WeekOfDate(F(field))


def _sum_by(rows: list[dict], *keys: str) -> list[dict]:
    totals: dict[tuple, int] = defaultdict(int)
    for row in rows:
        totals[tuple(row[k] for k in keys)] += row["n"] or 0
    return [{**dict(zip(keys, key, strict=True)), "n": n} for key, n in totals.items()]


def _weeks(start: dt.date, end: dt.date) -> list[dt.date]:
    first = start - dt.timedelta(days=start.weekday())
    return [first + dt.timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]


def _week(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def period_figures(
    *, agreement: Agreement, start: dt.date, end: dt.date, source: str = "aggregates"
) -> dict[str, Any]:
    """Weekly figures for the period from the daily pre-aggregates (or, to check them and to
    benchmark against, from the raw observations), in a fixed number of queries."""
    weeks = _weeks(start, end)
    index = {week: i for i, week in enumerate(weeks)}
    if source == "aggregates":
        days = ClauseDay.objects.filter(agreement=agreement, day__gte=start, day__lte=end)
        clause_weeks = (
            days.annotate(week=_week_of("day"))
            .values("clause_id", "week")
            .annotate(v=Sum("violations"), c=Sum("compliance"))
            .order_by()
        )
        # One pass over the party rows, by party, category and week; both views are summed
        # from it below.
        codes = dict(Party.objects.values_list("pk", "code"))
        party_rows = [
            {**row, "party__code": codes[row["party_id"]]}
            for row in PartyDay.objects.filter(agreement=agreement, day__gte=start, day__lte=end)
            .annotate(week=_week_of("day"))
            .values("party_id", "category", "week")
            .annotate(n=Sum("violations"))
            .order_by()
        ]
        party_weeks, party_categories = party_rows, _sum_by(party_rows, "party__code", "category")
    else:
        raw = Observation.objects.filter(
            report__status=ReportStatus.ACCEPTED,
            clause__agreement=agreement,
            occurred_at__date__gte=start,
            occurred_at__date__lte=end,
        )
        clause_weeks = (
            raw.annotate(week=TruncWeek("occurred_at"))
            .values("clause_id", "week")
            .annotate(
                v=Count("id", filter=Q(kind=Observation.Kind.VIOLATION)),
                c=Count("id", filter=Q(kind=Observation.Kind.COMPLIANCE)),
            )
            .order_by()
        )
        violations = raw.filter(kind=Observation.Kind.VIOLATION, party__isnull=False)
        party_weeks = (
            violations.annotate(week=TruncWeek("occurred_at"))
            .values("party__code", "week")
            .annotate(n=Count("id"))
            .order_by()
        )
        party_categories = (
            violations.values("party__code", category=F("clause__category"))
            .annotate(n=Count("id"))
            .order_by()
        )
    heatmap: dict[int, list[list[int]]] = {}
    for clause_id, week, v, c in fetch_rows(
        clause_weeks.values_list("clause_id", "week", "v", "c")
    ):
        cells = heatmap.setdefault(clause_id, [[0, 0] for _ in weeks])
        cells[index[_week(week)]] = [v or 0, c or 0]
    by_week: dict[str, list[int]] = {}
    for row in party_weeks:
        by_week.setdefault(row["party__code"], [0] * len(weeks))[index[_week(row["week"])]] += row[
            "n"
        ]
    by_category: dict[str, dict[str, int]] = {}
    for row in party_categories:
        by_category.setdefault(row["party__code"], {})[row["category"]] = row["n"]
    totals = sorted(((code, sum(v)) for code, v in by_week.items()), key=lambda t: -t[1])
    return {
        "weeks": weeks,
        "heatmap": heatmap,
        "party_weeks": by_week,
        "party_categories": by_category,
        "by_party": [{"party": code, "violations": n} for code, n in totals],
    }


def scorecard_as_json(card: dict[str, Any]) -> dict[str, Any]:
    """The scorecard as plain JSON for the API."""
    return {
        "agreement": card["agreement"].code,
        "as_of": card["as_of"].isoformat(),
        "period": {"from": card["period"][0].isoformat(), "to": card["period"][1].isoformat()},
        "implementation_rate": card["implementation_rate"],
        "assessed_clauses": card["assessed"],
        "not_assessed_clauses": card["not_assessed"],
        "not_in_force_clauses": card["not_in_force"],
        "statuses": card["statuses"],
        "by_category": card["by_category"],
        "violations_by_party": card["violations_by_party"],
        "weeks": [w.isoformat() for w in card["weeks"]],
        "violations_by_party_and_week": card["party_weeks"],
        "violations_by_party_and_category": card["party_categories"],
        "clauses": [
            {
                "id": r.clause.pk,
                "reference": r.clause.reference,
                "title": r.clause.title,
                "category": r.clause.category,
                "depth": r.depth,
                "status": r.status,
                "status_label": r.status_label,
                "implementation_level": r.level,
                "deadline": r.clause.deadline.isoformat() if r.clause.deadline else None,
                "weekly_violations_compliance": card["heatmap"].get(r.clause.pk),
            }
            for r in card["rows"]
        ],
    }


def party_scorecard(
    *,
    party: Party,
    as_of: dt.datetime | None = None,
    agreements: QuerySet[Agreement] | None = None,
) -> dict[str, Any]:
    """A party's obligations across agreements and the violations attributed to it;
    ``agreements`` limits every figure to those (what the viewer may see)."""
    now = as_of or timezone.now()
    clauses = Clause.objects.filter(obliged_parties=party)
    roles = party.agreementparty_set.all()
    if agreements is not None:
        clauses = clauses.filter(agreement__in=agreements)
        roles = roles.filter(agreement__in=agreements)
    # A party may be bound by thousands of clauses: their long texts and timestamps stay unread.
    obligations = list(
        clauses.select_related("agreement")
        .defer(*PARTY_CARD_DEFERRED)
        .order_by("agreement__code", "position")
    )
    rules: dict[int, set[str]] = defaultdict(set)
    if as_of is None:
        for clause_id, rule in fetch_rows(
            Alert.objects.filter(clause__in=clauses.values("pk"), state__in=Alert.LIVE_STATES)
            .order_by()
            .values_list("clause_id", "rule")
        ):
            rules[clause_id].add(rule)
    in_force = set(clauses_in_force(clauses, now).values_list("pk", flat=True))
    counts = party_violations(party=party, as_of=as_of, agreements=agreements)
    total = sum(counts.values())
    by_agreement: Counter = Counter()
    by_category: Counter = Counter()
    for (code, category), n in counts.items():
        by_agreement[code] += n
        by_category[category] += n
    return {
        "party": party,
        "as_of": now,
        "obligations": [
            {
                "clause": c,
                "status": status_from_rules(
                    rules.get(c.pk, set()), in_force=c.pk in in_force, complied=False
                ),
            }
            for c in obligations
        ],
        "violations": total,
        "violations_by_agreement": [
            {"agreement": code, "violations": n} for code, n in _by_count(by_agreement)
        ],
        "violations_by_category": [
            {"category": category, "violations": n} for category, n in _by_count(by_category)
        ],
        "roles": list(roles.values("agreement__code", "role")),
        "summary": f"{party.name}: {len(obligations)} obligation(s), "
        f"{total} violation(s) attributed as of {long_date(now)}",
    }


PARTY_CARD_DEFERRED = [
    "text",
    "geometry",
    "deadline_text",
    "created_at",
    "updated_at",
    "agreement__summary",
    "agreement__source_note",
    "agreement__created_at",
    "agreement__updated_at",
]


def _by_count(counter: Counter) -> list[tuple[Any, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], str(item[0] or "")))


def party_violations(
    *, party: Party, as_of: dt.datetime | None, agreements: QuerySet[Agreement] | None
) -> dict[tuple[str | None, str | None], int]:
    """Violations attributed to the party, by (agreement code, clause category), in one
    grouped query.

    Now: from the daily pre-aggregates the rules task keeps current after every ingest (a
    covering index on party: tens of milliseconds at a million observations, where the raw
    rows of one party are scattered over the whole table). As of a past date: from the
    observations as they stood then.
    """
    if as_of is None:
        days = PartyDay.objects.filter(party=party)
        if agreements is not None:
            days = days.filter(agreement__in=agreements)
        rows = fetch_rows(
            days.values("agreement_id", "category")
            .annotate(n=Sum("violations"))
            .order_by()
            .values_list("agreement_id", "category", "n")
        )
        codes = dict(
            Agreement.objects.filter(pk__in={r[0] for r in rows}).values_list("pk", "code")
        )
        return {(codes[agreement_id], category): n for agreement_id, category, n in rows}
    violations = observations_at(as_of).filter(party=party, kind=Observation.Kind.VIOLATION)
    if agreements is not None:
        violations = violations.filter(clause__agreement__in=agreements)
    return {
        (code, category): n
        for code, category, n in violations.values("clause__agreement__code", "clause__category")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("clause__agreement__code", "clause__category", "n")
    }


def agreements_overview(*, as_of: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every agreement: status, implementation rate, open alerts by severity, violations in
    the last 30 days (with a weekly trend for the sparkline)."""
    from monitor.models import Alert

    now = as_of or timezone.now()
    agreements = list(Agreement.objects.order_by("-signed_on", "title"))
    alerts = defaultdict(Counter)
    for agreement_id, severity, n in (
        Alert.objects.filter(state__in=Alert.LIVE_STATES)
        .values_list("agreement_id", "severity")
        .annotate(n=Count("id"))
        .order_by()
    ):
        alerts[agreement_id][severity] = n
    # From the daily pre-aggregates: one row per agreement and day, not a million rows.
    today = now.date()
    weeks = 12
    start = today - dt.timedelta(weeks=weeks)
    recent: dict[int, int] = defaultdict(int)
    trend = defaultdict(lambda: [0] * weeks)
    for agreement_id, day, n in (
        ClauseDay.objects.filter(day__gt=start, day__lte=today, violations__gt=0)
        .values("agreement_id", "day")
        .annotate(n=Sum("violations"))
        .values_list("agreement_id", "day", "n")
    ):
        trend[agreement_id][min(weeks - 1, (day - start).days // 7)] += n
        if day > today - dt.timedelta(days=30):
            recent[agreement_id] += n
    levels = defaultdict(list)
    in_force_ids = set(clauses_in_force(Clause.objects.all(), now).values_list("pk", flat=True))
    for clause_id, agreement_id, level in levels_rows(now.date()):
        if clause_id in in_force_ids:
            levels[agreement_id].append(level)
    return [
        {
            "agreement": a,
            "implementation_rate": implementation_rate(levels[a.pk]),
            "alerts": {s: alerts[a.pk].get(s, 0) for s in (4, 3, 2, 1)},
            "open_alerts": sum(alerts[a.pk].values()),
            "violations_30d": recent.get(a.pk, 0),
            "trend": trend[a.pk],
        }
        for a in agreements
    ]


def levels_rows(day: dt.date):
    return (
        clauses_with_latest_level(as_of=day)
        .filter(latest_level__isnull=False)
        .values_list("pk", "agreement_id", "latest_level")
    )
