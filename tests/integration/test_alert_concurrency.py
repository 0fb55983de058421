"""Two evaluations at the same moment on PostgreSQL: one live alert per condition, no errors."""

import threading
from collections import Counter

import pytest
from django.db import connection

from monitor.models import Alert, AlertTransition, EvaluationRun
from monitor.services import rules_run
from tests.factories import ClauseFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROUNDS = 3
NEW_CLAUSES_PER_ROUND = 20  # each unmonitored: twenty new conditions for both runs to race on


def run_together(runs: int = 2) -> list[BaseException]:
    """Start ``runs`` rules_run calls in threads released at the same instant."""
    barrier = threading.Barrier(runs)
    errors: list[BaseException] = []

    def evaluate() -> None:
        try:
            barrier.wait(timeout=30)
            rules_run(trigger=EvaluationRun.Trigger.PERIODIC)
        except BaseException as exc:  # noqa: BLE001 - reported by the test, whatever it is
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=evaluate) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a rules run did not finish"
    return errors


def test_concurrent_rules_runs_leave_exactly_one_live_alert_per_fingerprint(world):
    for round_ in range(1, ROUNDS + 1):
        ClauseFactory.create_batch(NEW_CLAUSES_PER_ROUND, agreement=world.agreement)

        assert run_together() == []

        live = Counter(
            Alert.objects.exclude(state=Alert.State.RESOLVED).values_list("fingerprint", flat=True)
        )
        assert live and max(live.values()) == 1
        assert Alert.objects.count() == len(live)  # nothing cleared, so nothing resolved
        unmonitored = Alert.objects.filter(rule="clause.unmonitored").count()
        assert unmonitored == 1 + round_ * NEW_CLAUSES_PER_ROUND
        opened = Counter(
            AlertTransition.objects.filter(kind=AlertTransition.Kind.OPENED).values_list(
                "alert_id", flat=True
            )
        )
        assert set(opened.values()) == {1} and len(opened) == len(live)
        runs = EvaluationRun.objects.filter(trigger=EvaluationRun.Trigger.PERIODIC)
        assert runs.count() == 2 * round_
        assert sum(runs.values_list("opened", flat=True)) == len(live)
