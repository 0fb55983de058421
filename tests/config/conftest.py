"""A real Redis for the health and metrics tests: a throw-away redis-server (the integration
suite's), and the Celery app pointed at any broker URL for the length of a test."""

import contextlib
import shutil
from collections.abc import Iterator

import pytest
from kombu import pools

from config.celery import app as celery_app
from tests.integration.conftest import (
    RedisServer,
    _fail_or_skip,
    _free_port,
    _reset_pools,
    redis_server_start,
)


@contextlib.contextmanager
def broker_at(url: str) -> Iterator[None]:
    """This process publishes to ``url`` (no more in-process tasks) inside the block."""
    conf = celery_app.conf
    saved = conf["CELERY_BROKER_URL"], conf["CELERY_TASK_ALWAYS_EAGER"]
    conf.update(CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER=False)
    _forget_pools()
    try:
        yield
    finally:
        conf.update(CELERY_BROKER_URL=saved[0], CELERY_TASK_ALWAYS_EAGER=saved[1])
        _forget_pools()


def _forget_pools() -> None:
    # kombu keeps pools per URL in a process-wide registry: a closed one must not be reused
    # by the next test with the same URL (memory://).
    _reset_pools()
    pools.reset()


@pytest.fixture
def live_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, and the Celery app using it as its broker."""
    if shutil.which("redis-server") is None:
        _fail_or_skip("redis-server is not installed (apt-get install redis-server)")
    server = redis_server_start()
    try:
        with broker_at(server.url):
            yield server
    finally:
        server.stop()


def closed_port_url() -> str:
    """A Redis URL where nothing listens: connections are refused at once."""
    return f"redis://127.0.0.1:{_free_port()}/0"
