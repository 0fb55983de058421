"""Fault tests of /readyz and the logs against the real services: a real Redis, real Celery
workers (heartbeats every second) and PostgreSQL."""

import datetime as dt
import json
import time

import pytest
from django.urls import reverse

from reports.ingest.receive import payloads_requeue
from reports.models import InboundPayload
from tests.integration.conftest import wait_for
from tests.integration.test_ingest_workers import report_body

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fast_heartbeats(monkeypatch, settings):
    """Workers beat every second; /readyz calls one dead after three."""
    monkeypatch.setenv("WORKER_HEARTBEAT_INTERVAL", "1")
    settings.READY_WORKER_MAX_AGE = 3


def readyz(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    return response.status_code, response.json()


def worker_ready(client) -> bool:
    status, body = readyz(client)
    return status == 200 and body["checks"]["worker"]["status"] == "ok"


def test_readyz_sees_the_worker_and_reports_it_when_it_stops(client, start_worker, fast_heartbeats):
    worker = start_worker()
    wait_for(lambda: worker_ready(client), timeout=15, what="/readyz to see the worker")
    status, body = readyz(client)
    assert body["checks"]["worker"]["queues"] == {"ingest": 1, "notify": 1, "rules": 1}
    assert body["checks"]["worker"]["workers"][0]["hostname"].startswith("test0@")

    # Killed outright: nothing cleans up, the heartbeat goes stale.
    worker.kill()
    killed = time.monotonic()
    wait_for(lambda: readyz(client)[0] == 503, timeout=10, what="/readyz to report the dead worker")
    assert time.monotonic() - killed <= 3 + 2  # the max age, a beat, and a scheduling margin
    status, body = readyz(client)
    assert body["status"] == "fail"
    assert body["checks"]["worker"]["status"] == "fail"
    assert body["checks"]["broker"]["status"] == "ok"

    # Stopped cleanly: the worker withdraws its heartbeat, so /readyz knows at once.
    worker = start_worker()
    wait_for(lambda: worker_ready(client), timeout=15, what="/readyz to see the new worker")
    worker.stop()
    status, body = readyz(client)
    assert status == 503, body
    assert body["checks"]["worker"]["workers"] == []


def test_with_redis_stopped_readyz_fails_fast_and_the_api_still_accepts_reports(
    world, observer_a, client_for, broker, start_worker, fast_heartbeats
):
    client = client_for(observer_a)
    start_worker()
    wait_for(lambda: worker_ready(client), timeout=15, what="/readyz to see the worker")

    broker.stop()
    started = time.monotonic()
    status, body = readyz(client)
    assert time.monotonic() - started < 3
    assert status == 503
    assert body["checks"]["broker"]["status"] == "fail"
    assert body["checks"]["worker"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"

    started = time.monotonic()
    response = client.post(
        reverse("api:report-submit"), report_body("HEALTH-1", 5), content_type="application/json"
    )
    assert time.monotonic() - started < 10
    assert response.status_code == 202, response.content
    payload = InboundPayload.objects.get(pk=response.json()["payload_id"])
    assert payload.state == "received"  # stored; the sweep delivers it later

    # Redis comes back: the worker reconnects and beats again; the sweep delivers the payload.
    broker.start()
    wait_for(lambda: worker_ready(client), timeout=60, what="/readyz to recover")

    def swept_and_done() -> bool:
        payloads_requeue(older_than=dt.timedelta(0))  # what beat runs every minute
        payload.refresh_from_db()
        return payload.state == "done"

    wait_for(swept_and_done, timeout=60, what="the stored payload to be ingested")
    status, body = readyz(client)
    assert body["checks"]["backlog"]["pending"] == 0


def test_the_request_id_of_an_upload_is_on_the_workers_json_log_lines(
    world, observer_a, client_for, start_worker, monkeypatch
):
    monkeypatch.setenv("LOG_FORMAT", "json")
    worker = start_worker()
    response = client_for(observer_a).post(
        reverse("api:report-submit"),
        report_body("TRACE-1", 5),
        content_type="application/json",
        HTTP_X_REQUEST_ID="trace-upload-0001",
    )
    assert response.status_code == 202, response.content
    assert response["X-Request-ID"] == "trace-upload-0001"
    payload = InboundPayload.objects.get(pk=response.json()["payload_id"])

    def done() -> bool:
        payload.refresh_from_db()
        return payload.state == "done"

    wait_for(done, timeout=60, what="the worker to ingest the payload")
    assert any("ready" in line["message"] for line in _json_lines(worker)), worker.output()
    ingested = wait_for(
        lambda: [
            line
            for line in _json_lines(worker)
            if line["message"].startswith(f"payload {payload.pk} ingested")
        ],
        timeout=10,
        what="the worker's log line for the payload",
    )
    assert ingested[0]["request_id"] == "trace-upload-0001"
    assert ingested[0]["task_id"]
    assert ingested[0]["logger"] == "reports.ingest.process"

    def traced_tasks() -> set[str]:
        traced = [line for line in _json_lines(worker) if line["request_id"] == "trace-upload-0001"]
        return {line["task_id"] for line in traced}

    # The rule evaluation the ingest enqueued (another task) carries the id on too.
    tasks = wait_for(
        lambda: len(traced_tasks()) >= 2 and traced_tasks(),
        timeout=30,
        what="the follow-up task's lines to carry the request id",
    )
    assert ingested[0]["task_id"] in tasks


def _json_lines(worker) -> list[dict]:
    lines = []
    for raw in worker.log.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue  # Celery's start-up banner is printed, not logged
    return lines
