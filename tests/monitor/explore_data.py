"""Small, hand-made data for the explorer's tests: filed reports and observations on the
personas' world (tests.conftest: test-ceasefire, clause 1 watched by mission A, clause 2 by
mission B)."""

import datetime as dt
from itertools import count

from reports.models import Observation, Report, ReportStatus
from tests.factories import ObservationFactory, ReportFactory

FILED = dt.datetime(2022, 3, 1, 12, 0, tzinfo=dt.UTC)
_ids = count(1)


def filed(mission, *, filed_at: dt.datetime = FILED, **fields) -> Report:
    """An accepted report of ``mission`` (filed in the past, so every reader's "now" sees it)."""
    fields.setdefault("status", ReportStatus.ACCEPTED)
    fields.setdefault("external_id", f"EXP-{next(_ids):05d}")
    fields.setdefault("period_start", dt.datetime(2015, 1, 1, tzinfo=dt.UTC))
    fields.setdefault("period_end", dt.datetime(2022, 2, 28, tzinfo=dt.UTC))
    return ReportFactory(mission=mission, filed_at=filed_at, **fields)


def seen(report: Report, *, day: dt.date = dt.date(2015, 2, 20), hour: int = 10, **fields):
    """An observation of ``report`` on ``day`` (UTC), with its calendar day the same."""
    moment = dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)
    fields.setdefault("occurred_on", day)
    fields.setdefault("kind", Observation.Kind.VIOLATION)
    fields.setdefault("place_name", "Shyrokyne")
    return ObservationFactory(report=report, occurred_at=moment, **fields)
