"""Delivery with retries against a real local HTTP server, replays and the requeue."""

import datetime as dt
import json

from django.utils import timezone

from notify.models import WebhookAttempt, WebhookDelivery
from notify.services import webhook_deliver, webhook_deliveries_requeue, webhook_replay
from tests.notify.helpers import delivery_for, signature_valid, subscribe, transition_for


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
