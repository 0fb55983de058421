"""An agreement's implementation rate over time, from the assessment history: at the end of
each month of a period (each year when the period is longer than ten years), the Peace Accords
Matrix rate of the clauses in force that day, each at its latest level by then."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from agreements.models import Agreement, Clause, ImplementationAssessment
from agreements.selectors import BINDING_STATUSES
from core.params import DateWindow
from monitor.scorecards.levels import Assessment, implementation_rate, level_on

MONTHS_MOST = 120  # beyond ten years, one point a year


@dataclass(frozen=True)
class RatePoint:
    """The rate as of ``day`` (the last day of a month or year, or of the period)."""

    day: dt.date
    unit: str  # "month" or "year"
    rate: float | None  # None: no clause in force then had a level (N/A)
    assessed: int

    @property
    def axis_label(self) -> str:
        return f"{self.day:%b %Y}" if self.unit == "month" else str(self.day.year)

    @property
    def label(self) -> str:
        what = f"{self.day:%B %Y}" if self.unit == "month" else str(self.day.year)
        return f"{what} (as of {self.day.day} {self.day:%B %Y})"


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def period_ends(period: DateWindow) -> tuple[str, list[dt.date]]:
    """(unit, the last day of each month of ``period``, or of each year when there are more
    than ``MONTHS_MOST`` months), the period's own last day last."""
    months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month
    unit = "month" if months < MONTHS_MOST else "year"
    ends, first = [], period.start.replace(day=1)
    while first <= period.end:
        following = _next_month(first) if unit == "month" else dt.date(first.year + 1, 1, 1)
        ends.append(min(following - dt.timedelta(days=1), period.end))
        first = following
    return unit, ends


def agreement_binds_on(agreement: Agreement, day: dt.date) -> bool:
    """``agreements.selectors.agreement_in_force_q`` for one agreement and day, in Python."""
    start = agreement.in_force_on or agreement.signed_on
    if agreement.status not in BINDING_STATUSES or start is None or start > day:
        return False
    if agreement.expires_on is None:
        return agreement.status != Agreement.Status.TERMINATED
    return day <= agreement.expires_on


def rate_history(
    *,
    agreement: Agreement,
    clauses: Iterable[Clause],
    period: DateWindow,
    known_at: dt.datetime | None = None,
) -> list[RatePoint]:
    """The rate at each month's (or year's) end of ``period`` with the assessments recorded
    by ``known_at`` (default: all): one query, whatever the number of clauses and points."""
    by_clause: dict[int, list[Assessment]] = defaultdict(list)
    for clause_id, on, created, level in ImplementationAssessment.objects.filter(
        clause__agreement=agreement, assessed_on__lte=period.end
    ).values_list("clause_id", "assessed_on", "created_at", "level"):
        by_clause[clause_id].append((on, created, level))
    starts = {c.pk: c.in_force_from for c in clauses if c.pk in by_clause}
    unit, ends = period_ends(period)
    points = []
    for day in ends:
        levels: list[int] = []
        if agreement_binds_on(agreement, day):
            for pk, start in starts.items():
                latest = (
                    level_on(by_clause[pk], day=day, known_at=known_at)
                    if start is None or start <= day
                    else None
                )
                if latest is not None:
                    levels.append(latest)
        points.append(
            RatePoint(day=day, unit=unit, rate=implementation_rate(levels), assessed=len(levels))
        )
    return points
