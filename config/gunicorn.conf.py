"""gunicorn settings for the web process (Procfile, docker-compose.yml, docs/operations.md).

Environment: ``PORT`` (8000), ``WEB_CONCURRENCY`` (worker processes; 2 x cores + 1),
``GUNICORN_TIMEOUT`` (seconds a worker may stay silent, 120: report uploads can be up to
``INGEST_MAX_BODY_BYTES``), ``FORWARDED_ALLOW_IPS`` (the proxies whose X-Forwarded-* headers
gunicorn trusts; 127.0.0.1).
"""

import multiprocessing
import os

from core.env import env_int, env_str

bind = f"0.0.0.0:{env_int('PORT', 8000, minimum=1)}"
workers = env_int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1, minimum=1)
# Sync workers: each request holds one process, which suits database-bound views.
worker_class = "sync"
timeout = env_int("GUNICORN_TIMEOUT", 120, minimum=10)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
# One line per request on stdout, one stream for errors: the platform collects both.
accesslog = "-"
errorlog = "-"
loglevel = env_str("LOG_LEVEL", "INFO").lower()
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Heartbeat files in memory rather than on a container's (maybe slow) overlay disk.
if os.path.isdir("/dev/shm"):  # noqa: S108 - gunicorn's advice for containers
    worker_tmp_dir = "/dev/shm"  # noqa: S108
