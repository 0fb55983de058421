"""An agreement's weekly figures grouped from the raw observations, to check the daily
pre-aggregates against (tests/monitor/test_aggregates.py) and to time the difference
(bench/scorecards.py)."""

import datetime as dt

from django.db.models import Count, F, Q
from django.db.models.functions import TruncWeek

from agreements.models import Agreement
from monitor.scorecards.cards import PeriodFigures
from monitor.scorecards.figures import period_figures_from_rows, weeks_of
from reports.models import Observation, ReportStatus


def period_figures_from_observations(
    *, agreement: Agreement, start: dt.date, end: dt.date
) -> PeriodFigures:
    """What ``monitor.scorecards.agreement.period_figures`` gives, from the observations of
    accepted reports (counted on their calendar day, ``occurred_on``; rows flagged outside their
    clause's period or areas left out) instead of ``ClauseDay`` and ``PartyDay``."""
    raw = Observation.objects.filter(
        report__status=ReportStatus.ACCEPTED,
        clause__agreement=agreement,
        occurred_on__gte=start,
        occurred_on__lte=end,
        outside_period=False,
        outside_area=False,
    )
    clause_weeks = (
        raw.annotate(week=TruncWeek("occurred_on"))
        .values("clause_id", "week")
        .annotate(
            v=Count("id", filter=Q(kind=Observation.Kind.VIOLATION)),
            c=Count("id", filter=Q(kind=Observation.Kind.COMPLIANCE)),
        )
        .order_by()
        .values_list("clause_id", "week", "v", "c")
    )
    party_rows = (
        raw.filter(kind=Observation.Kind.VIOLATION, party__isnull=False)
        .annotate(week=TruncWeek("occurred_on"))
        .values("party__code", "week", category=F("clause__category"))
        .annotate(n=Count("id"))
        .order_by()
        .values_list("party__code", "category", "week", "n")
    )
    return period_figures_from_rows(
        weeks=weeks_of(start, end), clause_weeks=list(clause_weeks), party_rows=list(party_rows)
    )
