"""/metrics: who may scrape it, and that the numbers it exposes are the database's (and the
broker's), read back with Prometheus' own parser."""

import datetime as dt
import time

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from monitor.models import Alert, AlertTransition, EvaluationRun
from notify.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from ops.heartbeat import broker_redis, heartbeat_write
from reports.models import Channel, InboundPayload
from tests.config.conftest import broker_at, closed_port_url

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-metrics-token"


def scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        assert family.documentation, f"{family.name} has no HELP text"
        assert family.name.startswith("accord_")
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


# --- access ---------------------------------------------------------------------------------


def test_loopback_may_scrape_by_default(client):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


def test_other_addresses_without_a_token_are_refused(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert b"accord_" not in response.content


def test_the_right_bearer_token_is_accepted_from_anywhere(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}", "REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", **auth).status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer "],
)
def test_a_missing_or_wrong_token_is_refused(client, settings, authorization):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", **extra).status_code == 403


def test_without_a_configured_token_no_token_opens_it(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    auth = {"HTTP_AUTHORIZATION": "Bearer ", "REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/metrics", **auth).status_code == 403


def test_a_wrong_token_is_refused_even_from_an_allowed_network(client, settings):
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 403


def test_the_network_allowlist(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "2001:db8::/32"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="11.0.0.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_behind_a_proxy_the_allowlist_checks_the_client_the_proxy_saw(client, settings):
    # The proxy runs on this machine: every request reaches us from loopback.
    settings.BEHIND_PROXY = True
    from_outside = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client.get("/metrics", **from_outside).status_code == 403
    # A client cannot put itself on the list: the proxy appends the address it saw, last.
    spoofed = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "127.0.0.1, 203.0.113.9"}
    assert client.get("/metrics", **spoofed).status_code == 403
    # A scraper on this machine, not through the proxy, is still let in.
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_the_network_setting_fails_loudly_on_a_bad_value(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from core.env import env_networks

    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8,not-a-network")
    with pytest.raises(ImproperlyConfigured, match="not-a-network"):
        env_networks("METRICS_ALLOWED_NETWORKS", [])
    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "")
    assert env_networks("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32"]) == []


# --- values ---------------------------------------------------------------------------------


def payload(state: str, *, latency_s: float | None = None) -> InboundPayload:
    stored = InboundPayload.objects.create(
        body=b"{}",
        sha256="0" * 64,
        content_type="application/json",
        format="json",
        channel=Channel.API,
        state=state,
    )
    if latency_s is not None:
        processed = timezone.now() - dt.timedelta(seconds=10)
        InboundPayload.objects.filter(pk=stored.pk).update(
            received_at=processed - dt.timedelta(seconds=latency_s), processed_at=processed
        )
    return stored


def test_payloads_by_state_and_ingest_latency(client):
    for state, latencies in {
        "received": [None],
        "processing": [None, None],
        "done": [1, 2, 3, 4, 100],
        "rejected": [5],
        "quarantined": [None, None],
    }.items():
        for latency in latencies:
            payload(state, latency_s=latency)
    old = payload("done", latency_s=1)  # finished outside the 15-minute window
    InboundPayload.objects.filter(pk=old.pk).update(
        processed_at=timezone.now() - dt.timedelta(hours=1)
    )

    samples = scrape(client)
    states = {"received": 1, "processing": 2, "done": 6, "rejected": 1, "quarantined": 2}
    for state, count in states.items():
        assert samples[("accord_payloads", (("state", state),))] == count
    assert samples[("accord_payloads_received_total", ())] == 12
    # Window: latencies 1, 2, 3, 4, 5, 100 s.
    assert samples[("accord_ingest_latency_window_payloads", ())] == 6
    assert samples[("accord_ingest_latency_seconds", (("quantile", "0.5"),))] == pytest.approx(3)
    assert samples[("accord_ingest_latency_seconds", (("quantile", "0.95"),))] == pytest.approx(100)
    assert samples[("accord_ingest_latency_seconds", (("quantile", "1.0"),))] == pytest.approx(100)


def test_no_latency_quantiles_without_recent_payloads(client):
    samples = scrape(client)
    assert samples[("accord_ingest_latency_window_payloads", ())] == 0
    assert not [key for key in samples if key[0] == "accord_ingest_latency_seconds"]
    assert samples[("accord_payloads", (("state", "done"),))] == 0


def alert(clause, *, severity: int, state: str) -> Alert:
    now = timezone.now()
    made = Alert.objects.create(
        rule="clause.unmonitored",
        fingerprint=f"metrics-{Alert.objects.count()}",
        clause=clause,
        agreement=clause.agreement,
        severity=severity,
        state=state,
        title="t",
        explanation="e",
        first_seen=now,
        last_seen=now,
        resolved_at=now if state == Alert.State.RESOLVED else None,
    )
    AlertTransition.objects.create(
        alert=made, kind="opened", to_state="open", severity=severity, at=now
    )
    return made


def test_alerts_by_state_and_severity(client, world):
    for severity, state in [
        (1, "open"),
        (3, "open"),
        (3, "open"),
        (4, "open"),
        (4, "acknowledged"),
        (2, "resolved"),
        (4, "resolved"),
    ]:
        alert(world.clause_a, severity=severity, state=state)
    samples = scrape(client)
    open_ = {"low": 1, "moderate": 0, "high": 2, "critical": 1}
    for severity, count in open_.items():
        assert samples[("accord_alerts_open", (("severity", severity),))] == count
    acknowledged = {"low": 0, "moderate": 0, "high": 0, "critical": 1}
    for severity, count in acknowledged.items():
        assert samples[("accord_alerts_acknowledged", (("severity", severity),))] == count


def test_webhook_deliveries_and_attempts(client, world):
    subscription = WebhookSubscription.objects.create(
        name="partner", url="https://partner.example/hook", secret="whsec_AAAA"
    )
    now = timezone.now()
    statuses = ["delivered", "delivered", "failed", "gave_up", "pending"]
    attempts = {"delivered": [500, 200], "failed": [None], "gave_up": [503, 502, None]}
    for index, status in enumerate(statuses):
        transition = alert(world.clause_a, severity=2, state="open").transitions.get()
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, transition=transition, payload={"n": index}, status=status
        )
        for code in attempts.get(status, []) if index < 4 else []:
            WebhookAttempt.objects.create(
                delivery=delivery, at=now, status_code=code, error="" if code else "refused"
            )
    samples = scrape(client)
    for status, count in {"delivered": 2, "failed": 1, "gave_up": 1, "pending": 1}.items():
        assert samples[("accord_webhook_deliveries", (("status", status),))] == count
    # delivered x2: 500 then 200 each; failed: a refusal; gave_up: 503, 502, a refusal.
    assert samples[("accord_webhook_attempts_total", (("outcome", "delivered"),))] == 2
    assert samples[("accord_webhook_attempts_total", (("outcome", "failed"),))] == 6


def test_the_last_evaluation_duration_by_trigger(client):
    finished = timezone.now() - dt.timedelta(minutes=1)
    for trigger, started_ago, duration in [
        ("periodic", 3600, 10.0),  # an older periodic run
        ("periodic", 70, 2.5),
        ("ingest", 65, 0.25),
    ]:
        started = timezone.now() - dt.timedelta(seconds=started_ago)
        EvaluationRun.objects.create(
            trigger=trigger,
            started_at=started,
            finished_at=started + dt.timedelta(seconds=duration),
            as_of=started,
        )
    EvaluationRun.objects.create(  # still running: no duration yet
        trigger="command", started_at=finished, as_of=finished
    )
    samples = scrape(client)
    duration = "accord_rule_evaluation_duration_seconds"
    assert samples[(duration, (("trigger", "periodic"),))] == pytest.approx(2.5)
    assert samples[(duration, (("trigger", "ingest"),))] == pytest.approx(0.25)
    assert (duration, (("trigger", "command"),)) not in samples
    last = samples[
        ("accord_rule_evaluation_last_finished_timestamp_seconds", (("trigger", "periodic"),))
    ]
    assert abs(last - (time.time() - 67.5)) < 5


def test_queue_depth_and_workers_from_the_broker(client, live_redis):
    redis = broker_redis(live_redis.url)
    redis.lpush("ingest", "m1", "m2", "m3")
    redis.lpush("notify", "m4")
    heartbeat_write(redis, hostname="a@test", queues=["ingest", "rules"], ttl=600)
    heartbeat_write(redis, hostname="b@test", queues=["ingest"], ttl=600)
    heartbeat_write(redis, hostname="c@test", queues=["notify"], at=time.time() - 3600, ttl=600)
    samples = scrape(client)
    assert samples[("accord_broker_up", ())] == 1
    for queue, depth in {"ingest": 3, "rules": 0, "notify": 1}.items():
        assert samples[("accord_queue_depth", (("queue", queue),))] == depth
    for queue, workers in {"ingest": 2, "rules": 1, "notify": 0}.items():
        assert samples[("accord_workers", (("queue", queue),))] == workers


def test_a_down_broker_is_reported_and_the_rest_still_served(client):
    payload("received")
    with broker_at(closed_port_url()):
        samples = scrape(client)
    assert samples[("accord_broker_up", ())] == 0
    assert not [key for key in samples if key[0] == "accord_queue_depth"]
    assert samples[("accord_payloads", (("state", "received"),))] == 1


def test_the_embedded_mode_has_no_broker_metrics(client):
    samples = scrape(client)
    assert ("accord_broker_up", ()) not in samples
    assert not [key for key in samples if key[0] in ("accord_queue_depth", "accord_workers")]


def test_a_scrape_costs_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    for _ in range(5):
        payload("done", latency_s=2)
        alert(world.clause_a, severity=3, state="open")
    # payloads, latency, three evaluation triggers, alerts, deliveries, attempts
    with django_assert_num_queries(8):
        scrape(client)
