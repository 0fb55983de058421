"""Liveness (``/healthz``) and readiness (``/readyz``) for load balancers and monitoring.

``/readyz`` runs five checks, each ``{"status": "ok"|"warn"|"fail", ..., "latency_ms"}``.
A failing check named in ``READY_CRITICAL_CHECKS`` (default: database, broker, worker) makes
the answer 503; the others (backlog, evaluation) only turn the overall status to ``warn``.
With ``CACHE_URL`` set, a sixth check, ``cache``, pings that Redis: when it fails, the API
still answers (its rate limit fails open), so it is not critical by default.
Every network call has a one-second timeout and no check raises, so a dead or hung Redis
gives a quick 503, not a hung probe.
"""

import time
from collections.abc import Callable

import redis
from celery import current_app as celery_app  # config.celery's app: ops sits below config
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.security import monitoring_allowed
from ops.heartbeat import broker_redis, heartbeats_read

OK, WARN, FAIL = "ok", "warn", "fail"
EMBEDDED = {"status": OK, "mode": "embedded"}  # no broker: tasks run in the web process


def queue_names() -> list[str]:
    """The Celery queues work is routed to (config/celery.py)."""
    routes = celery_app.conf.task_routes or {}
    return sorted(
        {route["queue"] for route in routes.values()} | {celery_app.conf.task_default_queue}
    )


def broker_client() -> redis.Redis | None:
    """A client for the broker's Redis, or None in the embedded mode."""
    if celery_app.conf.task_always_eager:
        return None
    return broker_redis(celery_app.conf.broker_url)


def database_check() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": OK, "vendor": connection.vendor}


def broker_check(client: redis.Redis | None) -> dict:
    if client is None:
        return EMBEDDED
    client.ping()
    return {"status": OK}


def cache_check() -> dict:
    """The Redis the API's rate limit counts in; while it fails, requests pass unthrottled."""
    client = broker_redis(settings.CACHE_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"status": FAIL, "error": f"{exc}; the API rate limit is not applied"[:300]}
    finally:
        client.close()
    return {"status": OK}


def workers_check(client: redis.Redis | None, *, broker_ok: bool) -> dict:
    """At least one worker beat within READY_WORKER_MAX_AGE; every queue has one (else warn)."""
    if client is None:
        return EMBEDDED
    if not broker_ok:
        return {"status": FAIL, "error": "the broker is unreachable, so are the heartbeats"}
    max_age = settings.READY_WORKER_MAX_AGE
    now = time.time()
    live = [beat for beat in heartbeats_read(client) if beat.age(now) <= max_age]
    queues = {name: sum(name in beat.queues for beat in live) for name in queue_names()}
    result = {
        "max_age_s": max_age,
        "workers": [
            {"hostname": b.hostname, "queues": list(b.queues), "age_s": round(b.age(now), 1)}
            for b in live
        ],
        "queues": queues,
    }
    if not live:
        return {"status": FAIL, "error": f"no worker heartbeat in the last {max_age} s", **result}
    uncovered = [name for name, workers in queues.items() if not workers]
    if uncovered:
        return {
            "status": WARN,
            "error": f"no live worker consumes {', '.join(uncovered)}",
            **result,
        }
    return {"status": OK, **result}


def backlog_check() -> dict:
    """The oldest payload not yet processed (received or being processed)."""
    from reports.models import InboundPayload

    pending = InboundPayload.objects.filter(
        state__in=[InboundPayload.State.RECEIVED, InboundPayload.State.PROCESSING]
    )
    oldest = pending.order_by("received_at").values_list("received_at", flat=True).first()
    max_age = settings.READY_BACKLOG_MAX_AGE
    if oldest is None:
        return {"status": OK, "pending": 0, "oldest_age_s": None, "max_age_s": max_age}
    age = (timezone.now() - oldest).total_seconds()
    return {
        "status": WARN if age > max_age else OK,
        "pending": pending.count(),
        "oldest_age_s": round(age, 1),
        "max_age_s": max_age,
    }


def evaluation_check(*, embedded: bool) -> dict:
    """Time since the last finished periodic rule evaluation (beat runs one every 300 s)."""
    from monitor.models import EvaluationRun

    finished = (
        EvaluationRun.objects.filter(
            trigger=EvaluationRun.Trigger.PERIODIC, finished_at__isnull=False
        )
        .order_by("-started_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    max_age = settings.READY_EVALUATION_MAX_AGE
    if finished is None:
        if embedded:  # no beat runs in the embedded mode
            return {**EMBEDDED, "last_age_s": None}
        return {"status": WARN, "error": "no periodic evaluation yet", "max_age_s": max_age}
    age = (timezone.now() - finished).total_seconds()
    return {
        "status": WARN if age > max_age else OK,
        "last_age_s": round(age, 1),
        "max_age_s": max_age,
    }


def _timed(check: Callable[[], dict]) -> dict:
    started = time.perf_counter()
    try:
        result = dict(check())
    except Exception as exc:  # a probe reports; it never raises
        result = {"status": FAIL, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def readiness_check() -> dict:
    """Every check, and the overall status: fail if a critical check fails, else warn or ok."""
    client = broker_client()
    checks = {"database": _timed(database_check), "broker": _timed(lambda: broker_check(client))}
    broker_ok = checks["broker"]["status"] == OK
    checks["worker"] = _timed(lambda: workers_check(client, broker_ok=broker_ok))
    checks["backlog"] = _timed(backlog_check)
    checks["evaluation"] = _timed(lambda: evaluation_check(embedded=client is None))
    if settings.CACHE_URL:
        checks["cache"] = _timed(cache_check)
    if client is not None:
        client.close()
    critical = settings.READY_CRITICAL_CHECKS
    if any(checks[name]["status"] == FAIL for name in critical if name in checks):
        status = FAIL
    elif any(check["status"] != OK for check in checks.values()):
        status = WARN
    else:
        status = OK
    return {"status": status, "critical": list(critical), "checks": checks}


@never_cache
@require_safe
def healthz(request):
    """Liveness: the process answers. Touches neither the database nor the broker."""
    return JsonResponse({"status": OK})


@never_cache
@require_safe
def readyz(request):
    body = readiness_check()
    status = 503 if body["status"] == FAIL else 200
    if not monitoring_allowed(request):
        # Worker names, queues and backlog are for the operators: others (a load balancer
        # outside METRICS_ALLOWED_NETWORKS, the public) get the verdict only.
        body = {"status": body["status"]}
    return JsonResponse(body, status=status)
