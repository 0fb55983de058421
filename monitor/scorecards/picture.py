"""What a scorecard shows, on two clocks (docs/scorecards.md): the figures of a period, the
statuses as of a moment (``as_of``), counting what had been filed by ``known_at``.

Defaults (issue 14): an agreement whose active life is over opens on that whole life, one
still in force on the last twelve weeks; statuses are as of the end of the shown period;
``known_at`` is now, so archival reports filed today show up in the past they describe.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.db.models import Max
from django.utils import timezone

from agreements.models import Agreement
from core.days import end_of_day as day_ends
from core.days import zone_or_utc
from core.params import (
    DateWindow,
    ParameterError,
    Params,
    clocks_from_params,
    date_param,
    window_ending,
)
from monitor.models import ClauseDay
from monitor.rules.base import long_date

# How the period was chosen: the agreement's whole (ended) life, the twelve weeks to today,
# the twelve weeks to a given as_of, or by the reader.
PeriodKind = Literal["active_life", "recent", "before_as_of", "chosen"]


@dataclass(frozen=True)
class ActivePeriod:
    """An agreement's active life, both days included; ``end`` is None while it has none
    (it still binds, or is suspended without an end)."""

    start: dt.date
    end: dt.date | None
    # The agreement's zone: its days (and so an as_of given as a day) end there.
    zone: dt.tzinfo = dt.UTC

    def ended_by(self, day: dt.date) -> bool:
        """Whether its life was over before ``day``."""
        return self.end is not None and self.end < day

    def so_far(self, day: dt.date) -> DateWindow:
        """Its life up to ``day`` at the latest."""
        end = day if self.end is None else min(self.end, day)
        return DateWindow(start=self.start, end=max(self.start, end))


def agreement_active_period(
    agreement: Agreement, *, last_recorded: dt.date | None = None
) -> ActivePeriod | None:
    """From entry into force (``in_force_on``, else ``signed_on``) to ``expires_on``; None for
    a draft or an agreement with neither date (never in force).

    A terminated agreement without ``expires_on`` ends on ``last_recorded``, the last day with
    an observation on its clauses, or on its first day when there is none: the text gives no
    end, so the last thing that tells of it marks it.
    """
    start = agreement.in_force_on or agreement.signed_on
    if start is None or agreement.status == Agreement.Status.DRAFT:
        return None
    end = agreement.expires_on
    if end is None and agreement.status == Agreement.Status.TERMINATED:
        end = last_recorded or start
    return ActivePeriod(
        start=start,
        end=None if end is None else max(start, end),
        zone=zone_or_utc(agreement.time_zone),
    )


def _needs_last_recorded(agreement: Agreement) -> bool:
    return agreement.status == Agreement.Status.TERMINATED and agreement.expires_on is None


def agreements_active_periods(agreements: list[Agreement]) -> dict[int, ActivePeriod | None]:
    """``agreement_active_period`` of each, by id: one grouped query at most, for the
    terminated agreements without an expiry date."""
    open_ended = [a.pk for a in agreements if _needs_last_recorded(a)]
    last: dict[int, dt.date] = {}
    if open_ended:
        last = dict(
            ClauseDay.objects.filter(agreement_id__in=open_ended)
            .values("agreement_id")
            .annotate(last=Max("day"))
            .order_by()
            .values_list("agreement_id", "last")
        )
    return {a.pk: agreement_active_period(a, last_recorded=last.get(a.pk)) for a in agreements}


def end_of_day(day: dt.date, zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    """The last second of ``day`` in ``zone`` (UTC: as ``as_of=YYYY-MM-DD`` reads)."""
    return day_ends(day, zone) - dt.timedelta(seconds=1)


@dataclass(frozen=True)
class Picture:
    """A scorecard's two clocks and period.

    ``live``: the picture is the present (statuses from the engine's live alerts, figures from
    the daily aggregates); otherwise statuses come from evaluating the rules at ``as_of`` with
    what had been filed by ``known_at``.
    """

    period: DateWindow
    as_of: dt.datetime
    known_at: dt.datetime
    kind: PeriodKind
    life: ActivePeriod | None
    as_of_given: bool = False
    known_at_given: bool = False

    @property
    def live(self) -> bool:
        return not self.as_of_given and not self.known_at_given and self.as_of >= self.known_at

    @property
    def knows_everything(self) -> bool:
        """Whether every filing so far counts (the daily aggregates hold exactly that)."""
        return not self.known_at_given

    @property
    def summary(self) -> str:
        """One line saying what the page shows, e.g. "Active life 15 February 2015 – 21
        February 2022 · statuses as of 21 February 2022 · data known by 29 November 2026"."""
        start, end = long_date(self.period.start), long_date(self.period.end)
        what = {
            "active_life": f"Active life {start} – {end}",
            "recent": f"Last 12 weeks, {start} – {end}",
            "before_as_of": f"Up to the date asked (12 weeks at most), {start} – {end}",
            "chosen": f"Period {start} – {end}",
        }[self.kind]
        when = "now" if self.live else long_date(self.as_of)
        return f"{what} · statuses as of {when} · data known by {long_date(self.known_at)}"


def picture_for(
    *,
    life: ActivePeriod | None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    as_of: dt.datetime | None = None,
    known_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Picture:
    """The picture asked for, every missing part by its default: the period is the whole life
    of an agreement that has ended, else the twelve weeks to ``as_of`` (or today); statuses
    are as of the end of the period; ``known_at`` is now. The period never runs past
    ``as_of`` or today."""
    now = now or timezone.now()
    today = now.date()
    until = as_of.date() if as_of else today
    kind: PeriodKind
    if start is None and end is None:
        if as_of is not None:
            period, kind = window_ending(until), "before_as_of"
            if life is not None and life.start <= until:
                # Never weeks before the agreement took effect: nothing there to read.
                period = DateWindow(start=max(period.start, life.start), end=period.end)
        elif life is not None and life.ended_by(today):
            period, kind = life.so_far(today), "active_life"
        else:
            period, kind = window_ending(today), "recent"
    else:
        end_given = end is not None
        if end is None:
            # From a given day: to the as_of day, the end of an ended life, or today.
            ended = as_of is None and life is not None and life.ended_by(today)
            end = life.so_far(today).end if ended and life is not None else until
        period, kind = DateWindow(start=start or window_ending(end).start, end=end), "chosen"
        if period.end < period.start and end_given:
            raise ParameterError(
                "to",
                f"a day on or after the start of the period ({period.start})",
                str(period.end),
            )
        if period.end < period.start:
            raise ParameterError(
                "from", f"a day on or before the end of the period ({period.end})", str(start)
            )
    last = min(period.end, until)
    if last < period.start:
        if as_of is not None:
            raise ParameterError(
                "as_of", f"a day on or after the start of the period ({period.start})", str(until)
            )
        raise ParameterError("from", f"a day up to today ({today})", str(period.start))
    period = DateWindow(start=period.start, end=last)
    return Picture(
        period=period,
        as_of=as_of or min(end_of_day(period.end, life.zone if life else dt.UTC), now),
        known_at=known_at or now,
        kind=kind,
        life=life,
        as_of_given=as_of is not None,
        known_at_given=known_at is not None,
    )


def picture_from_params(
    params: Params, *, life: ActivePeriod | None, now: dt.datetime | None = None
) -> Picture:
    """The picture a page or API request asks for: ``from``, ``to``, ``as_of``, ``known_at``.
    A day given as ``as_of`` ends where the agreement's days end (its zone)."""
    as_of, known_at = clocks_from_params(params)
    if as_of is not None and life is not None:
        as_of = end_of_day(as_of.date(), life.zone)
    return picture_for(
        life=life,
        start=date_param(params, "from"),
        end=date_param(params, "to"),
        as_of=as_of,
        known_at=known_at,
        now=now,
    )


def period_from_params(params: Params, *, as_of: dt.datetime | None) -> DateWindow | None:
    """One period for every agreement (a party's card): ``from``/``to`` when either is given,
    the other 12 weeks before or the as_of day (or today); None: each agreement's own."""
    start, end = date_param(params, "from"), date_param(params, "to")
    if start is None and end is None:
        return None
    end = end or (as_of or timezone.now()).date()
    window = DateWindow(start=start or window_ending(end).start, end=end)
    if window.end < window.start:
        raise ParameterError(
            "to", f"a day on or after the start of the period ({window.start})", str(window.end)
        )
    return window
