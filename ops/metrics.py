"""Prometheus metrics at ``/metrics``, computed at scrape time from the database and the
broker, so every web process answers the same whatever process did the work.

A fixed handful of queries per scrape. Access: ``Authorization: Bearer $METRICS_TOKEN``, or a
client address inside ``METRICS_ALLOWED_NETWORKS`` (default: loopback only); anything else
gets 403. An explicit wrong token is refused even from an allowed network.
"""

import datetime as dt
import math
import time

import redis
from django.conf import settings
from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from core.security import monitoring_allowed
from ops.health import broker_client, queue_names
from ops.heartbeat import heartbeats_read

LATENCY_WINDOW = dt.timedelta(minutes=15)
LATENCY_SAMPLE = 10_000  # the newest payloads of the window, at most
QUANTILES = (0.5, 0.95, 1.0)


def _payloads():
    from reports.models import InboundPayload

    counts = dict(InboundPayload.objects.order_by().values_list("state").annotate(n=Count("id")))
    by_state = GaugeMetricFamily(
        "accord_payloads", "Inbound payloads by current state.", labels=["state"]
    )
    for state in InboundPayload.State.values:
        by_state.add_metric([state], counts.get(state, 0))
    yield by_state
    yield CounterMetricFamily(
        "accord_payloads_received", "Inbound payloads ever stored.", value=sum(counts.values())
    )


def _ingest_latency():
    from reports.models import InboundPayload

    since = timezone.now() - LATENCY_WINDOW
    rows = (
        InboundPayload.objects.filter(processed_at__gte=since)
        .order_by("-processed_at")
        .values_list("received_at", "processed_at")[:LATENCY_SAMPLE]
    )
    latencies = sorted(max(0.0, (done - received).total_seconds()) for received, done in rows)
    gauge = GaugeMetricFamily(
        "accord_ingest_latency_seconds",
        "Seconds from a payload's arrival to its outcome (done, rejected or quarantined), "
        "over the payloads finished in the last 15 minutes.",
        labels=["quantile"],
    )
    if latencies:
        for q in QUANTILES:
            gauge.add_metric([str(q)], _nearest_rank(latencies, q))
    yield gauge
    yield GaugeMetricFamily(
        "accord_ingest_latency_window_payloads",
        "Payloads finished in the last 15 minutes (the latency quantiles' sample).",
        value=len(latencies),
    )


def _nearest_rank(ordered: list[float], q: float) -> float:
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _broker():
    client = broker_client()
    if client is None:  # embedded mode: no queues, no workers
        return
    up = GaugeMetricFamily("accord_broker_up", "1 if the broker's Redis answered.")
    try:
        with client.pipeline(transaction=False) as pipe:
            names = queue_names()
            for name in names:
                pipe.llen(name)
            depths = pipe.execute()
        beats = heartbeats_read(client)
    except redis.RedisError:
        up.add_metric([], 0)
        yield up
        return
    finally:
        client.close()
    up.add_metric([], 1)
    yield up
    depth = GaugeMetricFamily(
        "accord_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"]
    )
    for name, value in zip(names, depths, strict=True):
        depth.add_metric([name], value)
    yield depth
    now = time.time()
    live = [b for b in beats if b.age(now) <= settings.READY_WORKER_MAX_AGE]
    workers = GaugeMetricFamily(
        "accord_workers", "Workers with a recent heartbeat, by queue consumed.", labels=["queue"]
    )
    for name in names:
        workers.add_metric([name], sum(name in b.queues for b in live))
    yield workers


def _evaluations():
    from monitor.models import EvaluationRun

    duration = GaugeMetricFamily(
        "accord_rule_evaluation_duration_seconds",
        "Duration of the last finished rule evaluation, by trigger.",
        labels=["trigger"],
    )
    finished = GaugeMetricFamily(
        "accord_rule_evaluation_last_finished_timestamp_seconds",
        "When the last rule evaluation finished (Unix time), by trigger.",
        labels=["trigger"],
    )
    for trigger in EvaluationRun.Trigger.values:
        last = (
            EvaluationRun.objects.filter(trigger=trigger, finished_at__isnull=False)
            .order_by("-started_at")
            .values_list("started_at", "finished_at")
            .first()
        )
        if last:
            duration.add_metric([trigger], (last[1] - last[0]).total_seconds())
            finished.add_metric([trigger], last[1].timestamp())
    yield duration
    yield finished


def _alerts():
    from monitor.models import Alert, Severity

    # One query for both clocks: live alerts (``describes`` empty) feed the per-state gauges, a
    # backfill's findings about past dates (retrospective alerts) are counted apart; they are
    # not today's workload.
    past = ExpressionWrapper(Q(describes__isnull=False), output_field=BooleanField())
    rows = (
        Alert.objects.filter(state__in=Alert.LIVE_STATES)
        .annotate(past=past)
        .order_by()
        .values("state", "severity", "past")
        .annotate(n=Count("id"))
        .values_list("state", "severity", "past", "n")
    )
    counts: dict[tuple[str, int], int] = {}
    retrospective = 0
    for state, severity, was_past, n in rows:
        if was_past:
            retrospective += n
        else:
            counts[(state, severity)] = n
    for state in Alert.LIVE_STATES:
        gauge = GaugeMetricFamily(
            f"accord_alerts_{state}",
            f"Live alerts currently {state}, by severity (retrospective ones not included).",
            labels=["severity"],
        )
        for severity in Severity:
            gauge.add_metric([severity.name.lower()], counts.get((state, severity.value), 0))
        yield gauge
    yield GaugeMetricFamily(
        "accord_alerts_retrospective_unresolved",
        "Retrospective alerts (findings about past dates) open or acknowledged.",
        value=retrospective,
    )


def _webhooks():
    from notify.models import WebhookAttempt, WebhookDelivery

    counts = dict(WebhookDelivery.objects.order_by().values_list("status").annotate(n=Count("id")))
    deliveries = GaugeMetricFamily(
        "accord_webhook_deliveries", "Webhook deliveries by current status.", labels=["status"]
    )
    for status in WebhookDelivery.Status.values:
        deliveries.add_metric([status], counts.get(status, 0))
    yield deliveries
    success = Q(status_code__gte=200, status_code__lt=300)
    attempts = WebhookAttempt.objects.aggregate(
        ok=Count("id", filter=success), failed=Count("id", filter=~success | Q(status_code=None))
    )
    total = CounterMetricFamily(
        "accord_webhook_attempts",
        "Webhook HTTP attempts by outcome (failed: no 2xx answer, or refused to send).",
        labels=["outcome"],
    )
    total.add_metric(["delivered"], attempts["ok"])
    total.add_metric(["failed"], attempts["failed"])
    yield total


class AccordCollector:
    """Reads the figures when scraped; nothing is counted in process memory."""

    def describe(self):
        return []  # no queries when registered

    def collect(self):
        for part in (_payloads, _ingest_latency, _broker, _evaluations, _alerts, _webhooks):
            yield from part()


registry = CollectorRegistry()
registry.register(AccordCollector())


@never_cache
@require_safe
def metrics(request):
    if not monitoring_allowed(request):
        message = (
            "Send the metrics token (Authorization: Bearer ...) or scrape from an allowed network."
        )
        return JsonResponse({"error": {"code": "forbidden", "message": message}}, status=403)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)
