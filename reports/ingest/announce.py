"""Telling other apps about accepted reports (``reports.signals.report_accepted``), after the
commit; and the bulk load that tells nobody."""

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator
from functools import partial

from django.db import transaction

from reports.models import Report
from reports.signals import report_accepted

_bulk_load: contextvars.ContextVar[bool] = contextvars.ContextVar("bulk_load", default=False)


@contextlib.contextmanager
def bulk_load() -> Iterator[None]:
    """Announce nothing (so no per-payload rule evaluation) while loading many historical
    reports; the caller evaluates once at the end (the demo does)."""
    token = _bulk_load.set(True)
    try:
        yield
    finally:
        _bulk_load.reset(token)


def report_accepted_announce(
    *, report: Report, clause_ids: list[int], since: dt.date, until: dt.date
) -> None:
    """Send ``report_accepted`` once the transaction commits (not under ``bulk_load()``).

    A failing receiver is logged and never fails the ingest: the report is in.
    """
    transaction.on_commit(
        partial(_send, report=report, clause_ids=clause_ids, since=since, until=until)
    )


def _send(*, report: Report, clause_ids: list[int], since: dt.date, until: dt.date) -> None:
    if _bulk_load.get():
        return
    # send_robust: a receiver that raises is logged (django.dispatch) and the others still run.
    report_accepted.send_robust(
        sender=Report, report=report, clause_ids=clause_ids, since=since, until=until
    )
