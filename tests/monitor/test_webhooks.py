"""Webhooks: signing, filters, the SSRF guard, delivery with retries against a real local
HTTP server, replays, the hook into alert transitions, and the admin across roles."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

from monitor.models import Alert, AlertTransition
from monitor.models_webhooks import WebhookAttempt, WebhookDelivery, WebhookSubscription
from monitor.services import alert_set_state, rules_run
from monitor.webhooks import (
    secret_problem,
    subscription_wants,
    target_problem,
    webhook_deliver,
    webhook_deliveries_requeue,
    webhook_replay,
    webhook_secret_generate,
    webhook_sign,
    webhooks_dispatch,
)
from tests.factories import AgreementFactory, ClauseFactory


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


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    server = Receiver().start()
    yield server
    server.stop()


def subscribe(url: str, **fields) -> WebhookSubscription:
    agreements = fields.pop("agreements", [])
    subscription = WebhookSubscription.objects.create(
        name=fields.pop("name", "partner"), url=url, secret=webhook_secret_generate(), **fields
    )
    subscription.agreements.set(agreements)
    return subscription


def transition_for(clause, *, rule="clause.unmonitored", severity=2, kind="opened"):
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
    return AlertTransition.objects.create(
        alert=alert, kind=kind, to_state="open", severity=severity, at=now
    )


def delivery_for(subscription, transition) -> WebhookDelivery:
    webhooks_dispatch(transition_ids=[transition.pk])
    return WebhookDelivery.objects.get(subscription=subscription, transition=transition)


# --- signing ------------------------------------------------------------------------------


def test_signature_reproduces_the_standard_webhooks_reference_vector():
    signature = webhook_sign(
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_an_independent_computation():
    secret = webhook_secret_generate()
    body = '{"type":"alert.opened","note":"Дебальцеве"}'.encode()
    headers = {
        "webhook-id": "3f1c",
        "webhook-timestamp": "1700000000",
        "webhook-signature": webhook_sign(
            secret=secret, msg_id="3f1c", timestamp=1700000000, body=body
        ),
    }
    assert signature_valid(secret, headers, body)
    assert not signature_valid(secret, headers, body + b" ")
    assert not signature_valid(webhook_secret_generate(), headers, body)


def test_generated_secrets_are_standard_webhooks_secrets():
    secret = webhook_secret_generate()
    assert secret.startswith("whsec_") and secret_problem(secret) is None
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert secret != webhook_secret_generate()
    assert secret_problem("not-a-secret")
    assert secret_problem("whsec_***")
    assert secret_problem("whsec_" + base64.b64encode(b"short").decode())


# --- filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agreement_ids", "min_severity", "rules", "wanted"),
    [
        (set(), 1, [], True),
        ({7}, 1, [], True),
        ({8}, 1, [], False),
        (set(), 3, [], False),
        (set(), 2, [], True),
        (set(), 1, ["clause.unmonitored"], True),
        (set(), 1, ["clause.violation_recorded"], False),
        ({7}, 2, ["clause.unmonitored", "clause.violation_recorded"], True),
    ],
)
def test_subscription_filters_on_agreement_severity_and_rule(
    agreement_ids, min_severity, rules, wanted
):
    subscription = WebhookSubscription(min_severity=min_severity, rules=rules)
    assert (
        subscription_wants(
            subscription,
            agreement_ids=agreement_ids,
            agreement_id=7,
            rule="clause.unmonitored",
            severity=2,
        )
        is wanted
    )


def test_dispatch_creates_one_delivery_per_wanting_subscription_and_never_twice(
    world, django_capture_on_commit_callbacks
):
    other = ClauseFactory(agreement=AgreementFactory(code="other-accord"), reference="9")
    ours = transition_for(world.clause_unmonitored, severity=2)
    theirs = transition_for(other, rule="clause.violation_recorded", severity=4)
    everything = subscribe("https://93.184.216.34/a", name="everything")
    only_ours = subscribe("https://93.184.216.34/b", agreements=[world.agreement])
    only_high = subscribe("https://93.184.216.34/c", min_severity=3)
    only_violations = subscribe("https://93.184.216.34/d", rules=["clause.violation_recorded"])
    subscribe("https://93.184.216.34/e", is_active=False)

    ids = [ours.pk, theirs.pk]
    with django_capture_on_commit_callbacks() as callbacks:
        assert len(webhooks_dispatch(transition_ids=ids)) == 5
    assert len(callbacks) == 1  # one doorbell for the batch, after commit
    assert webhooks_dispatch(transition_ids=ids) == []

    pairs = set(WebhookDelivery.objects.values_list("subscription_id", "transition_id"))
    assert pairs == {
        (everything.pk, ours.pk),
        (everything.pk, theirs.pk),
        (only_ours.pk, ours.pk),
        (only_high.pk, theirs.pk),
        (only_violations.pk, theirs.pk),
    }


def test_a_subscription_carries_only_the_alerts_its_owner_may_read(
    world, observer_b, api_consumer, outsider
):
    other = ClauseFactory(agreement=AgreementFactory(code="other-accord"), reference="9")
    ours = transition_for(world.clause_unmonitored)
    theirs = transition_for(other)
    observers = subscribe("https://93.184.216.34/o", name="observer's", owner=observer_b)
    narrowed = subscribe(
        "https://93.184.216.34/n", name="narrowed", owner=observer_b, agreements=[other.agreement]
    )
    consumers = subscribe("https://93.184.216.34/c", name="consumer's", owner=api_consumer)
    nobodys = subscribe("https://93.184.216.34/x", name="no role", owner=outsider)

    webhooks_dispatch(transition_ids=[ours.pk, theirs.pk])

    def sent(subscription):
        return set(
            WebhookDelivery.objects.filter(subscription=subscription).values_list(
                "transition_id", flat=True
            )
        )

    assert sent(observers) == {ours.pk}  # the agreement its mission serves only
    assert sent(narrowed) == set()  # its filter names an agreement it may not read
    assert sent(consumers) == {ours.pk, theirs.pk}
    assert sent(nobodys) == set()


def test_the_body_describes_the_alert_and_the_transition(world):
    subscription = subscribe("https://93.184.216.34/a")
    transition = transition_for(world.clause_unmonitored, severity=3)
    payload = delivery_for(subscription, transition).payload
    assert payload["type"] == "alert.opened"
    assert payload["timestamp"].endswith("Z")
    alert = payload["data"]["alert"]
    assert alert["id"] == transition.alert_id
    assert (alert["agreement"], alert["clause"], alert["party"]) == ("test-ceasefire", "3", None)
    assert (alert["rule"], alert["severity"], alert["state"]) == ("clause.unmonitored", 3, "open")
    assert alert["url"].endswith(f"/admin/monitor/alert/{transition.alert_id}/change/")
    assert payload["data"]["transition"] == {
        "id": transition.pk,
        "kind": "opened",
        "from_state": "",
        "to_state": "open",
        "at": payload["timestamp"],
        "comment": "",
    }


# --- the SSRF guard -----------------------------------------------------------------------

REFUSED = [
    "http://127.0.0.1/hook",
    "http://10.20.30.40/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://[::1]:8080/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://224.0.0.1/hook",
    "http://0.0.0.0/hook",
    "http://localhost:8000/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_and_link_local_targets_are_refused(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    problem = target_problem(url)
    assert problem and "WEBHOOK_ALLOW_PRIVATE_TARGETS" in problem


@pytest.mark.parametrize("url", REFUSED)
def test_the_setting_allows_private_targets(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert target_problem(url) is None


@pytest.mark.parametrize("allow", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://93.184.216.34/x",
        "gopher://93.184.216.34/",
        "http:///no-host",
        "https://user:pass@93.184.216.34/hook",
    ],
)
def test_other_schemes_hostless_urls_and_credentials_are_refused_whatever_the_setting(
    settings, url, allow
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = allow
    assert target_problem(url)


def test_a_public_address_is_accepted(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert target_problem("https://93.184.216.34:8443/hooks?k=v") is None


# --- delivery -----------------------------------------------------------------------------


def test_a_delivery_is_a_signed_post_of_the_stored_body(world, receiver):
    subscription = subscribe(receiver.url)
    delivery = delivery_for(subscription, transition_for(world.clause_unmonitored))

    outcome = webhook_deliver(delivery_id=delivery.pk, attempt=0)

    assert (outcome.status, outcome.status_code, outcome.retry_in) == ("delivered", 200, None)
    [request] = receiver.requests
    headers = request["headers"]
    assert request["path"] == "/hooks/accord?x=1"
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"] == str(delivery.event_id)
    assert abs(int(headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert signature_valid(subscription.secret, headers, request["body"])
    assert json.loads(request["body"]) == delivery.payload
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.delivered_at
    assert (delivery.attempts, delivery.last_status_code, delivery.response_excerpt) == (
        1,
        200,
        "ok",
    )
    assert delivery.claimed_until is None
    [attempt] = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempt.status_code == 200 and attempt.error == ""


def test_a_failure_is_retried_later_then_delivered(world, receiver):
    receiver.statuses = [500]
    subscription = subscribe(receiver.url)
    delivery = delivery_for(subscription, transition_for(world.clause_unmonitored))

    first = webhook_deliver(delivery_id=delivery.pk, attempt=0)
    assert (first.status, first.status_code, first.retry_in) == ("failed", 500, 10)
    delivery.refresh_from_db()
    assert delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=8)

    second = webhook_deliver(delivery_id=delivery.pk, attempt=1)
    assert second.status == "delivered"
    ids = {r["headers"]["webhook-id"] for r in receiver.requests}
    assert ids == {str(delivery.event_id)}  # one message, sent twice
    assert list(delivery.attempt_log.values_list("status_code", "error")) == [
        (500, "HTTP 500"),
        (200, ""),
    ]


def test_a_failing_target_backs_off_exponentially_and_gives_up_after_max_attempts(
    world, receiver, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 5
    receiver.statuses = [500, 502, 503, 500, 500, 500]
    delivery = delivery_for(subscribe(receiver.url), transition_for(world.clause_unmonitored))

    outcomes = [webhook_deliver(delivery_id=delivery.pk, attempt=n) for n in range(5)]

    assert [o.retry_in for o in outcomes] == [10, 20, 40, 80, None]
    assert [o.status for o in outcomes] == ["failed"] * 4 + ["gave_up"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("gave_up", 5, None)
    assert delivery.attempt_log.count() == 5 == len(receiver.requests)
    assert webhook_deliver(delivery_id=delivery.pk, attempt=5).status == "gave_up"
    assert len(receiver.requests) == 5  # given up means no more requests


def test_backoff_is_capped_at_an_hour(world, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 20
    receiver.statuses = [500] * 11
    delivery = delivery_for(subscribe(receiver.url), transition_for(world.clause_unmonitored))
    retries = [webhook_deliver(delivery_id=delivery.pk, attempt=n).retry_in for n in range(11)]
    assert retries[:3] == [10, 20, 40] and retries[-2:] == [3600, 3600]


def test_an_unreachable_target_is_a_failure_with_the_error_recorded(world, receiver):
    subscription = subscribe(receiver.url)
    delivery = delivery_for(subscription, transition_for(world.clause_unmonitored))
    receiver.stop()  # nothing listens on that port any more

    outcome = webhook_deliver(delivery_id=delivery.pk, attempt=0)

    assert (outcome.status, outcome.retry_in, outcome.status_code) == ("failed", 10, None)
    assert outcome.error.startswith("ConnectionRefusedError")


def test_a_duplicate_message_for_the_same_attempt_does_nothing(world, receiver):
    delivery = delivery_for(subscribe(receiver.url), transition_for(world.clause_unmonitored))
    assert webhook_deliver(delivery_id=delivery.pk, attempt=0).status == "delivered"
    assert webhook_deliver(delivery_id=delivery.pk, attempt=0).status == "delivered"
    assert len(receiver.requests) == 1


def test_redirects_are_not_followed(world, receiver):
    receiver.statuses = [302]
    delivery = delivery_for(subscribe(receiver.url), transition_for(world.clause_unmonitored))
    outcome = webhook_deliver(delivery_id=delivery.pk, attempt=0)
    assert outcome.status == "failed" and "redirects are not followed" in outcome.error
    assert len(receiver.requests) == 1
    assert "redirects are not followed" in delivery.attempt_log.get().error


def test_gone_switches_the_subscription_off(world, receiver):
    receiver.statuses = [410]
    subscription = subscribe(receiver.url)
    first = delivery_for(subscription, transition_for(world.clause_unmonitored))
    second = delivery_for(subscription, transition_for(world.clause_a, rule="clause.other"))

    outcome = webhook_deliver(delivery_id=first.pk, attempt=0)

    assert (outcome.status, outcome.retry_in, outcome.status_code) == ("gave_up", None, 410)
    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert webhook_deliver(delivery_id=second.pk, attempt=0).status == "gave_up"
    assert len(receiver.requests) == 1  # nothing more is sent to a switched-off subscription


def test_a_target_that_became_private_is_refused_at_delivery_time(world, receiver, settings):
    delivery = delivery_for(subscribe(receiver.url), transition_for(world.clause_unmonitored))
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    outcome = webhook_deliver(delivery_id=delivery.pk, attempt=0)

    assert outcome.status == "gave_up" and outcome.error.startswith("Refused:")
    assert receiver.requests == []
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code is None and "127.0.0.1" in attempt.error


def test_replay_sends_the_same_webhook_id_again_through_the_task(
    world, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver.url)
    delivery = delivery_for(subscription, transition_for(world.clause_unmonitored))
    webhook_deliver(delivery_id=delivery.pk, attempt=0)

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_replay(delivery=delivery)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.attempts_at_replay) == (
        "delivered",
        2,
        1,
    )
    assert delivery.replayed_at is not None
    first, again = receiver.requests
    assert first["headers"]["webhook-id"] == again["headers"]["webhook-id"]
    assert first["body"] == again["body"]
    assert signature_valid(subscription.secret, again["headers"], again["body"])
    assert delivery.attempt_log.count() == 2


def test_replay_after_giving_up_starts_a_new_run_of_attempts(world, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.statuses = [500, 500, 500]
    delivery = delivery_for(subscribe(receiver.url), transition_for(world.clause_unmonitored))
    webhook_deliver(delivery_id=delivery.pk, attempt=0)
    assert webhook_deliver(delivery_id=delivery.pk, attempt=1).status == "gave_up"

    assert webhook_replay(delivery=delivery)  # the task is not run: no on_commit here
    delivery.refresh_from_db()
    assert delivery.status == "pending"

    assert webhook_deliver(delivery_id=delivery.pk, attempt=2).retry_in == 10  # a fresh run
    assert webhook_deliver(delivery_id=delivery.pk, attempt=3).status == "delivered"


def test_requeue_rings_again_for_deliveries_never_picked_up(world, receiver):
    delivery = delivery_for(subscribe(receiver.url), transition_for(world.clause_unmonitored))
    assert webhook_deliveries_requeue() == 0  # just created: its own doorbell may still come
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )

    assert webhook_deliveries_requeue() == 1  # embedded mode: the task runs in-process

    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(receiver.requests) == 1
    assert webhook_deliveries_requeue() == 0


# --- the hook into alert transitions -------------------------------------------------------


def test_alerts_opened_by_the_rules_are_posted_after_commit(
    world, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        rules_run(trigger="command")

    opened = set(AlertTransition.objects.filter(kind="opened").values_list("pk", flat=True))
    assert opened
    events = receiver.events()
    assert sorted(e["data"]["transition"]["id"] for e in events) == sorted(opened)
    assert {e["type"] for e in events} == {"alert.opened"}
    assert all(
        signature_valid(subscription.secret, r["headers"], r["body"]) for r in receiver.requests
    )


def test_an_analysts_acknowledgement_is_posted(
    world, analyst, receiver, django_capture_on_commit_callbacks
):
    transition = transition_for(world.clause_unmonitored)
    subscribe(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        alert_set_state(alert=transition.alert, state="acknowledged", by=analyst)

    [event] = receiver.events()
    assert event["type"] == "alert.acknowledged"
    assert event["data"]["alert"]["state"] == "acknowledged"
    assert event["data"]["transition"]["from_state"] == "open"


def test_no_subscription_no_delivery(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rules_run(trigger="command")
    assert AlertTransition.objects.exists()
    assert not WebhookDelivery.objects.exists()


# --- the admin across roles ---------------------------------------------------------------


@pytest.fixture
def logged_delivery(world):
    subscription = subscribe("https://93.184.216.34/hook")
    delivery = delivery_for(subscription, transition_for(world.clause_unmonitored))
    WebhookAttempt.objects.create(
        delivery=delivery, at=timezone.now(), status_code=503, duration_ms=12
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="gave_up", attempts=1, last_status_code=503, last_error="HTTP 503"
    )
    return delivery


def add_form(url: str, secret: str = "") -> dict:
    return {
        "name": "Newsroom",
        "url": url,
        "secret": secret,
        "is_active": "on",
        "min_severity": "2",
        "rules": ["clause.unmonitored"],
    }


def test_administrator_adds_a_subscription_and_sees_the_secret_once(
    client_for, administrator, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client = client_for(administrator)
    response = client.post(
        reverse("admin:monitor_webhooksubscription_add"), add_form("https://93.184.216.34/hook")
    )
    assert response.status_code == 200, response.content
    subscription = WebhookSubscription.objects.get()
    assert secret_problem(subscription.secret) is None
    assert subscription.owner == administrator
    assert (subscription.min_severity, subscription.rules) == (2, ["clause.unmonitored"])
    assert subscription.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]

    page = client.get(reverse("admin:monitor_webhooksubscription_change", args=[subscription.pk]))
    assert page.status_code == 200
    assert subscription.secret not in page.content.decode()


def test_administrator_may_bring_a_secret_but_not_a_malformed_one(client_for, administrator):
    client = client_for(administrator)
    url = reverse("admin:monitor_webhooksubscription_add")
    refused = client.post(url, add_form("https://93.184.216.34/hook", "hunter2"))
    assert refused.status_code == 200 and "whsec_" in refused.content.decode()
    assert not WebhookSubscription.objects.exists()
    own = webhook_secret_generate()
    client.post(url, add_form("https://93.184.216.34/hook", own))
    assert WebhookSubscription.objects.get().secret == own


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/hook", "http://localhost/hook", "file:///etc/passwd"]
)
def test_the_admin_refuses_a_private_or_non_http_target(client_for, administrator, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    response = client_for(administrator).post(
        reverse("admin:monitor_webhooksubscription_add"), add_form(url)
    )
    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_analyst_reads_deliveries_but_changes_nothing(client_for, analyst, logged_delivery):
    client = client_for(analyst)
    listing = client.get(reverse("admin:monitor_webhookdelivery_changelist"))
    assert listing.status_code == 200
    assert "Replay selected deliveries" not in listing.content.decode()
    page = client.get(reverse("admin:monitor_webhookdelivery_change", args=[logged_delivery.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "HTTP 503" in body and "alert.opened" in body
    assert logged_delivery.subscription.secret not in body

    client.post(
        reverse("admin:monitor_webhookdelivery_changelist"),
        {"action": "replay", "_selected_action": [logged_delivery.pk]},
    )
    logged_delivery.refresh_from_db()
    assert logged_delivery.status == "gave_up" and logged_delivery.replayed_at is None

    assert client.get(reverse("admin:monitor_webhooksubscription_add")).status_code == 403
    subscription_page = client.get(
        reverse("admin:monitor_webhooksubscription_change", args=[logged_delivery.subscription_id])
    )
    assert subscription_page.status_code == 200
    assert logged_delivery.subscription.secret not in subscription_page.content.decode()
    client.post(
        reverse("admin:monitor_webhooksubscription_change", args=[logged_delivery.subscription_id]),
        {**add_form("https://93.184.216.34/other"), "name": "hijacked"},
    )
    assert WebhookSubscription.objects.get().name == "partner"


def test_administrator_replays_deliveries_from_the_admin(
    client_for, administrator, logged_delivery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(administrator).post(
            reverse("admin:monitor_webhookdelivery_changelist"),
            {"action": "replay", "_selected_action": [logged_delivery.pk]},
        )
    assert response.status_code == 302
    assert len(callbacks) == 1  # the delivery task, enqueued after commit
    logged_delivery.refresh_from_db()
    assert (logged_delivery.status, logged_delivery.attempts_at_replay) == ("pending", 1)


def test_nobody_edits_or_deletes_the_delivery_log(client_for, administrator, logged_delivery):
    client = client_for(administrator)
    url = reverse("admin:monitor_webhookdelivery_delete", args=[logged_delivery.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:monitor_webhookdelivery_add")).status_code == 403
    assert WebhookDelivery.objects.filter(pk=logged_delivery.pk).exists()


@pytest.mark.parametrize("persona", ["observer_a", "api_consumer", "outsider"])
def test_others_see_no_subscriptions_and_no_deliveries(
    request, client_for, logged_delivery, persona
):
    client = client_for(request.getfixturevalue(persona))
    for name in ["webhookdelivery_changelist", "webhooksubscription_changelist"]:
        assert client.get(reverse(f"admin:monitor_{name}")).status_code in (302, 403)
    page = reverse("admin:monitor_webhookdelivery_change", args=[logged_delivery.pk])
    assert client.get(page).status_code in (302, 403)
    response = client.post(
        reverse("admin:monitor_webhookdelivery_changelist"),
        {"action": "replay", "_selected_action": [logged_delivery.pk]},
    )
    assert response.status_code in (302, 403)
    logged_delivery.refresh_from_db()
    assert logged_delivery.replayed_at is None
