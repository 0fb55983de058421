"""Celery tasks of the rules queue."""

import datetime as dt

from celery import shared_task

from monitor.evaluation_queue import (
    evaluation_request,
    evaluation_request_run,
    evaluation_requests_requeue,
)
from monitor.models import EvaluationRun
from monitor.services import rules_run


@shared_task(name="monitor.evaluate_agreement", acks_late=True, bind=True, max_retries=5)
def evaluate_agreement(self, agreement_id: int) -> int | None:
    """The doorbell: run the agreement's pending evaluation request, if one can be claimed."""
    try:
        run = evaluation_request_run(agreement_id=agreement_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 1), 120)) from exc
    return run.findings if run else None


@shared_task(name="monitor.evaluate_clauses", acks_late=True, bind=True, max_retries=5)
def evaluate_clauses(
    self, clause_ids: list[int], since: str | None = None, until: str | None = None
) -> int:
    """Evaluate these clauses now, through their agreements' requests (so with whatever was
    pending there); an agreement with a run in progress gets it next. Also what messages
    queued before the requests existed still call."""
    try:
        findings = 0
        agreement_ids = evaluation_request(
            clause_ids=clause_ids,
            since=dt.date.fromisoformat(since) if since else None,
            until=dt.date.fromisoformat(until) if until else None,
        )
        for agreement_id in agreement_ids:
            run = evaluation_request_run(agreement_id=agreement_id)
            findings += run.findings if run else 0
        return findings
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 1), 120)) from exc


@shared_task(name="monitor.evaluate_all", acks_late=True)
def evaluate_all() -> int:
    """Periodically: every rule over every clause, for the time-based conditions."""
    return rules_run(trigger=EvaluationRun.Trigger.PERIODIC).findings


@shared_task(name="monitor.evaluate_requeue", acks_late=True)
def evaluation_requeue() -> int:
    """Periodically: ring again for evaluation requests nobody picked up."""
    return evaluation_requests_requeue()
