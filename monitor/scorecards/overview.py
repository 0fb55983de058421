"""Every agreement at a glance, each over its own active period: the overview page and
``GET /api/v1/scorecards/``.

An agreement in force: violations in the last 30 days, a weekly trend over the last twelve
weeks, its rate now. One whose life is over (or that is suspended): violations over its active
life with a trend in bounded calendar buckets, its rate as of the end of that life. One never
in force: no figures. A fixed number of queries, whatever the number of agreements.
"""

import datetime as dt
from collections import Counter, defaultdict
from functools import reduce
from operator import or_

from django.db.models import Count, Q, Sum
from django.utils import timezone

from agreements.models import Agreement, Clause, ImplementationAssessment
from agreements.selectors import agreement_in_force_q
from core.params import DateWindow
from monitor.models import ClauseDay
from monitor.scorecards.buckets import Buckets, buckets_over
from monitor.scorecards.cards import OverviewRow
from monitor.scorecards.figures import observed_day
from monitor.scorecards.levels import Assessment, implementation_rate, level_on
from monitor.scorecards.picture import ActivePeriod, agreements_active_periods, end_of_day
from monitor.selectors import alerts_live
from reports.models import Observation
from reports.selectors import observations_counted

TREND_WEEKS = 12
RECENT_DAYS = 30
TREND_MOST = 52  # buckets in a sparkline over a whole life
SEVERITIES = (4, 3, 2, 1)  # critical first, as the page's column reads


def _shown(
    life: ActivePeriod | None, *, in_force: bool, now: dt.datetime
) -> tuple[str, DateWindow | None, Buckets | None, dt.datetime]:
    """(kind, period of the figures, trend buckets, moment of the rate) of one agreement."""
    today = now.date()
    if in_force:
        trend_start = today - dt.timedelta(weeks=TREND_WEEKS)
        weeks = tuple(trend_start + dt.timedelta(days=1 + 7 * i) for i in range(TREND_WEEKS))
        recent = DateWindow(start=today - dt.timedelta(days=RECENT_DAYS - 1), end=today)
        return "last_30_days", recent, Buckets(unit="week", starts=weeks), now
    if life is None or life.start > today:
        return ("never_in_force" if life is None else "not_yet_in_force"), None, None, now
    window = life.so_far(today)
    moment = min(end_of_day(window.end), now)
    return "active_life", window, buckets_over(window.start, window.end, most=TREND_MOST), moment


def agreements_overview(
    *, as_of: dt.datetime | None = None, known_at: dt.datetime | None = None
) -> list[OverviewRow]:
    """Every agreement, each over its own active period (see the module) as it stood at
    ``as_of`` (default now) with what had been filed by ``known_at`` (default: everything so
    far), with its rate as of the end of that period and its live alerts by severity."""
    now = as_of or timezone.now()
    today = now.date()
    agreements = list(Agreement.objects.order_by("-signed_on", "title"))
    lives = agreements_active_periods(agreements)
    binding = set(
        Agreement.objects.filter(agreement_in_force_q(today)).values_list("pk", flat=True)
    )
    shown = {a.pk: _shown(lives[a.pk], in_force=a.pk in binding, now=now) for a in agreements}
    alerts: dict[int, Counter[int]] = defaultdict(Counter)
    for agreement_id, severity, n in (
        alerts_live().values_list("agreement_id", "severity").annotate(n=Count("id")).order_by()
    ):
        alerts[agreement_id][severity] = n
    violations, trend = _violations(shown, known_at=known_at)
    rates, assessments = _rates(shown, known_at=known_at)
    rows = []
    for a in agreements:
        kind, window, buckets, moment = shown[a.pk]
        levels = rates.get(a.pk, [])
        rows.append(
            OverviewRow(
                agreement=a,
                kind=kind,
                life=lives[a.pk],
                period=window,
                as_of=moment,
                implementation_rate=implementation_rate(levels),
                assessed=len(levels),
                assessments=assessments.get(a.pk, 0),
                open_alerts_by_severity={s: alerts[a.pk].get(s, 0) for s in SEVERITIES},
                open_alerts=sum(alerts[a.pk].values()),
                violations=None if window is None else violations.get(a.pk, 0),
                buckets=buckets,
                trend=tuple(trend.get(a.pk, [0] * len(buckets.starts))) if buckets else (),
            )
        )
    return rows


def _violations(
    shown: dict[int, tuple[str, DateWindow | None, Buckets | None, dt.datetime]],
    *,
    known_at: dt.datetime | None,
) -> tuple[dict[int, int], dict[int, list[int]]]:
    """Violations in each agreement's period and per trend bucket in one grouped query
    (agreements sharing a window share its condition): from the daily pre-aggregates, or
    with an earlier ``known_at`` from the observations as known then."""
    spans: dict[tuple[dt.date, dt.date], list[int]] = defaultdict(list)
    for pk, (_, window, buckets, _) in shown.items():
        if window is not None and buckets is not None:
            # The trend may reach further back than the figure (12 weeks against 30 days).
            spans[(min(window.start, buckets.starts[0]), window.end)].append(pk)
    totals: dict[int, int] = defaultdict(int)
    trend: dict[int, list[int]] = {}
    if not spans:
        return totals, trend
    agreement = "agreement_id" if known_at is None else "clause__agreement_id"
    condition = reduce(
        or_,
        (Q(**{f"{agreement}__in": ids}, day__gte=s, day__lte=e) for (s, e), ids in spans.items()),
    )
    rows: list[tuple[int, dt.date, int]]
    if known_at is None:
        rows = list(
            ClauseDay.objects.filter(condition, violations__gt=0)
            .values(agreement, "day")
            .annotate(n=Sum("violations"))
            .order_by()
            .values_list(agreement, "day", "n")
        )
    else:
        rows = list(
            observations_counted(known_at)
            .filter(kind=Observation.Kind.VIOLATION)
            .annotate(day=observed_day())
            .filter(condition)
            .values(agreement, "day")
            .annotate(n=Count("id"))
            .order_by()
            .values_list(agreement, "day", "n")
        )
    for agreement_id, day, n in rows:
        _, window, buckets, _ = shown[agreement_id]
        assert window is not None and buckets is not None  # only those were asked for
        if window.start <= day <= window.end:
            totals[agreement_id] += n
        if day >= buckets.starts[0]:
            cells = trend.setdefault(agreement_id, [0] * len(buckets.starts))
            cells[buckets.index(day)] += n
    return totals, trend


def _rates(
    shown: dict[int, tuple[str, DateWindow | None, Buckets | None, dt.datetime]],
    *,
    known_at: dt.datetime | None,
) -> tuple[dict[int, list[int]], Counter[int]]:
    """By agreement: the levels of its assessed clauses in force at the moment of its rate,
    each as of that day, in two queries (the in-force rule is the engine's); and how many
    assessments its clauses have at all."""
    by_clause: dict[int, list[Assessment]] = defaultdict(list)
    agreement_of: dict[int, int] = {}
    assessments: Counter[int] = Counter()
    for clause_id, agreement_id, on, created, level in ImplementationAssessment.objects.values_list(
        "clause_id", "clause__agreement_id", "assessed_on", "created_at", "level"
    ).order_by():
        by_clause[clause_id].append((on, created, level))
        agreement_of[clause_id] = agreement_id
        assessments[agreement_id] += 1
    if not by_clause:
        return {}, assessments
    on_day: dict[dt.date, list[int]] = defaultdict(list)
    for pk, (*_, moment) in shown.items():
        on_day[moment.date()].append(pk)
    condition = reduce(
        or_,
        (
            Q(agreement_id__in=ids)
            & agreement_in_force_q(day, "agreement__")
            & (Q(in_force_from__isnull=True) | Q(in_force_from__lte=day))
            for day, ids in on_day.items()
        ),
    )
    in_force = Clause.objects.filter(
        condition, pk__in=ImplementationAssessment.objects.values("clause_id")
    ).values_list("pk", flat=True)
    levels: dict[int, list[int]] = defaultdict(list)
    for clause_id in in_force:
        agreement_id = agreement_of[clause_id]
        moment = shown[agreement_id][3]
        latest = level_on(by_clause[clause_id], day=moment.date(), known_at=known_at)
        if latest is not None:
            levels[agreement_id].append(latest)
    return levels, assessments
