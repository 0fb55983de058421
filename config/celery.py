"""The Celery app: configuration from Django settings (``CELERY_*``), queues and beat."""

import logging
import os
import resource

from celery import Celery
from celery.signals import worker_process_init
from django.conf import settings

import core.logs  # noqa: F401  (signals: request ids travel with tasks; workers log as Django)
from ops.heartbeat import WorkerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("accord_monitor")
app.config_from_object("django.conf:settings", namespace="CELERY")
logger = logging.getLogger(__name__)

# One queue per kind of work, so each can get its own workers.
app.conf.task_routes = {
    "reports.*": {"queue": "ingest"},
    "monitor.*": {"queue": "rules"},
    "notify.*": {"queue": "notify"},
}

# The beat schedule, declared in one place.
app.conf.beat_schedule = {
    # Often enough that a payload whose worker died is claimed again within about a minute.
    "requeue-stale-payloads": {
        "task": "reports.payloads_requeue",
        "schedule": float(settings.INGEST_SWEEP_SECONDS),
    },
    "evaluate-all-rules": {"task": "monitor.rules_run", "schedule": 300.0},
    "requeue-evaluations": {"task": "monitor.evaluation_requests_requeue", "schedule": 60.0},
    # Dispatch also runs after every commit of transitions (a signal); this sweep makes a lost
    # doorbell cost a minute at most.
    "dispatch-webhooks": {"task": "notify.transitions_dispatch", "schedule": 60.0},
    "requeue-webhooks": {"task": "notify.webhook_deliveries_requeue", "schedule": 60.0},
}

# Workers write a heartbeat into the broker's Redis for /readyz (ops.heartbeat).
app.steps["consumer"].add(WorkerHeartbeat)

app.autodiscover_tasks()


def memory_ceiling_apply(*, megabytes: int) -> None:
    """Cap this process's address space: past it, allocations raise MemoryError."""
    if megabytes <= 0:
        return
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


@worker_process_init.connect
def _pool_process_memory_ceiling(**kwargs) -> None:
    # In each pool process, not the worker's main one: a payload that needs too much memory
    # fails its own task (MemoryError, quarantined) and the worker lives on.
    try:
        memory_ceiling_apply(megabytes=settings.INGEST_WORKER_MEMORY_MB)
    except (ValueError, OSError) as exc:
        logger.warning("could not set the memory ceiling of a worker process: %s", exc)
