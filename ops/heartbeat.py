"""Worker heartbeats the web process can read cheaply: each worker writes
``accord:worker:<hostname>`` (time, queues, pid) into the broker's Redis every
``WORKER_HEARTBEAT_INTERVAL`` seconds, with a TTL. Celery's own remote control would do, but it
broadcasts and waits for replies: too slow for a readiness probe.

The same beat renews the leases the worker's live pool processes hold on payloads
(reports.ingest.claims), so a payload whose process died is claimed again within a minute."""

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass

import redis
from celery import bootsteps
from django.conf import settings
from django.db import DatabaseError, connection

from core.env import env_int
from core.worker import WORKER_BOOT

logger = logging.getLogger(__name__)

PREFIX = "accord:worker:"
TIMEOUT = 1.0  # seconds, connect and read: a probe must answer even when Redis does not


def broker_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT, retry_on_timeout=False
    )


@dataclass(frozen=True)
class Heartbeat:
    hostname: str
    queues: tuple[str, ...]
    at: float  # Unix time
    pid: int

    def age(self, now: float | None = None) -> float:
        return max(0.0, (now or time.time()) - self.at)


def heartbeat_write(
    client: redis.Redis, *, hostname: str, queues: list[str], at: float | None = None, ttl: int
) -> None:
    """Record that a worker consuming ``queues`` is alive (at ``at``, default now)."""
    record = {"hostname": hostname, "queues": sorted(queues), "at": at or time.time()}
    record["pid"] = os.getpid()
    client.set(PREFIX + hostname, json.dumps(record), ex=ttl)


def heartbeats_read(client: redis.Redis) -> list[Heartbeat]:
    """Every heartbeat still in Redis (expired ones are gone; stale ones are the caller's call)."""
    keys = sorted(client.scan_iter(match=PREFIX + "*", count=100))
    beats = []
    values: list[bytes | None] = client.mget(keys) if keys else []  # type: ignore[assignment]  # redis-py types sync and async alike
    for raw in values:
        if raw is None:
            continue
        try:
            data = json.loads(raw)
            beats.append(
                Heartbeat(data["hostname"], tuple(data["queues"]), float(data["at"]), data["pid"])
            )
        except (ValueError, KeyError, TypeError):
            logger.warning("ignoring a malformed worker heartbeat: %r", raw[:200])
    return beats


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A consumer bootstep: the beat is driven by the worker's own timer (event loop), so a
    worker whose loop is stuck stops beating."""

    requires = ("celery.worker.consumer.connection:Connection",)

    def __init__(self, c, **kwargs):
        self.interval = env_int("WORKER_HEARTBEAT_INTERVAL", 15, minimum=1)
        self.ttl = max(60, 4 * self.interval)
        self.entry = None
        self.leases = None
        self.client = None
        super().__init__(c, **kwargs)

    def start(self, c):
        # A lease spans three renewals, so one slow beat does not lose it.
        every = min(self.interval, max(1, settings.INGEST_LEASE_SECONDS // 3))
        self.leases = c.timer.call_repeatedly(every, lambda: self._renew(c.hostname))
        url = c.app.conf.broker_url or ""
        if not url.startswith(("redis://", "rediss://", "unix://")):
            logger.warning("worker heartbeats need a Redis broker; none is written")
            return
        self.client = broker_redis(url)
        queues = sorted(c.app.amqp.queues.consume_from or c.app.amqp.queues)
        self.beat = lambda: self._beat(c.hostname, queues)
        self.beat()
        self.entry = c.timer.call_repeatedly(self.interval, self.beat)

    def _beat(self, hostname: str, queues: list[str]) -> None:
        try:
            heartbeat_write(self.client, hostname=hostname, queues=queues, ttl=self.ttl)
        except redis.RedisError as exc:
            logger.warning("could not write the worker heartbeat: %s", exc)

    def _renew(self, hostname: str) -> None:
        # config wires the apps together: the lease itself is the ingest's business.
        from reports.ingest.claims import payload_leases_renew

        try:
            payload_leases_renew(worker=hostname, boot=WORKER_BOOT)
        except DatabaseError as exc:
            logger.warning("could not renew the ingest leases: %s", exc)
        finally:
            # No connection kept in the process the pool processes are forked from.
            connection.close()

    def stop(self, c):
        for entry in (self.entry, self.leases):
            if entry is not None:
                entry.cancel()
        self.entry = self.leases = None

    def shutdown(self, c):
        self.stop(c)
        if self.client is not None:
            # A clean shutdown says so at once rather than going stale.
            with contextlib.suppress(redis.RedisError):
                self.client.delete(PREFIX + c.hostname)
