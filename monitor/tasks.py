"""Celery tasks of the rules queue: each takes ids, calls the service it is named after."""

import datetime as dt

from celery import Task, shared_task

from monitor import evaluation_queue, services
from monitor.models import EvaluationRun


def _backoff(task: "Task[..., object]") -> int:
    return min(2 ** (task.request.retries + 1), 120)


@shared_task(name="monitor.evaluation_request_run", acks_late=True, bind=True, max_retries=5)
def evaluation_request_run(self: "Task[..., object]", agreement_id: int) -> int | None:
    """The doorbell: run the agreement's pending evaluation request, if one can be claimed."""
    try:
        run = evaluation_queue.evaluation_request_run(agreement_id=agreement_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=_backoff(self)) from exc
    return run.findings if run else None


@shared_task(name="monitor.clauses_evaluate", acks_late=True, bind=True, max_retries=5)
def clauses_evaluate(
    self: "Task[..., object]",
    clause_ids: list[int],
    since: str | None = None,
    until: str | None = None,
) -> int:
    """Evaluate these clauses now, through their agreements' requests (so with whatever was
    pending there); an agreement with a run in progress gets it next."""
    try:
        findings = 0
        agreement_ids = evaluation_queue.evaluation_request(
            clause_ids=clause_ids,
            since=dt.date.fromisoformat(since) if since else None,
            until=dt.date.fromisoformat(until) if until else None,
        )
        for agreement_id in agreement_ids:
            run = evaluation_queue.evaluation_request_run(agreement_id=agreement_id)
            findings += run.findings if run else 0
        return findings
    except Exception as exc:
        raise self.retry(exc=exc, countdown=_backoff(self)) from exc


@shared_task(name="monitor.rules_run", acks_late=True)
def rules_run(as_of: str | None = None, known_at: str | None = None) -> int:
    """Periodically: every rule over every clause, for the time-based conditions. With
    ``as_of`` (ISO) in the past, a retrospective evaluation of that moment instead."""
    return services.rules_run(
        trigger=EvaluationRun.Trigger.PERIODIC if as_of is None else EvaluationRun.Trigger.COMMAND,
        as_of=dt.datetime.fromisoformat(as_of) if as_of else None,
        known_at=dt.datetime.fromisoformat(known_at) if known_at else None,
    ).findings


@shared_task(name="monitor.evaluation_requests_requeue", acks_late=True)
def evaluation_requests_requeue() -> int:
    """Periodically: ring again for evaluation requests nobody picked up."""
    return evaluation_queue.evaluation_requests_requeue()
