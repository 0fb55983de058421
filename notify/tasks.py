"""Celery tasks of the notify queue: each takes ids, calls the service it is named after."""

from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from notify import services


@shared_task(name="notify.transitions_dispatch", acks_late=True, bind=True, max_retries=5)
def transitions_dispatch(self: Any) -> int:
    """After alert transitions commit (and periodically, by beat): dispatch every
    transition after the cursor, a delivery per matching subscription, each enqueued."""
    try:
        return services.transitions_dispatch()
    except DatabaseError as exc:
        raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 1), 120)) from exc


@shared_task(name="notify.webhook_deliver", acks_late=True, reject_on_worker_lost=True, bind=True)
def webhook_deliver(self: Any, delivery_id: int, attempt: int | None = None) -> str:
    """One attempt at a webhook delivery; on failure, again after an exponential backoff.

    In embedded mode (eager tasks) a retry would run at once, so none is scheduled: the
    delivery stays failed with its next_attempt_at for a requeue or a replay.
    """
    outcome = services.webhook_deliver(delivery_id=delivery_id, attempt=attempt)
    if outcome.retry_in is None or self.request.is_eager:
        return outcome.status
    raise self.retry(
        args=[],
        kwargs={"delivery_id": delivery_id, "attempt": outcome.attempts},
        countdown=outcome.retry_in,
        max_retries=settings.WEBHOOK_MAX_ATTEMPTS,
    )


@shared_task(name="notify.webhook_deliveries_requeue", acks_late=True)
def webhook_deliveries_requeue() -> int:
    """Periodically: re-send deliveries that were never picked up (the row is the record)."""
    return services.webhook_deliveries_requeue()
