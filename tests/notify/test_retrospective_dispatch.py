"""Webhooks push alerts about the present; retrospective alerts (findings about a past date)
only to subscriptions that ask for them."""

import pytest
import time_machine
from django.urls import reverse

from monitor.models import AlertTransition
from monitor.services import rules_run
from notify.models import WebhookDelivery, WebhookSubscription
from notify.selectors import subscription_wants
from notify.services import transitions_dispatch
from tests.monitor.clocks_world import NOW, VIOLATIONS, clocks_world_build, retrospective_run
from tests.notify.helpers import subscribe


@pytest.mark.parametrize(
    ("include", "retrospective", "wanted"),
    [(False, False, True), (False, True, False), (True, True, True), (True, False, True)],
)
def test_a_subscription_takes_retrospective_alerts_only_when_it_asks(
    include, retrospective, wanted
):
    subscription = WebhookSubscription(min_severity=1, include_retrospective=include)
    assert (
        subscription_wants(
            subscription,
            agreement_ids=set(),
            agreement_id=7,
            rule=VIOLATIONS,
            severity=3,
            retrospective=retrospective,
        )
        is wanted
    )


@pytest.fixture
def retrospective_transitions(world):
    """Every transition of a retrospective run about 20 February 2022 on Minsk II."""
    with time_machine.travel(NOW, tick=False):
        clocks_world_build()
        retrospective_run(agreement_codes=["minsk-ii"])
    transitions = AlertTransition.objects.filter(alert__describes__isnull=False)
    assert transitions.exists()
    assert not AlertTransition.objects.filter(alert__describes__isnull=True).exists()
    return transitions


def test_dispatch_skips_retrospective_alerts_unless_the_subscription_opts_in(
    retrospective_transitions,
):
    present_only = subscribe("https://93.184.216.34/present")
    with_past = subscribe("https://93.184.216.34/past", include_retrospective=True)
    transitions_dispatch()
    assert not WebhookDelivery.objects.filter(subscription=present_only).exists()
    deliveries = WebhookDelivery.objects.filter(subscription=with_past)
    assert deliveries.count() == retrospective_transitions.count()
    payload = deliveries.get(transition__alert__rule=VIOLATIONS).payload
    alert = payload["data"]["alert"]
    assert alert["describes"] == "2022-02-20T23:59:59Z"
    assert alert["title"].startswith("As of 20 February 2022: ")


def test_a_live_alert_payload_describes_nothing(world):
    subscription = subscribe("https://93.184.216.34/present")
    rules_run(trigger="command")
    transitions_dispatch()
    payloads = WebhookDelivery.objects.filter(subscription=subscription)
    assert payloads.exists()
    assert {d.payload["data"]["alert"]["describes"] for d in payloads} == {None}


def test_the_admin_sets_include_retrospective(client_for, administrator):
    client = client_for(administrator)
    response = client.post(
        reverse("admin:notify_webhooksubscription_add"),
        {
            "name": "Archive desk",
            "url": "https://93.184.216.34/hook",
            "is_active": "on",
            "min_severity": "1",
            "include_retrospective": "on",
        },
    )
    assert response.status_code == 200, response.content[:500]
    subscription = WebhookSubscription.objects.get()
    assert subscription.include_retrospective is True
    change = reverse("admin:notify_webhooksubscription_change", args=[subscription.pk])
    page = client.get(change).content.decode()
    assert 'name="include_retrospective"' in page
    client.post(
        change,
        {"name": "Archive desk", "url": "https://93.184.216.34/hook", "min_severity": "1"},
    )
    subscription.refresh_from_db()
    assert subscription.include_retrospective is False
    listing = client.get(reverse("admin:notify_webhooksubscription_changelist")).content.decode()
    assert "present only" in listing
