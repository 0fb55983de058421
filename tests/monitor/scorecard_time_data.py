"""A Minsk II-like agreement for the scorecards' two clocks (issue 14): in force from
15 February 2015, violations on its point 1 from February to June 2015, all filed "today"
(archival reports), as the issue's new user found it."""

import datetime as dt

from agreements.models import Agreement, Clause
from monitor.aggregates import aggregates_refresh
from reports.models import ReportStatus
from tests.factories import (
    AgreementFactory,
    ClauseFactory,
    MechanismFactory,
    MissionFactory,
    ObservationFactory,
    PartyFactory,
    ReportFactory,
)

NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
IN_FORCE = dt.date(2015, 2, 15)
FIRST_VIOLATION = dt.date(2015, 2, 16)
LAST_VIOLATION = dt.date(2015, 6, 12)
VIOLATION_EVERY = dt.timedelta(days=4)


def violation_days() -> list[dt.date]:
    days, day = [], FIRST_VIOLATION
    while day <= LAST_VIOLATION:
        days.append(day)
        day += VIOLATION_EVERY
    return days


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)


def minsk_like(
    *,
    code: str = "minsk-like",
    expires_on: dt.date | None = dt.date(2022, 2, 21),
    filed_at: dt.datetime = NOW,
) -> tuple[Agreement, Clause, Clause]:
    """The agreement, its point 1 (violated in 2015) and point 2 (never observed), with a
    mission watching both whose one report about Feb-Jun 2015 was filed at ``filed_at``."""
    agreement = AgreementFactory(
        code=code,
        title=f"Package of measures ({code})",
        status=Agreement.Status.TERMINATED,
        signed_on=dt.date(2015, 2, 12),
        in_force_on=IN_FORCE,
        expires_on=expires_on,
    )
    point_1 = ClauseFactory(
        agreement=agreement, reference="1", title="Comprehensive ceasefire", in_force_from=None
    )
    point_2 = ClauseFactory(
        agreement=agreement,
        reference="2",
        title="Withdrawal of heavy weapons",
        category=Clause.Category.WEAPONS_WITHDRAWAL,
        in_force_from=None,
    )
    mechanism = MechanismFactory(
        agreement=agreement, code=f"{code}-smm", name="Special monitoring", active_from=IN_FORCE
    )
    mechanism.clauses.set([point_1, point_2])
    mission = MissionFactory(code=f"{code}-team", name="Monitoring team")
    mission.mechanisms.set([mechanism])
    party = PartyFactory(code=f"{code}-east", name="Eastern formations")
    point_1.obliged_parties.add(party)
    file_violations(mission, point_1, violation_days(), filed_at=filed_at, party=party)
    return agreement, point_1, point_2


def file_violations(mission, clause, days, *, filed_at: dt.datetime, **observation):
    """One accepted report, filed at ``filed_at``, with a violation on each of ``days``."""
    report = ReportFactory(
        mission=mission,
        status=ReportStatus.ACCEPTED,
        period_start=at_noon(days[0]) - dt.timedelta(hours=12),
        period_end=at_noon(days[-1]) + dt.timedelta(hours=12),
        filed_at=filed_at,
    )
    for day in days:
        ObservationFactory(report=report, clause=clause, occurred_at=at_noon(day), **observation)
    aggregates_refresh()
    return report
