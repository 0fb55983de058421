"""Webhook dispatch reads alert transitions after a cursor, on PostgreSQL with concurrent
writers: a transition still uncommitted while a dispatch runs is taken by the next run,
never skipped (notify.services.transitions_dispatch says why)."""

import threading
import time

import pytest
from django.db import connection, transaction

from monitor.models import Alert, AlertTransition
from monitor.services import alert_set_state
from notify import receivers
from notify.models import DispatchCursor, WebhookDelivery
from notify.services import WEBHOOKS_CURSOR, transitions_dispatch
from tests.notify.helpers import subscribe, transition_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20


class Writer(threading.Thread):
    """Acknowledges an alert through the service in a thread of its own (own connection),
    keeping its transaction open until ``hold`` is set."""

    def __init__(self, *, alert: Alert, by, hold: threading.Event | None = None):
        super().__init__(daemon=True)
        self.alert, self.by, self.hold = alert, by, hold
        self.wrote = threading.Event()
        self.transition_id: int | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with transaction.atomic():
                alert_set_state(alert=self.alert, state=Alert.State.ACKNOWLEDGED, by=self.by)
                self.transition_id = (
                    AlertTransition.objects.filter(alert=self.alert).order_by("-id").first().pk
                )
                self.wrote.set()
                if self.hold is not None:
                    assert self.hold.wait(TIMEOUT), "never released"
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            self.error = exc
        finally:
            connection.close()


def _advisory_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
        )
        return cursor.fetchone()[0]


def _delivered_transitions() -> list[int]:
    return sorted(WebhookDelivery.objects.values_list("transition_id", flat=True))


def test_a_transition_committed_after_a_dispatch_run_is_taken_by_the_next(
    world, analyst, monkeypatch
):
    # No doorbell after the writers' commits: the runs below are the only dispatches.
    monkeypatch.setattr(receivers, "enqueue", lambda *args, **kwargs: False)
    held = transition_for(world.clause_unmonitored).alert
    queued = transition_for(world.clause_a, rule="clause.other").alert
    committed = transition_for(world.clause_b, rule="clause.third")
    DispatchCursor.objects.filter(name=WEBHOOKS_CURSOR).update(last_id=committed.pk - 1)
    subscribe("https://93.184.216.34/hook")

    hold = threading.Event()
    first = Writer(alert=held, by=analyst, hold=hold)  # draws its id, does not commit yet
    first.start()
    assert first.wrote.wait(TIMEOUT), first.error
    second = Writer(alert=queued, by=analyst)  # would draw a higher id: waits for the lock
    second.start()
    deadline = time.monotonic() + TIMEOUT
    while _advisory_waiters() < 1:
        assert time.monotonic() < deadline, "the second writer never waited for the lock"
        time.sleep(0.05)

    assert transitions_dispatch() == 1  # only what is committed; it does not wait
    assert _delivered_transitions() == [committed.pk]

    hold.set()
    for writer in (first, second):
        writer.join(TIMEOUT)
        assert not writer.is_alive() and writer.error is None, writer.error
    assert first.transition_id < second.transition_id

    assert transitions_dispatch() == 2
    assert _delivered_transitions() == [committed.pk, first.transition_id, second.transition_id]
    assert transitions_dispatch() == 0
