"""Celery tasks of the rules queue."""

from celery import shared_task

from monitor.models import EvaluationRun
from monitor.services import rules_run


@shared_task(name="monitor.evaluate_clauses", acks_late=True, bind=True, max_retries=5)
def evaluate_clauses(self, clause_ids: list[int]) -> int:
    """After an ingest: the rules for the clauses it touched."""
    try:
        return rules_run(trigger=EvaluationRun.Trigger.INGEST, clause_ids=clause_ids).findings
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 1), 120)) from exc


@shared_task(name="monitor.evaluate_all", acks_late=True)
def evaluate_all() -> int:
    """Periodically: every rule over every clause, for the time-based conditions."""
    return rules_run(trigger=EvaluationRun.Trigger.PERIODIC).findings
