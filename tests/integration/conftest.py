"""Real services for the integration tests: PostgreSQL, a Redis server of our own (so a test
may stop and start it) and Celery worker processes started as production starts them."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]


def _fail_or_skip(message: str) -> None:
    if settings.REQUIRE_SERVICES or os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message}, and REQUIRE_SERVICES=1 says it must be.")
    pytest.skip(message)


def wait_for(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(autouse=True)
def _needs_postgresql():
    if connection.vendor != "postgresql":
        _fail_or_skip(
            "integration tests need PostgreSQL: set DATABASE_URL=postgres://... "
            f"(running on {connection.vendor})"
        )
    require_service(
        "PostgreSQL",
        connection.settings_dict["HOST"] or "127.0.0.1",
        int(connection.settings_dict["PORT"] or 5432),
    )


class PortTaken(RuntimeError):
    """The free port chosen was taken by another process before the server could bind it."""


class RedisServer:
    """A throw-away redis-server on a free port, which a test may stop and start again."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None
        self.dir = tempfile.mkdtemp(prefix="accord-redis-")

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        process = self.process
        # Our process answering, not just something on the port: a port taken meanwhile (by
        # a parallel test process) makes this redis-server exit, and another's server must
        # never be mistaken for ours.
        wait_for(
            lambda: process.poll() is not None or self._answering_pid() == process.pid,
            timeout=10,
            what="redis-server to listen",
        )
        if process.poll() is not None:
            self.process = None
            raise PortTaken(self.port)

    def _answering_pid(self) -> int | None:
        client = redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            return int(client.info("server")["process_id"])
        except redis.RedisError:
            return None
        finally:
            client.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def _port_open(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        _fail_or_skip("redis-server is not installed (apt-get install redis-server)")
    server = redis_server_start()
    yield server
    server.stop()


def redis_server_start() -> RedisServer:
    """A started redis-server on a free port (another one if the first is taken meanwhile)."""
    for _ in range(5):
        server = RedisServer(_free_port())
        try:
            server.start()
        except PortTaken:
            continue
        return server
    raise AssertionError("no free port for redis-server after 5 attempts")


@pytest.fixture
def broker(redis_server, settings) -> Iterator[RedisServer]:
    """Point this process's Celery app at the real broker: no more in-process tasks."""
    # The app reads Django settings under the CELERY_ namespace, so these are the keys.
    conf = celery_app.conf
    saved = conf["CELERY_BROKER_URL"], conf["CELERY_TASK_ALWAYS_EAGER"]
    conf.update(CELERY_BROKER_URL=redis_server.url, CELERY_TASK_ALWAYS_EAGER=False)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    _reset_pools()
    yield redis_server
    conf.update(CELERY_BROKER_URL=saved[0], CELERY_TASK_ALWAYS_EAGER=saved[1])
    _reset_pools()


def _reset_pools() -> None:
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: nothing gets to clean up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]


@pytest.fixture
def start_worker(broker, tmp_path, settings) -> Iterator[Callable[..., Worker]]:
    """Start ``celery worker`` processes against the test database and the test broker."""
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    workers: list[Worker] = []

    def start(*, concurrency: int = 1, claim_timeout: int = 5) -> Worker:
        settings.INGEST_CLAIM_TIMEOUT = claim_timeout  # the sweep here judges claims alike
        log = tmp_path / f"worker-{len(workers)}.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker.url,
            "INGEST_CLAIM_TIMEOUT": str(claim_timeout),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "ingest,rules,notify",
                "-c",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                "-n",
                f"test{len(workers)}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        worker = Worker(process, log)
        workers.append(worker)
        wait_for(
            lambda: "ready" in log.read_text(errors="replace") or process.poll() is not None,
            timeout=60,
            what="the Celery worker to start",
        )
        if process.poll() is not None:
            raise AssertionError(f"the worker exited:\n{worker.output()}")
        return worker

    yield start
    for worker in workers:
        worker.stop()
