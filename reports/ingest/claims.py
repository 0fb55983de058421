"""Claims on payloads: a claim is a lease held by one worker process.

The worker's heartbeat (ops.heartbeat) renews the leases of its live pool processes; when
the process holding a claim dies, the lease lapses and another worker may claim the payload.
``INGEST_CLAIM_TIMEOUT`` after the claim stays the hard ceiling, renewed or not.
"""

import datetime as dt
import logging
import os

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Case, F, PositiveSmallIntegerField, Q, When
from django.utils import timezone

from reports.models import InboundPayload

logger = logging.getLogger(__name__)
State = InboundPayload.State
ERROR_LIMIT = 2000
GENERIC_ERROR = "the error of this payload could not be stored; see the worker's log"


def error_text(text: object, *, limit: int = ERROR_LIMIT) -> str:
    """Text any database stores: no NUL (PostgreSQL refuses it), at most ``limit`` characters."""
    cleaned = str(text).replace("\x00", "\\x00")
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def claim_lapsed(now: dt.datetime) -> Q:
    """Processing payloads whose lease ran out or whose claim passed the hard ceiling."""
    ceiling = now - dt.timedelta(seconds=settings.INGEST_CLAIM_TIMEOUT)
    return Q(state=State.PROCESSING) & (Q(lease_expires_at__lt=now) | Q(claimed_at__lt=ceiling))


def payload_claim(*, payload_id: int, owner: str = "") -> bool:
    """Take the payload for ``owner`` if nobody holds a live claim on it.

    An owner is a worker process whose heartbeat renews the lease; without one (an ingest in
    a command or in the web process) the lease is the hard ceiling. Taking over a lapsed claim
    counts a crash: the process before us stopped without a result.
    """
    now = timezone.now()
    lease = settings.INGEST_LEASE_SECONDS if owner else settings.INGEST_CLAIM_TIMEOUT
    claimable = Q(state=State.RECEIVED) | claim_lapsed(now)
    return bool(
        InboundPayload.objects.filter(claimable, pk=payload_id).update(
            state=State.PROCESSING,
            claimed_at=now,
            claimed_by=owner[:200],
            lease_expires_at=now + dt.timedelta(seconds=lease),
            attempts=F("attempts") + 1,
            # SET reads the row as it was: this is the state before the claim.
            crashes=Case(
                When(state=State.PROCESSING, then=F("crashes") + 1),
                default=F("crashes"),
                output_field=PositiveSmallIntegerField(),
            ),
        )
    )


def payload_release(*, payload_id: int, error: str) -> None:
    """Give a claimed payload back after a transient fault, so a retry can claim it."""
    InboundPayload.objects.filter(pk=payload_id, state=State.PROCESSING).update(
        state=State.RECEIVED,
        claimed_at=None,
        claimed_by="",
        lease_expires_at=None,
        last_error=error_text(error),
    )


def payload_quarantine(*, payload_id: int, error: str) -> None:
    """Set the payload aside with the reason; if even that cannot be written, a generic one."""
    try:
        _quarantine(payload_id, error_text(error))
    except DatabaseError:
        logger.exception("payload %s: could not store its error; quarantined without", payload_id)
        _quarantine(payload_id, GENERIC_ERROR)


def _quarantine(payload_id: int, error: str) -> None:
    InboundPayload.objects.filter(pk=payload_id).exclude(state=State.DONE).update(
        state=State.QUARANTINED,
        last_error=error,
        processed_at=timezone.now(),
        lease_expires_at=None,
    )


def lease_owner(*, worker: str, boot: str) -> str:
    """The name this pool process claims under: its worker, that worker's start, its pid."""
    return f"{_owner_prefix(worker, boot)}{os.getpid()}"


def _owner_prefix(worker: str, boot: str) -> str:
    return f"{worker}:{boot}:"


def payload_leases_renew(*, worker: str, boot: str) -> int:
    """Extend the leases held by this worker's processes that are still alive."""
    prefix = _owner_prefix(worker, boot)
    held = InboundPayload.objects.filter(state=State.PROCESSING, claimed_by__startswith=prefix)
    owners = set(held.values_list("claimed_by", flat=True))
    alive = [owner for owner in owners if _pid_alive(owner.rpartition(":")[2])]
    if not alive:
        return 0
    expires = timezone.now() + dt.timedelta(seconds=settings.INGEST_LEASE_SECONDS)
    return held.filter(claimed_by__in=alive).update(lease_expires_at=expires)


def _pid_alive(pid: str) -> bool:
    if not os.path.isdir("/proc"):
        return _pid_signalable(pid)
    # A child killed but not yet reaped is a zombie: it answers kill(0) but holds nothing.
    try:
        with open(f"/proc/{int(pid)}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except (OSError, ValueError, IndexError):
        return _pid_signalable(pid)


def _pid_signalable(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True
