"""Claims that follow the worker (issue 12): a payload whose worker dies is claimed again
within the lease, a live worker keeps its lease however long the payload takes, a payload
that keeps killing its pool process is quarantined, and pool processes run under a memory
ceiling. Real Redis, real Celery workers, PostgreSQL."""

import os
import signal
import time
from pathlib import Path

import pytest

from reports.ingest.receive import payload_receive, payloads_requeue
from reports.models import InboundPayload, Observation, Report
from tests.integration.conftest import wait_for
from tests.integration.test_ingest_workers import report_body

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    # Each parses and writes 150,000 rows: in parallel, they would starve one another's
    # heartbeats on a small machine, so they take turns in one test process.
    pytest.mark.xdist_group("big-payloads"),
]
CEILING = 600  # INGEST_CLAIM_TIMEOUT: far beyond these tests, so only a lease can expire


@pytest.fixture
def short_leases(monkeypatch):
    """Workers renew every second a lease of LEASE seconds."""

    def use(seconds: int) -> None:
        monkeypatch.setenv("INGEST_LEASE_SECONDS", str(seconds))
        monkeypatch.setenv("WORKER_HEARTBEAT_INTERVAL", "1")

    return use


def _send(observer, external_id: str, rows: int) -> InboundPayload:
    body = report_body(external_id, rows)
    return payload_receive(
        body=body, content_type="application/json", format="json", channel="api", sender=observer
    ).payload


def _processing(payload: InboundPayload) -> InboundPayload | None:
    return InboundPayload.objects.filter(pk=payload.pk, state="processing").first()


def _sweep_until_final(payload: InboundPayload, *, timeout: float) -> InboundPayload:
    """Run the sweep (beat's job) every second until the payload reaches a final state."""

    def final() -> InboundPayload | None:
        payloads_requeue()
        payload.refresh_from_db()
        return payload if payload.state in ("done", "rejected", "quarantined") else None

    return wait_for(final, timeout=timeout, what=f"payload {payload.pk} to finish")


def test_a_killed_workers_payload_is_finished_by_another_within_a_minute(
    world, observer_a, start_worker, short_leases
):
    short_leases(10)
    workers = [start_worker(claim_timeout=CEILING), start_worker(claim_timeout=CEILING)]
    payload = _send(observer_a, "LEASE-1", 150_000)
    holder = wait_for(
        lambda: (p := _processing(payload)) and p.claimed_by,
        timeout=60,
        what="a worker to claim the payload",
    )
    time.sleep(1.0)  # inside parsing and writing 150,000 rows
    workers[int(holder.split("@")[0].removeprefix("test"))].kill()
    died = time.monotonic()
    assert _processing(payload), "the payload finished before the kill; make it larger"
    assert Observation.objects.count() == 0

    _wait_claimed_by_another(payload, holder)
    reclaimed = time.monotonic() - died
    payload = _sweep_until_final(payload, timeout=180)
    assert payload.state == "done", payload.last_error
    assert reclaimed < 10 + 15, f"the payload waited {reclaimed:.0f} s for another worker"
    assert (payload.attempts, payload.crashes) == (2, 1)
    assert payload.claimed_by.split("@")[0] != holder.split("@")[0]
    assert Report.objects.count() == 1
    assert Observation.objects.count() == 150_000
    print(f"claimed again {reclaimed:.1f} s after the kill (lease 10 s, sweep every 1 s)")


def test_a_live_worker_keeps_its_lease_however_long_the_payload_takes(
    world, observer_a, start_worker, short_leases
):
    short_leases(3)
    start_worker(concurrency=2, claim_timeout=CEILING)
    payload = _send(observer_a, "LEASE-2", 150_000)
    wait_for(lambda: _processing(payload), timeout=60, what="a worker to claim the payload")
    started = time.monotonic()
    # A deadline, not a speed: 150,000 rows take ~40 s alone, minutes beside a parallel suite.
    payload = _sweep_until_final(payload, timeout=300)
    assert time.monotonic() - started > 3, "finished within one lease; make it larger"
    assert payload.state == "done", payload.last_error
    assert (payload.attempts, payload.crashes) == (1, 0)
    assert Observation.objects.count() == 150_000


def test_a_payload_that_keeps_killing_its_pool_process_is_quarantined(
    world, observer_a, start_worker, short_leases
):
    short_leases(3)
    worker = start_worker(claim_timeout=CEILING)
    payload = _send(observer_a, "CRASH-1", 150_000)
    for _ in range(2):  # as the kernel's OOM killer would, twice
        holder = wait_for(
            lambda: (p := _processing(payload)) and p.claimed_by,
            timeout=30,
            what="the payload to be claimed",
        )
        os.kill(int(holder.rpartition(":")[2]), signal.SIGKILL)
        _wait_claimed_by_another(payload, holder)

    payload.refresh_from_db()
    assert payload.state == "quarantined", (payload.state, payload.last_error)
    assert payload.last_error.startswith("the worker stopped 2 times while processing")
    assert worker.process.poll() is None  # the worker itself lives on and takes more work
    healthy = _send(observer_a, "CRASH-2", 5)
    assert _sweep_until_final(healthy, timeout=60).state == "done"


def _wait_claimed_by_another(payload: InboundPayload, holder: str) -> None:
    def moved_on() -> bool:
        payloads_requeue()
        payload.refresh_from_db()
        return payload.state == "quarantined" or payload.claimed_by not in ("", holder)

    wait_for(moved_on, timeout=60, what="the payload to be claimed again or quarantined")


def test_pool_processes_run_under_the_memory_ceiling(start_worker, monkeypatch):
    monkeypatch.setenv("INGEST_WORKER_MEMORY_MB", "700")
    worker = start_worker(concurrency=2)
    children = Path(f"/proc/{worker.process.pid}/task/{worker.process.pid}/children")
    pids = wait_for(lambda: children.read_text().split(), timeout=10, what="pool processes")
    for pid in pids:
        limits = Path(f"/proc/{pid}/limits").read_text()
        line = next(row for row in limits.splitlines() if row.startswith("Max address space"))
        assert line.split()[3] == str(700 * 1024 * 1024), line
