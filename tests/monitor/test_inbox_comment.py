"""Comments on an alert: recorded in its history with the state unchanged, and skipped by
what publishes changes of state (the change feed, the webhooks, CAP)."""

import pytest
from django.core.exceptions import ValidationError

from monitor.formats.cap import alert_as_cap
from monitor.models import Alert, AlertTransition
from monitor.services import alert_comment, alert_set_state
from notify.models import DispatchCursor, WebhookDelivery
from notify.services import WEBHOOKS_CURSOR, transitions_dispatch
from tests.api.conftest import make_alert
from tests.notify.helpers import subscribe

FEED = "/api/v1/alerts/changes/"
Kind = AlertTransition.Kind


def test_a_comment_is_recorded_with_the_state_unchanged(world, analyst):
    alert = make_alert(world.clause_a, severity=3)
    alert_set_state(alert=alert, state=Alert.State.ACKNOWLEDGED, by=analyst)

    note = alert_comment(alert=alert, by=analyst, comment="  Asked the mission to confirm.  ")

    assert (note.kind, note.from_state, note.to_state) == (
        Kind.COMMENTED,
        "acknowledged",
        "acknowledged",
    )
    assert (note.by, note.comment, note.severity) == (analyst, "Asked the mission to confirm.", 3)
    alert.refresh_from_db()
    assert alert.state == Alert.State.ACKNOWLEDGED


def test_an_empty_comment_is_refused_and_records_nothing(world, analyst):
    alert = make_alert(world.clause_a)
    with pytest.raises(ValidationError):
        alert_comment(alert=alert, by=analyst, comment="   ")
    assert alert.transitions.count() == 1


def test_the_change_feed_skips_comments_and_its_cursor_passes_them(
    client_for, api_consumer, world, analyst
):
    alert = make_alert(world.clause_a, severity=3)
    client = client_for(api_consumer)
    first = client.get(FEED).json()
    assert [row["kind"] for row in first["results"]] == ["opened"]

    alert_comment(alert=alert, by=analyst, comment="A note.")
    quiet = client.get(FEED, {"cursor": first["next_cursor"]}).json()
    assert quiet["results"] == []
    assert quiet["has_more"] is False

    alert_comment(alert=alert, by=analyst, comment="Another note.")
    alert_set_state(alert=alert, state=Alert.State.ACKNOWLEDGED, by=analyst)
    after = client.get(FEED, {"cursor": quiet["next_cursor"]}).json()
    assert [row["kind"] for row in after["results"]] == ["acknowledged"]
    assert client.get(FEED, {"cursor": after["next_cursor"]}).json()["results"] == []


def test_the_change_feed_from_the_start_holds_no_comment(client_for, api_consumer, world, analyst):
    alert = make_alert(world.clause_a)
    for n in range(3):
        alert_comment(alert=alert, by=analyst, comment=f"Note {n}.")
    rows = client_for(api_consumer).get(FEED, {"limit": 1}).json()
    assert [row["kind"] for row in rows["results"]] == ["opened"]
    assert rows["has_more"] is False


def test_a_comment_makes_no_webhook_delivery_and_the_dispatch_cursor_passes_it(
    world, analyst, django_capture_on_commit_callbacks
):
    alert = make_alert(world.clause_a, severity=3)
    subscribe("https://93.184.216.34/hook")
    DispatchCursor.objects.update_or_create(
        name=WEBHOOKS_CURSOR, defaults={"last_id": alert.transitions.get().pk}
    )

    with django_capture_on_commit_callbacks():
        note = alert_comment(alert=alert, by=analyst, comment="A note.")
        assert transitions_dispatch() == 0

    assert not WebhookDelivery.objects.exists()
    assert DispatchCursor.objects.get(name=WEBHOOKS_CURSOR).last_id == note.pk


def test_a_comment_makes_no_cap_message(world, analyst):
    alert = make_alert(world.clause_a)
    opened = alert.transitions.get()
    alert_comment(alert=alert, by=analyst, comment="A note.")

    message = alert_as_cap(
        alert=alert,
        transitions=list(alert.transitions.all()),
        sender="monitor@example.org",
        base_url="https://example.org",
    )

    identifier = message.find("{urn:oasis:names:tc:emergency:cap:1.2}identifier")
    assert identifier is not None and identifier.text.endswith(f".{opened.pk}")
