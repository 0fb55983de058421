"""A Redis that stops answering (SIGSTOP) must not hang the API (issue 12): gunicorn serves
the API as in production, with the rate limit counting in that Redis (CACHE_URL) and Celery
using it as broker. Reports posted meanwhile are answered 202 within seconds, stored, and
ingested exactly once after the Redis answers again."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from django.db import connection

from accounts.models import ApiToken
from accounts.services import api_token_issue
from reports.ingest.receive import payloads_requeue
from reports.models import InboundPayload, Observation, Report
from tests.integration.conftest import ROOT, _free_port, _port_open, wait_for
from tests.integration.test_ingest_workers import report_body

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROWS = 7


def _database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def web(broker, tmp_path) -> Iterator[str]:
    """gunicorn with production settings, its cache and broker on the test's own Redis."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "redis-hang-test-secret-key-not-for-production-use",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker.url,
        "CACHE_URL": broker.url.rsplit("/", 1)[0] + "/1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_TIMEOUT": "60",
    }
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: process.poll() is not None or _port_open(port),
            timeout=30,
            what="gunicorn to listen",
        )
        assert process.poll() is None, "gunicorn exited (its port taken meanwhile?)"
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        print(log.read_text(errors="replace")[-3000:])


def _call(request: urllib.request.Request) -> tuple[int, dict, float]:
    """Status, JSON body and seconds of one request to the local gunicorn."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local http)
            status, body = response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        status, body = error.code, json.loads(error.read() or b"{}")
    return status, body, time.monotonic() - started


def _post(base: str, token: str, external_id: str) -> tuple[int, dict, float]:
    return _call(
        urllib.request.Request(  # noqa: S310 (local http)
            f"{base}/api/v1/reports/",
            data=report_body(external_id, ROWS),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
    )


def _readyz(base: str) -> tuple[int, dict, float]:
    return _call(urllib.request.Request(f"{base}/readyz"))  # noqa: S310 (local http)


def _all_done(expected: int) -> bool:
    # What beat runs every INGEST_SWEEP_SECONDS (without waiting INGEST_REQUEUE_AFTER).
    payloads_requeue(older_than=dt.timedelta(0))
    return InboundPayload.objects.filter(state="done").count() == expected


def test_a_hung_redis_does_not_hang_the_api_and_nothing_is_lost_or_doubled(
    world, observer_a, broker, start_worker, web
):
    scope = ApiToken.Scope.WRITE_REPORTS
    _, token = api_token_issue(user=observer_a, name="field tool", scope=scope)
    worker = start_worker()
    status, body, _ = _post(web, token, "HANG-0")
    assert status == 202, body
    wait_for(lambda: _all_done(1), timeout=60, what="the first report to be ingested")

    os.kill(broker.process.pid, signal.SIGSTOP)
    try:
        answers = [_post(web, token, f"HANG-{n}") for n in range(1, 6)]
        ready = _readyz(web)
    finally:
        os.kill(broker.process.pid, signal.SIGCONT)

    print("while Redis hung:", [round(seconds, 1) for _, _, seconds in answers], "s per POST")
    for status, body, seconds in answers:
        assert status == 202, body
        assert seconds < 6, f"a request took {seconds:.1f} s while Redis hung"
    status, body, seconds = ready
    assert seconds < 5, f"/readyz took {seconds:.1f} s while Redis hung"
    assert status == 503, body
    assert body["checks"]["broker"]["status"] == "fail"
    assert body["checks"]["cache"]["status"] == "fail"

    try:
        wait_for(lambda: _all_done(6), timeout=120, what="every report to be ingested once")
    except AssertionError:
        print(list(InboundPayload.objects.values_list("pk", "state", "attempts", "last_error")))
        print(worker.output())
        raise
    assert Report.objects.count() == 6
    assert Observation.objects.count() == 6 * ROWS
    assert sorted(Report.objects.values_list("external_id", flat=True)) == [
        f"HANG-{n}" for n in range(6)
    ]
