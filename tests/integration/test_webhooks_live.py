"""Webhooks through a real Redis broker and a real Celery worker on PostgreSQL, to a real
HTTP receiver on 127.0.0.1."""

import time

import pytest

from monitor.models import AlertTransition
from monitor.services import alert_set_state, rules_run
from notify.models import WebhookDelivery
from tests.integration.conftest import wait_for
from tests.notify.helpers import Receiver, signature_valid, subscribe, transition_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(settings, monkeypatch):
    # The worker inherits os.environ; this process reads Django settings.
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_TARGETS", "1")
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    server = Receiver().start()
    yield server
    server.stop()


def all_delivered(expected: int) -> bool:
    delivered = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DELIVERED)
    return delivered.count() == expected


def test_opened_alerts_reach_the_receiver_signed_and_exactly_once(world, receiver, start_worker):
    start_worker()
    subscription = subscribe(receiver.url)

    rules_run(trigger="command")

    opened = sorted(AlertTransition.objects.filter(kind="opened").values_list("pk", flat=True))
    assert opened, "the rules opened no alert in the test world"
    wait_for(lambda: all_delivered(len(opened)), timeout=60, what="every opened alert delivered")
    time.sleep(2)  # a duplicate, if any, would arrive by now
    events = receiver.events()
    assert sorted(e["data"]["transition"]["id"] for e in events) == opened
    assert {e["type"] for e in events} == {"alert.opened"}
    assert all(
        signature_valid(subscription.secret, r["headers"], r["body"]) for r in receiver.requests
    )
    webhook_ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert len(set(webhook_ids)) == len(opened)
    assert set(webhook_ids) == {
        str(i) for i in WebhookDelivery.objects.values_list("event_id", flat=True)
    }


def test_a_failed_delivery_is_retried_by_the_worker_with_the_same_webhook_id(
    world, analyst, receiver, start_worker
):
    start_worker()
    transition = transition_for(world.clause_unmonitored)
    subscribe(receiver.url, rules=[transition.alert.rule])
    receiver.statuses = [503]

    alert_set_state(alert=transition.alert, state="acknowledged", by=analyst)

    wait_for(lambda: all_delivered(1), timeout=60, what="the retry to be delivered")
    first, retry = receiver.requests
    assert first["headers"]["webhook-id"] == retry["headers"]["webhook-id"]
    assert first["body"] == retry["body"]
    waited = int(retry["headers"]["webhook-timestamp"]) - int(first["headers"]["webhook-timestamp"])
    assert waited >= 9  # the first backoff is 10 s
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 2
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [503, 200]
