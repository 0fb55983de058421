"""Webhooks: alert transitions POSTed to subscribers, signed per Standard Webhooks.

The database rows are the record (``WebhookDelivery``, ``WebhookAttempt``); the Celery tasks
``monitor.notify_dispatch`` and ``monitor.notify_deliver`` only ring the doorbell.
"""

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.access import reach_of
from agreements.selectors import agreements_with_figures_for
from core.queue import enqueue
from monitor.models import AlertTransition
from monitor.models_webhooks import WebhookAttempt, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
DISPATCH_BATCH = 500
BACKOFF_BASE = 10  # seconds before the first retry; doubles each time
BACKOFF_CAP = 3600
EXCERPT_BYTES = 1024


# --- secrets and signatures ---------------------------------------------------------------


def webhook_secret_generate() -> str:
    """A new secret in the Standard Webhooks format: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_problem(secret: str) -> str | None:
    """Why a secret is unusable, or None."""
    if not secret.startswith(SECRET_PREFIX):
        return f"A secret starts with {SECRET_PREFIX}."
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        return f"After {SECRET_PREFIX} comes base64."
    if not 24 <= len(key) <= 64:
        return "The key must be 24 to 64 bytes (Standard Webhooks)."
    return None


def webhook_sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


# --- the SSRF guard -----------------------------------------------------------------------


@dataclass
class Target:
    host: str
    port: int
    path: str
    https: bool
    addresses: list[str]


def _address_problem(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for flag in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{flag}"):
            return f"{address} is a {flag.replace('_', '-')} address"
    if not ip.is_global:  # shared (100.64/10), benchmarking and other special ranges
        return f"{address} is not a public address"
    return None


def _target(url: str) -> tuple[Target | None, str | None]:
    """Parse and resolve a URL; the addresses are the ones the request may connect to."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return None, f"Not a valid URL: {exc}."
    if parts.scheme not in ("http", "https"):
        return None, "Only http:// and https:// targets are allowed."
    if not parts.hostname:
        return None, "The URL has no host."
    if parts.username or parts.password:
        return None, "Put no credentials in the URL; the signature authenticates the sender."
    https = parts.scheme == "https"
    port = port or (443 if https else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return None, f"{parts.hostname} does not resolve: {exc}."
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            problem = _address_problem(address)
            if problem:
                return None, (
                    f"{parts.hostname} resolves to {problem}; private targets are refused "
                    "(WEBHOOK_ALLOW_PRIVATE_TARGETS)."
                )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.hostname, port, path, https, addresses), None


def target_problem(url: str) -> str | None:
    """Why a URL may not receive webhooks (scheme, resolution, a non-public address), or None."""
    return _target(url)[1]


class _PinnedConnection(http.client.HTTPConnection):
    """Connects only to the addresses vetted by the guard, so DNS cannot change in between."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = target.addresses

    def _open(self) -> socket.socket:
        error: OSError | None = None
        for address in self.addresses:
            try:
                return socket.create_connection((address, self.port), self.timeout)
            except OSError as exc:
                error = exc
        raise error or OSError("no address to connect to")

    def connect(self) -> None:
        self.sock = self._open()


class _PinnedTLSConnection(_PinnedConnection):
    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._open(), server_hostname=self.host)


# --- dispatch -----------------------------------------------------------------------------


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def event_payload(transition: AlertTransition) -> dict:
    """The JSON body for one transition: the alert as of that transition, and the move."""
    alert = transition.alert
    path = reverse("admin:monitor_alert_change", args=[alert.pk])
    return {
        "type": f"alert.{transition.kind}",
        "timestamp": _iso(transition.at),
        "data": {
            "alert": {
                "id": alert.pk,
                "rule": alert.rule,
                "title": alert.title,
                "explanation": alert.explanation,
                "severity": transition.severity,
                "state": transition.to_state,
                "agreement": alert.agreement.code,
                "clause": alert.clause.reference,
                "party": alert.party.code if alert.party_id else None,
                "first_seen": _iso(alert.first_seen),
                "last_seen": _iso(alert.last_seen),
                "url": settings.SITE_URL + path,
            },
            "transition": {
                "id": transition.pk,
                "kind": transition.kind,
                "from_state": transition.from_state,
                "to_state": transition.to_state,
                "at": _iso(transition.at),
                "comment": transition.comment,
            },
        },
    }


def subscription_wants(
    subscription: WebhookSubscription,
    *,
    agreement_ids: set[int],
    agreement_id: int,
    rule: str,
    severity: int,
) -> bool:
    """The filters: empty agreements or rules mean all; severity at least the minimum."""
    return (
        (not agreement_ids or agreement_id in agreement_ids)
        and severity >= subscription.min_severity
        and (not subscription.rules or rule in subscription.rules)
    )


def _agreements_for(subscription: WebhookSubscription) -> set[int] | None:
    """The agreements a subscription's filter names (empty: all), bounded by what its owner
    may read under the access policy; None when the owner may read no alert at all."""
    named = {a.pk for a in subscription.agreements.all()}
    if subscription.owner is None:  # set up by an administrator for a partner system
        return named
    scope = reach_of(subscription.owner).figures
    if scope == "all":
        return named
    if scope == "none":
        return None
    allowed = set(agreements_with_figures_for(user=subscription.owner).values_list("pk", flat=True))
    bounded = (named & allowed) if named else allowed
    return bounded or None


def webhooks_dispatch(*, transition_ids: list[int]) -> list[int]:
    """A pending delivery per transition and active subscription that wants it, each enqueued
    after commit; running it twice creates nothing twice. Returns the new deliveries' ids."""
    subscriptions = [
        (s, _agreements_for(s))
        for s in WebhookSubscription.objects.filter(is_active=True)
        .select_related("owner")
        .prefetch_related("agreements")
    ]
    subscriptions = [(s, ids) for s, ids in subscriptions if ids is not None]
    if not subscriptions or not transition_ids:
        return []
    transitions = AlertTransition.objects.filter(pk__in=transition_ids).select_related(
        "alert__agreement", "alert__clause", "alert__party"
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
        transaction.on_commit(lambda: [_enqueue_delivery(delivery_id=i, attempt=0) for i in ids])
    return ids


def _enqueue_delivery(*, delivery_id: int, attempt: int) -> None:
    """Ring the doorbell; a broker failure is logged and the row stays pending."""
    from monitor.tasks import notify_deliver

    enqueue(
        notify_deliver,
        kwargs={"delivery_id": delivery_id, "attempt": attempt},
        what=f"webhook delivery {delivery_id}",
    )


def transitions_dispatch_on_commit(transition_ids: list[int]) -> None:
    """After the transaction commits, ask for the webhooks of these transitions."""
    if not transition_ids:
        return

    def ring() -> None:
        from monitor.tasks import notify_dispatch

        for start in range(0, len(transition_ids), DISPATCH_BATCH):
            batch = transition_ids[start : start + DISPATCH_BATCH]
            enqueue(
                notify_dispatch,
                args=[batch],
                what=f"webhook dispatch of {len(batch)} transition(s)",
            )

    transaction.on_commit(ring)


# --- delivery -----------------------------------------------------------------------------


@dataclass
class Outcome:
    status: str
    attempts: int = 0
    retry_in: int | None = None  # seconds until the next attempt, when one is due
    status_code: int | None = None
    error: str = ""


def _backoff(failed_in_run: int) -> int:
    return min(BACKOFF_BASE * 2 ** (failed_in_run - 1), BACKOFF_CAP)


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


def _post(target: Target, *, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    """One POST to the vetted addresses; redirects are not followed (they count as failures)."""
    connection_class = _PinnedTLSConnection if target.https else _PinnedConnection
    connection = connection_class(target, timeout=settings.WEBHOOK_TIMEOUT)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
        return response.status, excerpt
    finally:
        connection.close()


def _send(delivery: WebhookDelivery) -> tuple[int | None, str, str, bool]:
    """Sign and POST the delivery's body: (status code, response excerpt, error, refused)."""
    subscription = delivery.subscription
    target, problem = _target(subscription.url)  # again: DNS may have changed since the form
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
        code, excerpt = _post(target, headers=headers, body=body)
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
    result = {"code": code, "excerpt": excerpt, "error": error}
    if code is not None and 200 <= code < 300:
        return _finish(delivery, Status.DELIVERED, **result)
    if code == 410:
        WebhookSubscription.objects.filter(pk=delivery.subscription_id).update(is_active=False)
        return _finish(delivery, Status.GAVE_UP, **result)
    failed_in_run = delivery.attempts - delivery.attempts_at_replay
    if refused or failed_in_run >= settings.WEBHOOK_MAX_ATTEMPTS:
        return _finish(delivery, Status.GAVE_UP, **result)
    retry_in = _backoff(failed_in_run)
    next_at = timezone.now() + dt.timedelta(seconds=retry_in)
    outcome = _finish(delivery, Status.FAILED, next_attempt_at=next_at, **result)
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
        transaction.on_commit(lambda: _enqueue_delivery(delivery_id=delivery.pk, attempt=attempts))
    return True


def webhook_deliveries_requeue(*, older_than: dt.timedelta | None = None) -> int:
    """Re-ring for deliveries that are due but were never picked up (a lost enqueue, a
    retry that never arrived, embedded mode where retries are not scheduled)."""
    older_than = older_than or dt.timedelta(minutes=1)
    now = timezone.now()
    due = (
        WebhookDelivery.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=now - older_than),
            status__in=[Status.PENDING, Status.FAILED],
            created_at__lt=now - older_than,
        )
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:1000]
    )
    rows = list(due)
    for delivery_id, attempts in rows:
        _enqueue_delivery(delivery_id=delivery_id, attempt=attempts)
    return len(rows)
