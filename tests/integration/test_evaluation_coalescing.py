"""Evaluation requests through a real Redis broker, real Celery workers (one for the ingest
queue, one for the rules queue) and PostgreSQL: a burst of reports is one doorbell and one
rule run, not a task per report."""

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
import redis
from django.db import connection
from django.utils import timezone

from monitor.models import Alert, EvaluationRequest, EvaluationRun
from reports.ingest.receive import payload_receive
from reports.models import InboundPayload
from tests.integration.conftest import ROOT, Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REPORTS = 15


@pytest.fixture
def queue_worker(broker, tmp_path):
    """Start a worker for one queue, against the test database and the test broker."""
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    workers: list[Worker] = []

    def start(queue: str) -> Worker:
        log = tmp_path / f"worker-{queue}.log"
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker"),
                *("-Q", queue, "-c", "1", "--without-gossip", "--without-mingle"),
                *("--loglevel=INFO", "-n", f"{queue}@%h"),
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url,
                "CELERY_BROKER_URL": broker.url,
                "DJANGO_SETTINGS_MODULE": "config.settings",
            },
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        worker = Worker(process, log)
        workers.append(worker)
        wait_for(
            lambda: "ready" in log.read_text(errors="replace") or process.poll() is not None,
            timeout=60,
            what=f"the {queue} worker to start",
        )
        assert process.poll() is None, worker.output()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def report_body(n: int, clause: str) -> bytes:
    occurred = timezone.now() - dt.timedelta(days=2, minutes=n)
    return json.dumps(
        {
            "mission": "mission-a",
            "external_id": f"burst-{n}",
            "period": {
                "start": (occurred - dt.timedelta(hours=1)).isoformat(),
                "end": (occurred + dt.timedelta(hours=1)).isoformat(),
            },
            "observations": [
                {
                    "kind": "violation",
                    "clause": clause,
                    "occurred_at": occurred.isoformat(),
                    "place_name": "Shyrokyne",
                }
            ],
        }
    ).encode()


def test_a_burst_of_reports_rings_once_and_is_evaluated_in_one_run(world, queue_worker, broker):
    world.mechanism_a.clauses.add(world.clause_b)
    queue_worker("ingest")
    for n in range(REPORTS):
        payload_receive(
            body=report_body(n, "test-ceasefire:1" if n % 2 else "test-ceasefire:2"),
            content_type="application/json",
            format="json",
            channel="api",
            sender=None,
        )
    wait_for(
        lambda: InboundPayload.objects.filter(state="done").count() == REPORTS,
        timeout=120,
        what="the reports to be ingested",
    )

    # Before any rules worker: one request holds the whole burst, one doorbell waits.
    request = EvaluationRequest.objects.get()
    assert (request.state, request.requests) == ("pending", REPORTS)
    assert request.clause_ids == sorted([world.clause_a.pk, world.clause_b.pk])
    assert redis.Redis.from_url(broker.url).llen("rules") == 1

    queue_worker("rules")
    wait_for(
        lambda: not EvaluationRequest.objects.exists(),
        timeout=120,
        what="the rules worker to run the request",
    )

    run = EvaluationRun.objects.get(trigger=EvaluationRun.Trigger.INGEST)
    assert run.summary["requests"] == REPORTS
    alerted = Alert.objects.filter(rule="clause.violation_recorded", state="open")
    assert set(alerted.values_list("clause_id", flat=True)) == {
        world.clause_a.pk,
        world.clause_b.pk,
    }
