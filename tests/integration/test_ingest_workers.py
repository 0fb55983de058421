"""Ingestion through a real Redis broker, real Celery worker processes and PostgreSQL."""

import datetime as dt
import json
import threading
import time

import pytest
from django.db import connection
from django.urls import reverse

from reports.ingest.receive import payload_receive, payloads_requeue
from reports.models import InboundPayload, Observation, Report, ReportStatus
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

START = dt.datetime(2025, 2, 1, tzinfo=dt.UTC)


def report_body(external_id: str, observations: int, *, mission: str = "mission-a") -> bytes:
    rows = [
        {
            "kind": "violation" if i % 3 else "compliance",
            "clause": "test-ceasefire:1",
            "occurred_at": (START + dt.timedelta(minutes=i)).isoformat(),
            "place_name": "Shyrokyne",
            "latitude": 47.1,
            "longitude": 37.8,
            "quantity": i % 50,
            "grade": "B2",
        }
        for i in range(observations)
    ]
    return json.dumps(
        {
            "mission": mission,
            "external_id": external_id,
            "period": {
                "start": START.isoformat(),
                "end": (START + dt.timedelta(days=1)).isoformat(),
            },
            "observations": rows,
        }
    ).encode()


def states() -> dict[str, int]:
    counts: dict[str, int] = {}
    for state in InboundPayload.objects.values_list("state", flat=True):
        counts[state] = counts.get(state, 0) + 1
    return counts


def all_finished(expected: int) -> bool:
    finished = InboundPayload.objects.filter(state__in=["done", "rejected", "quarantined"])
    return finished.count() == expected


def test_twenty_reports_over_the_api_are_all_ingested_with_exact_counts(
    world, observer_a, client_for, start_worker
):
    start_worker(concurrency=2)
    client = client_for(observer_a)
    for n in range(20):
        response = client.post(
            reverse("api:report-submit"),
            report_body(f"API-{n:02d}", 50 + n),
            content_type="application/json",
        )
        assert response.status_code == 202, response.content
    wait_for(lambda: all_finished(20), timeout=90, what="20 payloads to be ingested")
    assert states() == {"done": 20}
    assert Report.objects.filter(status=ReportStatus.ACCEPTED).count() == 20
    assert Observation.objects.count() == sum(50 + n for n in range(20))


@pytest.mark.xdist_group("big-payloads")  # 150,000 rows: see test_worker_lease.py
def test_worker_killed_mid_payload_loses_nothing_and_doubles_nothing(
    world, observer_a, start_worker
):
    worker = start_worker(claim_timeout=5)
    body = report_body("BIG-1", 150_000)
    payload = payload_receive(
        body=body, content_type="application/json", format="json", channel="api", sender=observer_a
    ).payload
    wait_for(
        lambda: InboundPayload.objects.filter(pk=payload.pk, state="processing").exists(),
        timeout=60,
        what="the worker to claim the payload",
    )
    time.sleep(1.0)  # well inside parsing and writing of 150,000 rows
    worker.kill()
    payload.refresh_from_db()
    assert payload.state == "processing", "the payload finished before the kill; make it larger"
    assert Observation.objects.count() == 0  # the killed transaction left nothing behind

    start_worker(claim_timeout=5)
    # The dead worker's claim expires (5 s after it was taken), and then the sweep, what celery
    # beat runs every minute, requeues it.
    wait_for(lambda: payloads_requeue() >= 1, timeout=30, what="the sweep to requeue the claim")
    # A deadline, not a speed: 150,000 rows take ~40 s alone, minutes beside a parallel suite.
    wait_for(lambda: all_finished(1), timeout=300, what="the payload to be ingested again")
    payload.refresh_from_db()
    assert payload.state == "done", payload.last_error
    assert Observation.objects.count() == 150_000
    assert Report.objects.count() == 1
    assert payload.attempts == 2


def test_report_sent_while_redis_is_down_is_accepted_and_ingested_after_restart(
    world, observer_a, client_for, broker, start_worker
):
    worker = start_worker()
    broker.stop()
    client = client_for(observer_a)
    started = time.monotonic()
    response = client.post(
        reverse("api:report-submit"), report_body("DOWN-1", 10), content_type="application/json"
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 202, response.content
    assert elapsed < 10, f"the API held the request {elapsed:.1f} s while the broker was down"
    payload = InboundPayload.objects.get(pk=response.json()["payload_id"])
    assert payload.state == "received"  # stored, waiting for the doorbell

    broker.start()
    time.sleep(1)

    def swept_and_finished() -> bool:
        payloads_requeue(older_than=dt.timedelta(0))  # what celery beat runs every minute
        return all_finished(1)

    try:
        wait_for(
            swept_and_finished,
            timeout=60,
            what="the stored payload to be ingested after Redis came back",
        )
    except AssertionError:
        print(worker.output())
        raise
    payload.refresh_from_db()
    assert payload.state == "done"
    assert Observation.objects.count() == 10


def test_same_payload_sent_twice_concurrently_yields_one_report(
    world, observer_a, client_for, start_worker
):
    start_worker(concurrency=2)
    body = report_body("TWICE-1", 2_000)
    answers: list[int] = []

    def send() -> None:
        payload = payload_receive(
            body=body,
            content_type="application/json",
            format="json",
            channel="api",
            sender=observer_a,
        ).payload
        answers.append(payload.pk)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(lambda: all_finished(2), timeout=90, what="both payloads to finish")
    assert states() == {"done": 2}
    assert Report.objects.count() == 1
    assert Observation.objects.count() == 2_000
    results = [p.result for p in InboundPayload.objects.filter(pk__in=answers)]
    assert {r["report_id"] for r in results} == {Report.objects.get().pk}
    assert sum(bool(r.get("duplicate")) for r in results) == 1
