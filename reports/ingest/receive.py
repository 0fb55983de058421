"""Receiving payloads: store the raw bytes first, then ring the doorbell; the database row is
the record, the queue only a doorbell, and a periodic sweep re-rings for payloads that were
never picked up or whose worker died."""

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.queue import broker_rest_forget, broker_resting, enqueue
from reports.ingest.claims import claim_lapsed
from reports.models import InboundPayload, ObserverMission

State = InboundPayload.State


@dataclass
class ReceiveResult:
    payload: InboundPayload
    created: bool


def payload_receive(
    *,
    body: bytes,
    content_type: str,
    format: str,
    channel: str,
    sender: User | None,
    mission: ObserverMission | None = None,
    params: dict[str, Any] | None = None,
    filename: str = "",
    idempotency_key: str = "",
) -> ReceiveResult:
    """Store the raw payload and ring the doorbell after commit; parse nothing yet.

    A repeat of an ``Idempotency-Key`` from the same sender returns the first payload.
    """
    if idempotency_key and sender is not None:
        earlier = InboundPayload.objects.filter(sender=sender, idempotency_key=idempotency_key)
        if first := earlier.first():
            return ReceiveResult(first, created=False)
    try:
        with transaction.atomic():
            payload = InboundPayload.objects.create(
                body=body,
                sha256=hashlib.sha256(body).hexdigest(),
                size=len(body),
                content_type=content_type[:120],
                format=format,
                channel=channel,
                sender=sender,
                mission=mission,
                params=params or {},
                filename=filename[:255],
                idempotency_key=idempotency_key[:200],
            )
            transaction.on_commit(lambda: payload_enqueue(payload_id=payload.pk))
    except IntegrityError:
        # Two requests with one Idempotency-Key raced: the first one stored is the answer.
        first = InboundPayload.objects.get(sender=sender, idempotency_key=idempotency_key)
        return ReceiveResult(first, created=False)
    return ReceiveResult(payload, created=True)


def payload_enqueue(*, payload_id: int) -> bool:
    """Ring the doorbell (core.queue.enqueue); the periodic sweep delivers whatever could not
    be enqueued here."""
    from reports.tasks import payload_ingest

    return enqueue(payload_ingest, args=[payload_id], what=f"payload {payload_id}")


def payloads_requeue(*, older_than: dt.timedelta | None = None) -> int:
    """Re-ring for payloads never picked up, or whose claim expired (the worker died)."""
    if older_than is None:  # not `or`: timedelta(0), "every one now", is falsy
        older_than = dt.timedelta(seconds=settings.INGEST_REQUEUE_AFTER)
    now = timezone.now()
    stale = InboundPayload.objects.filter(
        Q(state=State.RECEIVED, received_at__lt=now - older_than) | claim_lapsed(now)
    ).values_list("pk", flat=True)[:1000]
    broker_rest_forget()  # the sweep is how a broker's return is noticed
    rung = 0
    for payload_id in stale:
        if broker_resting():
            break  # the broker failed: the next sweep tries again, not a thousand times now
        payload_enqueue(payload_id=payload_id)
        rung += 1
    return rung


def payload_replay(*, payload: InboundPayload) -> InboundPayload:
    """Put a quarantined or rejected payload back in the queue, attempts reset."""
    if payload.state not in (State.QUARANTINED, State.REJECTED):
        raise ValueError(
            f"Only quarantined or rejected payloads are replayed, not {payload.state}."
        )
    InboundPayload.objects.filter(pk=payload.pk).update(
        state=State.RECEIVED,
        attempts=0,
        crashes=0,
        claimed_at=None,
        claimed_by="",
        lease_expires_at=None,
        errors=[],
        processed_at=None,
    )
    transaction.on_commit(lambda: payload_enqueue(payload_id=payload.pk))
    payload.refresh_from_db()
    return payload
