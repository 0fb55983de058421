"""/healthz and /readyz: the embedded mode, a real Redis with worker heartbeats, a broker
that refuses or never answers, an old backlog and an overdue evaluation."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from monitor.models import EvaluationRun
from ops.heartbeat import broker_redis, heartbeat_write
from reports.models import Channel, InboundPayload
from tests.config.conftest import broker_at, closed_port_url

ALL_QUEUES = ["ingest", "notify", "rules"]


def payload(state: str = InboundPayload.State.RECEIVED, *, age_s: float = 0) -> InboundPayload:
    stored = InboundPayload.objects.create(
        body=b"{}",
        sha256="0" * 64,
        content_type="application/json",
        format="json",
        channel=Channel.API,
        state=state,
    )
    received = timezone.now() - dt.timedelta(seconds=age_s)
    InboundPayload.objects.filter(pk=stored.pk).update(received_at=received)
    return stored


def periodic_run(*, finished_ago_s: float, duration_s: float = 2) -> EvaluationRun:
    finished = timezone.now() - dt.timedelta(seconds=finished_ago_s)
    return EvaluationRun.objects.create(
        trigger=EvaluationRun.Trigger.PERIODIC,
        started_at=finished - dt.timedelta(seconds=duration_s),
        finished_at=finished,
        as_of=finished,
    )


def beat(server, *, queues=ALL_QUEUES, age_s: float = 0, hostname="w1@test") -> None:
    heartbeat_write(
        broker_redis(server.url),
        hostname=hostname,
        queues=queues,
        at=time.time() - age_s,
        ttl=600,
    )


# --- /healthz -------------------------------------------------------------------------------


def test_healthz_answers_without_touching_the_database_or_the_broker(client, mute_redis):
    # No django_db mark: any query would raise here. The broker never answers.
    with broker_at(mute_redis):
        started = time.monotonic()
        response = client.get("/healthz")
    assert time.monotonic() - started < 0.5
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert not response.cookies  # no session, no CSRF cookie


def test_healthz_takes_only_get_and_head(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


# --- /readyz, embedded mode -----------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_in_embedded_mode_is_ready_with_every_check_listed(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert set(checks) == {"database", "broker", "worker", "backlog", "evaluation"}
    assert checks["database"]["status"] == "ok"
    assert checks["broker"] == {"status": "ok", "mode": "embedded", **latency(checks["broker"])}
    assert checks["worker"]["mode"] == "embedded"
    assert checks["backlog"]["pending"] == 0
    assert checks["evaluation"]["mode"] == "embedded"  # no beat runs in the embedded mode
    assert all(isinstance(check["latency_ms"], float) for check in checks.values())
    assert body["critical"] == ["database", "broker", "worker"]


@pytest.mark.django_db
def test_readyz_gives_others_the_verdict_but_not_the_details(client, settings):
    settings.METRICS_TOKEN = "scrape-token"
    outside = client.get("/readyz", REMOTE_ADDR="203.0.113.9")
    assert outside.status_code == 200 and outside.json() == {"status": "ok"}
    with_token = client.get(
        "/readyz", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scrape-token"
    )
    assert set(with_token.json()["checks"]) >= {"database", "worker"}


def test_readyz_answers_503_to_others_too_when_not_ready(client):
    with broker_at(closed_port_url()):
        response = client.get("/readyz", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 503 and response.json() == {"status": "fail"}


def latency(check: dict) -> dict:
    return {"latency_ms": check["latency_ms"]}


@pytest.mark.django_db
def test_an_old_unprocessed_payload_warns_but_stays_ready(client, settings):
    settings.READY_BACKLOG_MAX_AGE = 300
    payload(age_s=30)
    payload(InboundPayload.State.DONE, age_s=3600)  # finished: not backlog
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["backlog"]["status"] == "ok"

    payload(InboundPayload.State.PROCESSING, age_s=900)
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "warn"
    backlog = body["checks"]["backlog"]
    assert backlog["status"] == "warn"
    assert backlog["pending"] == 2
    assert 890 < backlog["oldest_age_s"] < 960


@pytest.mark.django_db
def test_an_overdue_periodic_evaluation_warns(client, settings):
    settings.READY_EVALUATION_MAX_AGE = 600
    periodic_run(finished_ago_s=60)
    evaluation = client.get("/readyz").json()["checks"]["evaluation"]
    assert evaluation["status"] == "ok"
    assert 55 < evaluation["last_age_s"] < 120

    EvaluationRun.objects.all().delete()
    periodic_run(finished_ago_s=1200)
    EvaluationRun.objects.create(  # an ingest-triggered run does not stand in for beat
        trigger=EvaluationRun.Trigger.INGEST,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        as_of=timezone.now(),
    )
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "warn"
    assert response.json()["checks"]["evaluation"]["status"] == "warn"


# --- /readyz with a broker ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refused_broker_connection_is_a_quick_503(client):
    with broker_at(closed_port_url()):
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["broker"]["status"] == "fail"
    assert "Connection" in body["checks"]["broker"]["error"]
    assert body["checks"]["worker"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"
    assert elapsed < 2


@pytest.mark.django_db
def test_a_broker_that_never_answers_is_a_503_within_the_timeout(client, mute_redis):
    with broker_at(mute_redis):
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "fail"
    assert elapsed < 3, f"a mute broker held /readyz for {elapsed:.1f} s"


@pytest.mark.django_db
def test_a_fresh_heartbeat_on_every_queue_is_ready(client, live_redis, settings):
    settings.READY_WORKER_MAX_AGE = 60
    periodic_run(finished_ago_s=10)
    beat(live_redis, age_s=5)
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"
    worker = body["checks"]["worker"]
    assert worker["status"] == "ok"
    assert worker["queues"] == {"ingest": 1, "notify": 1, "rules": 1}
    assert worker["workers"][0]["hostname"] == "w1@test"


@pytest.mark.django_db
def test_no_heartbeat_at_all_is_a_503(client, live_redis):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "ok"
    assert response.json()["checks"]["worker"]["status"] == "fail"


@pytest.mark.django_db
def test_a_stale_heartbeat_is_a_503(client, live_redis, settings):
    settings.READY_WORKER_MAX_AGE = 60
    beat(live_redis, age_s=61)
    response = client.get("/readyz")
    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert worker["status"] == "fail"
    assert "60 s" in worker["error"]
    assert worker["workers"] == []

    settings.READY_WORKER_MAX_AGE = 120  # the same beat is recent enough under a longer limit
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_a_queue_without_a_live_worker_warns(client, live_redis):
    beat(live_redis, queues=["ingest", "rules"], hostname="w1@test")
    beat(live_redis, queues=["notify"], hostname="w2@test", age_s=3600)  # long dead
    response = client.get("/readyz")
    assert response.status_code == 200
    worker = response.json()["checks"]["worker"]
    assert worker["status"] == "warn"
    assert worker["queues"] == {"ingest": 1, "notify": 0, "rules": 1}
    assert "notify" in worker["error"]


@pytest.mark.django_db
def test_critical_checks_are_a_setting(client, settings):
    settings.READY_CRITICAL_CHECKS = ["database"]
    with broker_at(closed_port_url()):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "warn"
    assert response.json()["checks"]["broker"]["status"] == "fail"
