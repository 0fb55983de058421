"""A clause's figures over a period: observations counted by kind, violations by party
(with those attributed to none), and weekly violations and compliance; from the daily
pre-aggregates, or with an earlier ``known_at`` from the observations as known then."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from agreements.models import Clause, Party
from core.db import fetch_rows
from core.params import DateWindow
from monitor.models import ClauseDay, PartyDay
from monitor.scorecards.figures import observed_day, weeks_of
from reports.models import Observation
from reports.selectors import observations_counted, observations_known

KINDS = {
    "violation": "violations",
    "compliance": "compliance",
    "incident": "incidents",
    "access_restricted": "access_restricted",
    "information": "information",
}


@dataclass(frozen=True)
class ClauseFigures:
    """What was counted on a clause in a period (flagged observations apart)."""

    period: DateWindow
    by_kind: dict[str, int]  # by Observation.Kind value, every kind present
    outside: int  # flagged outside the clause's period or area: not counted
    by_party: tuple[tuple[Party, int], ...]  # most first
    weeks: tuple[dt.date, ...]  # the Monday of each week
    violation_weeks: tuple[int, ...]
    compliance_weeks: tuple[int, ...]

    @property
    def violations(self) -> int:
        return self.by_kind["violation"]

    @property
    def unattributed(self) -> int:
        """Violations attributed to no party (an observation names one party at most)."""
        return self.violations - sum(n for _, n in self.by_party)


def clause_figures(
    *, clause: Clause, period: DateWindow, known_at: dt.datetime | None = None
) -> ClauseFigures:
    """The clause's figures in ``period``, as known at ``known_at`` (default: every filing so
    far, from the aggregates), in three grouped queries."""
    weeks = weeks_of(period.start, period.end)
    totals = dict.fromkeys(KINDS, 0)
    violation_weeks, compliance_weeks = [0] * len(weeks), [0] * len(weeks)
    outside = 0
    if known_at is None:
        days = ClauseDay.objects.filter(
            clause=clause, day__gte=period.start, day__lte=period.end
        ).values_list("day", *KINDS.values(), "outside")
        rows = [(day, dict(zip(KINDS, counts, strict=True)), out) for day, *counts, out in days]
        parties = fetch_rows(
            PartyDay.objects.filter(clause=clause, day__gte=period.start, day__lte=period.end)
            .values("party_id")
            .annotate(n=Sum("violations"))
            .order_by()
            .values_list("party_id", "n")
        )
    else:
        known = (
            observations_known(known_at)
            .filter(clause=clause)
            .annotate(day=observed_day())
            .filter(day__gte=period.start, day__lte=period.end)
        )
        flagged = Q(outside_period=True) | Q(outside_area=True)
        per_day = (
            known.values("day")
            .annotate(
                **{k: Count("id", filter=Q(kind=k) & ~flagged) for k in KINDS},
                out=Count("id", filter=flagged),
            )
            .order_by()
        )
        rows = [(d["day"], {k: d[k] for k in KINDS}, d["out"]) for d in per_day]
        parties = fetch_rows(
            observations_counted(known_at)
            .filter(clause=clause, kind=Observation.Kind.VIOLATION, party__isnull=False)
            .annotate(day=observed_day())
            .filter(day__gte=period.start, day__lte=period.end)
            .values("party_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("party_id", "n")
        )
    for day, counts, out in rows:
        at = (day - weeks[0]).days // 7
        violation_weeks[at] += counts["violation"]
        compliance_weeks[at] += counts["compliance"]
        outside += out
        for kind, n in counts.items():
            totals[kind] += n
    named = Party.objects.in_bulk([pk for pk, _ in parties])
    by_party = sorted(
        ((named[pk], n or 0) for pk, n in parties if n), key=lambda p: (-p[1], p[0].name)
    )
    return ClauseFigures(
        period=period,
        by_kind=totals,
        outside=outside,
        by_party=tuple(by_party),
        weeks=weeks,
        violation_weeks=tuple(violation_weeks),
        compliance_weeks=tuple(compliance_weeks),
    )
