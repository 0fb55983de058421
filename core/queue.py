"""One way to ring a doorbell: enqueue a Celery task with the project's retry policy.

The database row is always the record and the queue only a doorbell, so a failed enqueue is
logged, never raised: each app's periodic sweep rings again for rows left waiting. After a
failure this process leaves the broker alone for ``REDIS_RETRY_AFTER`` seconds (each try against
a hung Redis would hold the request for the socket timeouts) and drops its pooled connections
(kombu's pooled producer keeps failing after a broker restart; fresh connections work at once).
"""

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# Broker URL -> monotonic time until which this process leaves that failed broker alone.
_broker_down_until: dict[str, float] = {}


class Enqueueable(Protocol):
    """What ``enqueue`` needs of a task: Celery's ``apply_async`` and a name for the log."""

    name: str

    def apply_async(self, *args: Any, **kwargs: Any) -> Any: ...


def enqueue(
    task: Enqueueable,
    *,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    queue: str | None = None,
    what: str = "",
) -> bool:
    """Send ``task`` with one quick retry; return whether the broker took it.

    ``what`` names the work in the warning ("payload 12"); a refused or reset connection is
    retried once, a timed-out one is not (the broker hangs: another try waits as long again).
    """
    label = what or task.name
    if broker_resting():
        logger.info("broker failed recently; %s waits for the sweep", label)
        return False
    options: dict[str, Any] = {
        "args": list(args),
        "kwargs": dict(kwargs or {}),
        "retry": True,
        "retry_policy": {
            "max_retries": 1,
            "interval_start": 0.2,
            "interval_step": 0.5,
            "interval_max": 1,
            "errback": _no_retry_after_a_timeout,
        },
    }
    if queue:
        options["queue"] = queue
    try:
        task.apply_async(**options)
    except Exception:
        logger.warning("could not enqueue %s; the sweep will retry", label, exc_info=True)
        _broker_down_until[_broker_url()] = time.monotonic() + settings.REDIS_RETRY_AFTER
        _drop_broker_connections()
        return False
    return True


def broker_resting() -> bool:
    """Whether this process saw the broker fail within the last ``REDIS_RETRY_AFTER`` s."""
    return time.monotonic() < _broker_down_until.get(_broker_url(), 0.0)


def broker_rest_forget() -> None:
    """Forget every remembered broker failure (tests, and a worker that saw the broker back)."""
    _broker_down_until.clear()


def _broker_url() -> str:
    from celery import current_app as app  # config.celery's app: core sits below config

    return str(app.conf.broker_url)


def _no_retry_after_a_timeout(exc: Exception, interval: float) -> None:
    """Stop kombu's retry when the broker let a reply time out: it hangs, and another try
    would hold the request for another timeout. A refused or reset connection is retried."""
    if isinstance(exc, TimeoutError | redis.TimeoutError):
        raise exc


def _drop_broker_connections() -> None:
    """Forget pooled broker connections after a failure (seen with kombu's Redis transport:
    after the broker restarts, the pooled producer keeps failing with "connection refused")."""
    from celery import current_app as app
    from kombu import pools

    try:
        pools.reset()  # kombu keeps producer pools in a process-wide registry
    except Exception:  # closing dead connections may raise; they are being dropped anyway
        logger.debug("resetting the broker pools failed", exc_info=True)
    app._pool = None  # type: ignore[attr-defined]  # private: the pool is rebuilt on use
    app.amqp._producer_pool = None  # type: ignore[attr-defined]
