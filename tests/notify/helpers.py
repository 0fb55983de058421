"""What the webhook tests share: a real receiving HTTP server, an independent signature
check, and quick ways to make subscriptions, transitions and deliveries."""

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.utils import timezone

from monitor.models import Alert, AlertTransition
from notify.models import DispatchCursor, WebhookDelivery, WebhookSubscription
from notify.services import WEBHOOKS_CURSOR, webhooks_dispatch
from notify.signing import webhook_secret_generate


class Receiver:
    """A real HTTP server on 127.0.0.1 that records each POST and answers with the next
    status in ``statuses`` (200 once they run out)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append({"path": self.path, "headers": headers, "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/accord?x=1"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> "Receiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
            self.thread.join(timeout=5)
        self.server.server_close()

    def events(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


def signature_valid(secret: str, headers: dict, body: bytes) -> bool:
    """Verification as the Standard Webhooks spec describes it, written independently."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(entry.split(",", 1)[1], expected)
        for entry in headers["webhook-signature"].split(" ")
        if entry.startswith("v1,")
    )


def subscribe(url: str, **fields) -> WebhookSubscription:
    agreements = fields.pop("agreements", [])
    subscription = WebhookSubscription.objects.create(
        name=fields.pop("name", "partner"), url=url, secret=webhook_secret_generate(), **fields
    )
    subscription.agreements.set(agreements)
    return subscription


def transition_for(clause, *, rule="clause.unmonitored", severity=2, kind="opened"):
    """An alert with a transition recorded before the test acts, its dispatch done (the
    cursor is past it): only what the test does next is news to the subscriptions."""
    now = timezone.now()
    alert = Alert.objects.create(
        rule=rule,
        fingerprint=f"{rule}:{clause.pk}:{severity}",
        clause=clause,
        agreement=clause.agreement,
        severity=severity,
        title=f"{rule} on {clause.reference}",
        explanation="Nobody watches this clause.",
        first_seen=now,
        last_seen=now,
    )
    transition = AlertTransition.objects.create(
        alert=alert, kind=kind, to_state="open", severity=severity, at=now
    )
    DispatchCursor.objects.update_or_create(
        name=WEBHOOKS_CURSOR, defaults={"last_id": transition.pk}
    )
    return transition


def delivery_for(subscription, transition) -> WebhookDelivery:
    webhooks_dispatch(transition_ids=[transition.pk])
    return WebhookDelivery.objects.get(subscription=subscription, transition=transition)
