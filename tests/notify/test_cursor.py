"""Dispatch reads committed alert transitions after a stored cursor (the database as a
queue): monitor's signal after commit only rings the doorbell, and beat's sweep covers a
doorbell that never rang."""

from monitor.models import Alert, AlertTransition
from monitor.services import alert_set_state, rules_run
from notify import receivers
from notify.models import DispatchCursor, WebhookDelivery
from notify.services import WEBHOOKS_CURSOR, transitions_dispatch
from notify.tasks import transitions_dispatch as transitions_dispatch_task
from tests.notify.helpers import subscribe, transition_for


def cursor() -> int:
    return DispatchCursor.objects.get(name=WEBHOOKS_CURSOR).last_id


def test_a_committed_transition_gets_one_delivery_and_a_second_run_adds_none(world, analyst):
    transition = transition_for(world.clause_unmonitored)
    subscription = subscribe("https://93.184.216.34/hook")
    alert_set_state(alert=transition.alert, state=Alert.State.ACKNOWLEDGED, by=analyst)
    acknowledged = AlertTransition.objects.get(kind="acknowledged")

    assert transitions_dispatch() == 1
    assert transitions_dispatch() == 0

    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.subscription, delivery.transition) == (subscription, acknowledged)
    assert cursor() == acknowledged.pk


def test_the_signal_rings_only_after_the_commit(world, analyst, django_capture_on_commit_callbacks):
    transition = transition_for(world.clause_unmonitored)
    subscribe("https://93.184.216.34/hook")
    with django_capture_on_commit_callbacks() as callbacks:
        alert_set_state(alert=transition.alert, state=Alert.State.ACKNOWLEDGED, by=analyst)
    assert not WebhookDelivery.objects.exists()  # not committed yet: nothing dispatched

    for callback in callbacks:
        callback()  # the commit: the signal rings, the eager task dispatches
    assert WebhookDelivery.objects.count() == 1


def test_a_lost_doorbell_is_covered_by_the_sweep(
    world, analyst, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(receivers, "enqueue", lambda *args, **kwargs: False)  # broker down
    transition = transition_for(world.clause_unmonitored)
    subscribe("https://93.184.216.34/hook")
    with django_capture_on_commit_callbacks(execute=True):
        alert_set_state(alert=transition.alert, state=Alert.State.ACKNOWLEDGED, by=analyst)
    assert not WebhookDelivery.objects.exists()

    assert transitions_dispatch_task.delay().get() == 1  # beat's periodic run
    assert WebhookDelivery.objects.count() == 1


def test_the_cursor_moves_without_subscriptions_so_a_new_one_gets_no_backlog(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rules_run(trigger="command")
    last = AlertTransition.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert last and cursor() == last

    subscribe("https://93.184.216.34/hook")
    assert transitions_dispatch() == 0


def test_dispatch_goes_through_every_batch(world):
    subscribe("https://93.184.216.34/hook")
    transition = transition_for(world.clause_unmonitored)
    DispatchCursor.objects.filter(name=WEBHOOKS_CURSOR).update(last_id=0)
    later = [
        AlertTransition.objects.create(
            alert=transition.alert, kind="evidence_added", to_state="open", severity=2, at=t.at
        )
        for t in [transition] * 4
    ]

    assert transitions_dispatch(batch=2) == 5
    assert cursor() == later[-1].pk
    assert WebhookDelivery.objects.count() == 5
