"""The change feed under concurrent writers on PostgreSQL: a transition committed late is
never skipped by a consumer that already holds a cursor.

Ids are drawn at insert, rows become visible at commit. Without the transition lock
(monitor.services._lock), writer W1 could draw id n, writer W2 draw n+1 and commit first; a
consumer reading then would move its cursor to n+1 and never see n. With the lock W2 waits
for W1, so ids become visible in order.
"""

import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client

from monitor import services
from monitor.models import Alert, AlertTransition
from monitor.services import alert_set_state
from tests.api.conftest import make_alert

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FEED = "/api/v1/alerts/changes/"
TIMEOUT = 20


def _feed(client: Client, cursor: str) -> dict:
    response = client.get(FEED, {"cursor": cursor} if cursor else {})
    assert response.status_code == 200, response.content[:300]
    return response.json()


def _drain(client: Client, cursor: str = "") -> tuple[list[int], str]:
    seen: list[int] = []
    while True:
        page = _feed(client, cursor)
        seen += [row["id"] for row in page["results"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return seen, cursor


def _advisory_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
        )
        return cursor.fetchone()[0]


class Writer(threading.Thread):
    """Moves an alert through the service in a thread of its own (own connection)."""

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
                if self.hold is not None:  # keep the transaction, and the lock, open
                    assert self.hold.wait(TIMEOUT), "never released"
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            self.error = exc
        finally:
            connection.close()


@pytest.fixture
def consumer_client(api_consumer) -> Client:
    client = Client()
    client.force_login(api_consumer)
    return client


@pytest.fixture
def two_alerts(world):
    return make_alert(world.clause_a, severity=3), make_alert(world.clause_b, severity=2)


def test_a_late_commit_is_seen_by_a_consumer_that_kept_its_cursor(
    consumer_client, analyst, two_alerts
):
    first_alert, second_alert = two_alerts
    before, cursor = _drain(consumer_client)
    release = threading.Event()
    w1 = Writer(alert=first_alert, by=analyst, hold=release)
    w2 = Writer(alert=second_alert, by=analyst)
    try:
        w1.start()
        assert w1.wrote.wait(TIMEOUT), w1.error
        # W1 has drawn its transition id and holds its transaction open. W2 now writes too.
        w2.start()
        deadline = time.monotonic() + TIMEOUT
        while _advisory_waiters() < 1:
            assert time.monotonic() < deadline, f"W2 never waited on the lock ({w2.error})"
            time.sleep(0.05)
        assert not w2.wrote.is_set()  # blocked on the transition lock, no id drawn

        # The consumer reads meanwhile: nothing is visible, so its cursor stays put.
        page = _feed(consumer_client, cursor)
        assert page["results"] == [] and page["has_more"] is False
        cursor = page["next_cursor"]
    finally:
        release.set()
        w1.join(TIMEOUT)
        w2.join(TIMEOUT)
    assert not w1.is_alive() and not w2.is_alive()
    assert (w1.error, w2.error) == (None, None)

    after, cursor = _drain(consumer_client, cursor)

    assert w1.transition_id < w2.transition_id
    assert after == [w1.transition_id, w2.transition_id]
    assert before + after == list(
        AlertTransition.objects.order_by("id").values_list("id", flat=True)
    )
    assert _feed(consumer_client, cursor)["results"] == []


def test_without_the_lock_the_same_interleaving_skips_the_late_commit(
    consumer_client, analyst, two_alerts, monkeypatch
):
    """The control: the scenario above really is the late-commit race, and _lock is what
    closes it. With the lock switched off the consumer loses W1's transition."""
    monkeypatch.setattr(services, "_lock", lambda: None)
    first_alert, second_alert = two_alerts
    _, cursor = _drain(consumer_client)
    release = threading.Event()
    w1 = Writer(alert=first_alert, by=analyst, hold=release)
    w2 = Writer(alert=second_alert, by=analyst)
    try:
        w1.start()
        assert w1.wrote.wait(TIMEOUT), w1.error
        w2.start()
        w2.join(TIMEOUT)  # nothing stops W2 now: it commits a higher id first
        assert w2.error is None and w2.transition_id > w1.transition_id
        seen, cursor = _drain(consumer_client, cursor)
        assert seen == [w2.transition_id]
    finally:
        release.set()
        w1.join(TIMEOUT)
    assert w1.error is None

    late, _ = _drain(consumer_client, cursor)

    assert late == []  # W1's transition, committed last with the lower id, is never seen
    assert AlertTransition.objects.filter(pk=w1.transition_id).exists()
