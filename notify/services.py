"""Writes of notify: alert transitions dispatched to webhook subscriptions, delivered signed
(Standard Webhooks), retried, replayed and re-rung.

The database rows are the record (``DispatchCursor``, ``WebhookDelivery``, ``WebhookAttempt``);
the Celery tasks of ``notify.tasks`` only ring the doorbell.
"""

import datetime as dt
import http.client
import json
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.queue import enqueue
from monitor.models import AlertTransition
from notify.http import post, target_resolve
from notify.models import DispatchCursor, WebhookAttempt, WebhookDelivery, WebhookSubscription
from notify.payloads import event_payload
from notify.selectors import (
    deliveries_due,
    subscription_wants,
    subscriptions_listening,
    transition_ids_after,
)
from notify.signing import webhook_sign

Status = WebhookDelivery.Status
DISPATCH_BATCH = 500
WEBHOOKS_CURSOR = "webhooks"
BACKOFF_BASE = 10  # seconds before the first retry; doubles each time
BACKOFF_CAP = 3600


# --- dispatch -----------------------------------------------------------------------------


def webhooks_dispatch(*, transition_ids: list[int]) -> list[int]:
    """A pending delivery per transition and active subscription that wants it, each enqueued
    after commit; running it twice creates nothing twice. Returns the new deliveries' ids."""
    subscriptions = subscriptions_listening()
    if not subscriptions or not transition_ids:
        return []
    # A comment is a note on the record, not a change of state: no event (the cursor still
    # passes it).
    transitions = (
        AlertTransition.objects.filter(pk__in=transition_ids)
        .exclude(kind=AlertTransition.Kind.COMMENTED)
        .select_related("alert__agreement", "alert__clause", "alert__party")
    )
    existing = set(
        WebhookDelivery.objects.filter(transition_id__in=transition_ids).values_list(
            "subscription_id", "transition_id"
        )
    )
    new: list[WebhookDelivery] = []
    for transition in transitions:
        alert, payload = transition.alert, None
        for subscription, agreement_ids in subscriptions:
            if (subscription.pk, transition.pk) in existing or not subscription_wants(
                subscription,
                agreement_ids=agreement_ids,
                agreement_id=alert.agreement_id,
                rule=alert.rule,
                severity=transition.severity,
                retrospective=alert.describes is not None,
            ):
                continue
            payload = payload or event_payload(transition)
            new.append(
                WebhookDelivery(subscription=subscription, transition=transition, payload=payload)
            )
    if not new:
        return []
    with transaction.atomic():
        # A concurrent dispatch of the same transitions loses on the unique constraint.
        WebhookDelivery.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        ids = list(
            WebhookDelivery.objects.filter(event_id__in=[d.event_id for d in new]).values_list(
                "pk", flat=True
            )
        )

        def ring() -> None:
            for delivery_id in ids:
                _delivery_enqueue(delivery_id=delivery_id, attempt=0)

        transaction.on_commit(ring)
    return ids


def transitions_dispatch(*, batch: int = DISPATCH_BATCH) -> int:
    """Dispatch every committed alert transition after the cursor, ``batch`` at a time; each
    batch's deliveries and the cursor's move commit together. Returns the deliveries made.

    The cursor never passes a transition that commits later. Ids are drawn at insert and
    rows become visible at commit, so in general a lower id can appear after a higher one was
    read. But every writer of transitions (``monitor.services``) holds one advisory lock from
    before its first insert until it commits: writers take turns, and ids become visible in
    id order (the guarantee the change feed's id cursor rests on; on SQLite the database's
    write lock serialises writers the same way). A transition still uncommitted while this
    runs has an id above every one it sees, and the next run (the next signal, or the beat
    sweep) takes it. The cursor row is locked, so concurrent runs take turns; a run repeated
    after a crash creates nothing twice (one delivery per subscription and transition).
    """
    made = 0
    while True:
        with transaction.atomic():
            # Seeded by the migration where transitions existed; without it every one is due.
            cursor, _ = DispatchCursor.objects.select_for_update().get_or_create(
                name=WEBHOOKS_CURSOR
            )
            ids = transition_ids_after(after=cursor.last_id, limit=batch)
            if not ids:
                return made
            made += len(webhooks_dispatch(transition_ids=ids))
            DispatchCursor.objects.filter(pk=cursor.pk).update(
                last_id=ids[-1], advanced_at=timezone.now()
            )
        if len(ids) < batch:
            return made


def _delivery_enqueue(*, delivery_id: int, attempt: int) -> None:
    """Ring the doorbell; a broker failure is logged and the row stays pending."""
    from notify.tasks import webhook_deliver as deliver_task  # the tasks wrap this module

    enqueue(
        deliver_task,
        kwargs={"delivery_id": delivery_id, "attempt": attempt},
        what=f"webhook delivery {delivery_id}",
    )


# --- delivery -----------------------------------------------------------------------------


@dataclass
class Outcome:
    status: str
    attempts: int = 0
    retry_in: int | None = None  # seconds until the next attempt, when one is due
    status_code: int | None = None
    error: str = ""


def _backoff(failed_in_run: int) -> int:
    return int(min(BACKOFF_BASE * 2 ** (failed_in_run - 1), BACKOFF_CAP))


def _claim(*, delivery_id: int, attempt: int | None) -> bool:
    """Take a lease on a delivery still to send; ``attempt`` makes a duplicate message a no-op."""
    now = timezone.now()
    lease = dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT * 3 + 30)
    claimable = WebhookDelivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=delivery_id,
        status__in=[Status.PENDING, Status.FAILED],
    )
    if attempt is not None:
        claimable = claimable.filter(attempts=attempt)
    return claimable.update(claimed_until=now + lease) == 1


def _send(delivery: WebhookDelivery) -> tuple[int | None, str, str, bool]:
    """Sign and POST the delivery's body: (status code, response excerpt, error, refused)."""
    subscription = delivery.subscription
    target, problem = target_resolve(subscription.url)  # again: DNS may have changed
    if target is None:
        return None, "", f"Refused: {problem}", True
    timestamp = int(time.time())
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    msg_id = str(delivery.event_id)
    headers = {
        "content-type": "application/json",
        "user-agent": "AccordMonitor-Webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_sign(
            secret=subscription.secret, msg_id=msg_id, timestamp=timestamp, body=body
        ),
    }
    try:
        code, excerpt = post(target, headers=headers, body=body)
    except (OSError, http.client.HTTPException) as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:1000], False
    if 300 <= code < 400:
        return code, excerpt, f"HTTP {code}: redirects are not followed; give the final URL.", False
    if code == 410:
        return code, excerpt, "HTTP 410 Gone: the subscription is switched off.", False
    return code, excerpt, "" if 200 <= code < 300 else f"HTTP {code}", False


def webhook_deliver(*, delivery_id: int, attempt: int | None = None) -> Outcome:
    """Make one attempt at a delivery and record it; says when to retry, if at all.

    ``attempt`` is the number of attempts the caller expects already made: a message that
    arrives twice finds the count moved on and does nothing.
    """
    if not _claim(delivery_id=delivery_id, attempt=attempt):
        current = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True)
        return Outcome(status=current.first() or "missing")
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    if not delivery.subscription.is_active:
        return _finish(delivery, Status.GAVE_UP, error="The subscription is switched off.")

    started, now = time.monotonic(), timezone.now()
    code, excerpt, error, refused = _send(delivery)
    duration = int((time.monotonic() - started) * 1000)
    WebhookAttempt.objects.create(
        delivery=delivery, at=now, status_code=code, error=error, duration_ms=duration
    )
    delivery.attempts += 1
    if code is not None and 200 <= code < 300:
        return _finish(delivery, Status.DELIVERED, code=code, excerpt=excerpt, error=error)
    if code == 410:
        WebhookSubscription.objects.filter(pk=delivery.subscription_id).update(is_active=False)
        return _finish(delivery, Status.GAVE_UP, code=code, excerpt=excerpt, error=error)
    failed_in_run = delivery.attempts - delivery.attempts_at_replay
    if refused or failed_in_run >= settings.WEBHOOK_MAX_ATTEMPTS:
        return _finish(delivery, Status.GAVE_UP, code=code, excerpt=excerpt, error=error)
    retry_in = _backoff(failed_in_run)
    next_at = timezone.now() + dt.timedelta(seconds=retry_in)
    outcome = _finish(
        delivery, Status.FAILED, code=code, excerpt=excerpt, error=error, next_attempt_at=next_at
    )
    outcome.retry_in = retry_in
    return outcome


def _finish(
    delivery: WebhookDelivery,
    status: str,
    *,
    code: int | None = None,
    excerpt: str = "",
    error: str = "",
    next_attempt_at: dt.datetime | None = None,
) -> Outcome:
    """Record the attempt's result on the delivery and release the lease."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        attempts=delivery.attempts,
        last_status_code=code,
        last_error=error,
        response_excerpt=excerpt,
        next_attempt_at=next_attempt_at,
        delivered_at=timezone.now() if status == Status.DELIVERED else None,
        claimed_until=None,
    )
    return Outcome(status=status, attempts=delivery.attempts, status_code=code, error=error)


# --- replay and requeue -------------------------------------------------------------------


def webhook_replay(*, delivery: WebhookDelivery) -> bool:
    """Send a delivery again, same ``webhook-id``, with a fresh run of attempts.

    Refused (False) while a worker is sending it.
    """
    now = timezone.now()
    with transaction.atomic():
        replayed = (
            WebhookDelivery.objects.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .filter(pk=delivery.pk)
            .update(
                status=Status.PENDING,
                attempts_at_replay=F("attempts"),
                next_attempt_at=now,
                replayed_at=now,
                last_error="",
            )
        )
        if not replayed:
            return False
        attempts = WebhookDelivery.objects.values_list("attempts", flat=True).get(pk=delivery.pk)
        transaction.on_commit(lambda: _delivery_enqueue(delivery_id=delivery.pk, attempt=attempts))
    return True


def webhook_deliveries_requeue(*, older_than: dt.timedelta | None = None) -> int:
    """Re-ring for deliveries that are due but were never picked up (a lost enqueue, a
    retry that never arrived, embedded mode where retries are not scheduled)."""
    rows = deliveries_due(older_than=older_than or dt.timedelta(minutes=1))
    for delivery_id, attempts in rows:
        _delivery_enqueue(delivery_id=delivery_id, attempt=attempts)
    return len(rows)
