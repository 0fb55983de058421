"""What monitor does when another app announces something."""

import datetime as dt
import logging

from django.dispatch import receiver

from monitor.evaluation_queue import evaluation_request
from reports.signals import report_accepted

logger = logging.getLogger(__name__)


@receiver(report_accepted, dispatch_uid="monitor.evaluation_request_for_report")
def evaluation_request_for_report(
    sender: object, *, clause_ids: list[int], since: dt.date, until: dt.date, **kwargs: object
) -> None:
    """Record the clauses and days an accepted report touched in their agreements' pending
    evaluation requests: a row write in the ingest's own process; the rules engine coalesces
    them per agreement and rings its own doorbell. A failure is logged, never fails ingest."""
    if not clause_ids:
        return
    try:
        evaluation_request(clause_ids=clause_ids, since=since, until=until)
    except Exception:
        logger.warning(
            "could not request rule evaluation; the periodic run will cover it", exc_info=True
        )
