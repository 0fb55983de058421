"""The Celery app: configuration from Django settings (``CELERY_*``), queues and beat."""

import os

from celery import Celery

import config.logs  # noqa: F401  (signals: request ids travel with tasks; workers log as Django)
from config.heartbeat import WorkerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("accord_monitor")
app.config_from_object("django.conf:settings", namespace="CELERY")

# One queue per kind of work, so each can get its own workers.
app.conf.task_routes = {
    "reports.*": {"queue": "ingest"},
    "monitor.evaluate*": {"queue": "rules"},
    "monitor.notify*": {"queue": "notify"},
}

# The beat schedule, declared in one place.
app.conf.beat_schedule = {
    "requeue-stale-payloads": {"task": "reports.requeue_payloads", "schedule": 60.0},
    "evaluate-all-rules": {"task": "monitor.evaluate_all", "schedule": 300.0},
    "requeue-webhooks": {"task": "monitor.notify_requeue", "schedule": 60.0},
}

# Workers write a heartbeat into the broker's Redis for /readyz (config.heartbeat).
app.steps["consumer"].add(WorkerHeartbeat)

app.autodiscover_tasks()
