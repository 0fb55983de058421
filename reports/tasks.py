"""Celery tasks of the ingest queue: thin wrappers that take ids and call the pipeline."""

from celery import shared_task

from config.heartbeat import WORKER_BOOT
from reports.ingest.claims import lease_owner
from reports.ingest.pipeline import TRANSIENT_ERRORS, payload_ingest, payloads_requeue


@shared_task(
    name="reports.ingest_payload",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=8,
)
def ingest_payload(self, payload_id: int) -> str:
    # In a worker, the claim is a lease its heartbeat renews; run eagerly, nothing renews it.
    eager = self.request.is_eager or not self.request.hostname
    owner = "" if eager else lease_owner(worker=self.request.hostname, boot=WORKER_BOOT)
    try:
        return payload_ingest(payload_id=payload_id, owner=owner)
    except TRANSIENT_ERRORS as exc:
        # Database or network blip: back off 2, 4, 8 ... s (capped); the claim was released.
        raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 1), 300)) from exc


@shared_task(name="reports.requeue_payloads", acks_late=True)
def requeue_payloads() -> int:
    return payloads_requeue()
