"""Dispatch: the subscriptions' filters, one delivery per subscription and transition, the
owner's reach, the body, and the hook into alert transitions (the cursor after commit)."""

import pytest

from monitor.models import AlertTransition
from monitor.services import alert_set_state, rules_run
from notify.models import WebhookDelivery, WebhookSubscription
from notify.selectors import subscription_wants
from notify.services import webhooks_dispatch
from tests.factories import AgreementFactory, ClauseFactory
from tests.notify.helpers import delivery_for, signature_valid, subscribe, transition_for

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
