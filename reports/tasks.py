"""Celery tasks of the ingest queue: thin wrappers that take ids and call the pipeline; each
is named after the service it wraps."""

import os
from typing import Any

from celery import Task, shared_task

from core.worker import WORKER_BOOT, WORKER_PID
from reports.ingest import process, receive
from reports.ingest.claims import lease_owner


@shared_task(
    name="reports.payload_ingest",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=8,
)
def payload_ingest(self: "Task[Any, Any]", payload_id: int) -> str:
    # In a pool process, the claim is a lease the worker's heartbeat renews. Run eagerly or in
    # the worker's own process (solo pool: its timer waits for the task), nothing renews it.
    hostname = self.request.hostname
    pooled = not self.request.is_eager and os.getpid() != WORKER_PID
    owner = lease_owner(worker=hostname, boot=WORKER_BOOT) if pooled and hostname else ""
    try:
        return process.payload_ingest(payload_id=payload_id, owner=owner)
    except process.TRANSIENT_ERRORS as exc:
        # Database or network blip: back off 2, 4, 8 ... s (capped); the claim was released.
        raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 1), 300)) from exc


@shared_task(name="reports.payloads_requeue", acks_late=True)
def payloads_requeue() -> int:
    return receive.payloads_requeue()
