"""Every agreement at a glance: the overview page and ``GET /api/v1/scorecards/``."""

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Count, Sum
from django.utils import timezone

from agreements.models import Agreement, Clause
from agreements.selectors import clauses_in_force
from monitor.models import Alert, ClauseDay
from monitor.scorecards.cards import OverviewRow
from monitor.scorecards.levels import clause_levels_on, implementation_rate

TREND_WEEKS = 12
SEVERITIES = (4, 3, 2, 1)  # critical first, as the page's column reads


def agreements_overview(*, as_of: dt.datetime | None = None) -> list[OverviewRow]:
    """Every agreement: status, implementation rate, open alerts by severity, violations in
    the last 30 days (with a weekly trend for the sparkline)."""
    now = as_of or timezone.now()
    agreements = list(Agreement.objects.order_by("-signed_on", "title"))
    alerts: dict[int, Counter[int]] = defaultdict(Counter)
    for agreement_id, severity, n in (
        Alert.objects.filter(state__in=Alert.LIVE_STATES)
        .values_list("agreement_id", "severity")
        .annotate(n=Count("id"))
        .order_by()
    ):
        alerts[agreement_id][severity] = n
    # From the daily pre-aggregates: one row per agreement and day, not a million rows.
    today = now.date()
    start = today - dt.timedelta(weeks=TREND_WEEKS)
    recent: dict[int, int] = defaultdict(int)
    trend: dict[int, list[int]] = defaultdict(lambda: [0] * TREND_WEEKS)
    for agreement_id, day, n in (
        ClauseDay.objects.filter(day__gt=start, day__lte=today, violations__gt=0)
        .values("agreement_id", "day")
        .annotate(n=Sum("violations"))
        .values_list("agreement_id", "day", "n")
    ):
        trend[agreement_id][min(TREND_WEEKS - 1, (day - start).days // 7)] += n
        if day > today - dt.timedelta(days=30):
            recent[agreement_id] += n
    levels: dict[int, list[int]] = defaultdict(list)
    in_force_ids = set(clauses_in_force(Clause.objects.all(), now).values_list("pk", flat=True))
    for clause_id, agreement_id, level in clause_levels_on(today):
        if clause_id in in_force_ids:
            levels[agreement_id].append(level)
    return [
        OverviewRow(
            agreement=a,
            implementation_rate=implementation_rate(levels[a.pk]),
            open_alerts_by_severity={s: alerts[a.pk].get(s, 0) for s in SEVERITIES},
            open_alerts=sum(alerts[a.pk].values()),
            violations_30d=recent.get(a.pk, 0),
            trend=tuple(trend[a.pk]),
        )
        for a in agreements
    ]
