"""The webhook admin across roles: who adds subscriptions, who sees the secret (once), who
reads and replays the delivery log."""

import pytest
from django.urls import reverse
from django.utils import timezone

from notify.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from notify.signing import secret_problem, webhook_secret_generate
from tests.notify.helpers import delivery_for, subscribe, transition_for


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
        reverse("admin:notify_webhooksubscription_add"), add_form("https://93.184.216.34/hook")
    )
    assert response.status_code == 200, response.content
    subscription = WebhookSubscription.objects.get()
    assert secret_problem(subscription.secret) is None
    assert subscription.owner == administrator
    assert (subscription.min_severity, subscription.rules) == (2, ["clause.unmonitored"])
    assert subscription.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]

    page = client.get(reverse("admin:notify_webhooksubscription_change", args=[subscription.pk]))
    assert page.status_code == 200
    assert subscription.secret not in page.content.decode()


def test_administrator_may_bring_a_secret_but_not_a_malformed_one(client_for, administrator):
    client = client_for(administrator)
    url = reverse("admin:notify_webhooksubscription_add")
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
        reverse("admin:notify_webhooksubscription_add"), add_form(url)
    )
    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_analyst_reads_deliveries_but_changes_nothing(client_for, analyst, logged_delivery):
    client = client_for(analyst)
    listing = client.get(reverse("admin:notify_webhookdelivery_changelist"))
    assert listing.status_code == 200
    assert "Replay selected deliveries" not in listing.content.decode()
    page = client.get(reverse("admin:notify_webhookdelivery_change", args=[logged_delivery.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "HTTP 503" in body and "alert.opened" in body
    assert logged_delivery.subscription.secret not in body

    client.post(
        reverse("admin:notify_webhookdelivery_changelist"),
        {"action": "replay", "_selected_action": [logged_delivery.pk]},
    )
    logged_delivery.refresh_from_db()
    assert logged_delivery.status == "gave_up" and logged_delivery.replayed_at is None

    assert client.get(reverse("admin:notify_webhooksubscription_add")).status_code == 403
    subscription_page = client.get(
        reverse("admin:notify_webhooksubscription_change", args=[logged_delivery.subscription_id])
    )
    assert subscription_page.status_code == 200
    assert logged_delivery.subscription.secret not in subscription_page.content.decode()
    client.post(
        reverse("admin:notify_webhooksubscription_change", args=[logged_delivery.subscription_id]),
        {**add_form("https://93.184.216.34/other"), "name": "hijacked"},
    )
    assert WebhookSubscription.objects.get().name == "partner"


def test_administrator_replays_deliveries_from_the_admin(
    client_for, administrator, logged_delivery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(administrator).post(
            reverse("admin:notify_webhookdelivery_changelist"),
            {"action": "replay", "_selected_action": [logged_delivery.pk]},
        )
    assert response.status_code == 302
    assert len(callbacks) == 1  # the delivery task, enqueued after commit
    logged_delivery.refresh_from_db()
    assert (logged_delivery.status, logged_delivery.attempts_at_replay) == ("pending", 1)


def test_nobody_edits_or_deletes_the_delivery_log(client_for, administrator, logged_delivery):
    client = client_for(administrator)
    url = reverse("admin:notify_webhookdelivery_delete", args=[logged_delivery.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:notify_webhookdelivery_add")).status_code == 403
    assert WebhookDelivery.objects.filter(pk=logged_delivery.pk).exists()


@pytest.mark.parametrize("persona", ["observer_a", "api_consumer", "outsider"])
def test_others_see_no_subscriptions_and_no_deliveries(
    request, client_for, logged_delivery, persona
):
    client = client_for(request.getfixturevalue(persona))
    for name in ["webhookdelivery_changelist", "webhooksubscription_changelist"]:
        assert client.get(reverse(f"admin:notify_{name}")).status_code in (302, 403)
    page = reverse("admin:notify_webhookdelivery_change", args=[logged_delivery.pk])
    assert client.get(page).status_code in (302, 403)
    response = client.post(
        reverse("admin:notify_webhookdelivery_changelist"),
        {"action": "replay", "_selected_action": [logged_delivery.pk]},
    )
    assert response.status_code in (302, 403)
    logged_delivery.refresh_from_db()
    assert logged_delivery.replayed_at is None
