"""What the benchmarks share: a scratch PostgreSQL database, Django set-up, the machine's
description, worker processes, and writing figures into docs/PERFORMANCE.md."""

import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERFORMANCE = ROOT / "docs" / "PERFORMANCE.md"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/accord_bench"
DEFAULT_BROKER = "redis://127.0.0.1:6379/14"


def fresh_database(url: str) -> None:
    """Drop and re-create the benchmark database, then migrate it."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"refusing to drop database {name!r}: use a plain lower-case name")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = url
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    if not settings.DEBUG:
        # Production settings serve hashed static names from a manifest: pages render only
        # once collectstatic has written it (a fresh clone has none).
        call_command("collectstatic", interactive=False, verbosity=0)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; PostgreSQL {pg}"
    )


def start_worker(
    *,
    broker: str,
    database: str,
    concurrency: int = 2,
    pool: str = "prefork",
    queues: str = "ingest,rules,notify",
    log: Path | None = None,
    extra_env: dict | None = None,
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": broker,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **(extra_env or {}),
    }
    log = log or Path(tempfile.gettempdir()) / f"accord-bench-worker-{time.time_ns()}.log"
    name = f"bench{time.time_ns()}@{socket.gethostname()}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queues,
            "-c",
            str(concurrency),
            "--pool",
            pool,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
            "-n",
            name,
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log_path = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"worker exited:\n{log.read_text()[-3000:]}")
        if _worker_ready(name):
            return process
        time.sleep(0.5)
    raise SystemExit("worker did not become ready in 60 s")


def _worker_ready(name: str) -> bool:
    """Whether this worker (not just any worker on the broker) answers a ping."""
    from config.celery import app

    try:
        replies = app.control.ping(destination=[name], timeout=0.5)
    except Exception:
        return False
    return any(name in reply for reply in replies)


def start_beat(*, broker: str, database: str, log: Path | None = None) -> subprocess.Popen:
    """``celery beat`` with the project's schedule (its state file in a temporary place)."""
    state = Path(tempfile.mkdtemp(prefix="accord-bench-beat-"))
    log = log or state / "beat.log"
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": broker,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel=WARNING",
            "-s",
            str(state / "schedule"),
            "--pidfile",
            str(state / "beat.pid"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log_path = log  # type: ignore[attr-defined]
    return process


def stop(process: subprocess.Popen) -> None:
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def record(*, section: str, command: str, figures: dict, notes: str, write: bool) -> None:
    """Print the JSON line; put the figures in docs/PERFORMANCE.md under ``section``."""
    print(json.dumps(figures))
    if not write:
        return
    body = (
        f"## {section}\n\n"
        f"Command: `{command}`  \n"
        f"Measured: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  \n"
        f"Machine: {machine()}\n\n"
        f"{notes.strip()}\n\n"
        "```json\n" + json.dumps(figures, indent=2) + "\n```\n"
    )
    text = (
        PERFORMANCE.read_text()
        if PERFORMANCE.exists()
        else (
            "# Performance\n\nFigures measured by the benchmarks in `bench/`; each section is "
            "rewritten by its benchmark run. Speed is measured here, never asserted by tests.\n\n"
        )
    )
    pattern = re.compile(rf"## {re.escape(section)}\n.*?(?=\n## |\Z)", re.S)
    text = (
        pattern.sub(body.rstrip() + "\n", text)
        if pattern.search(text)
        else (text.rstrip() + "\n\n" + body)
    )
    PERFORMANCE.parent.mkdir(exist_ok=True)
    PERFORMANCE.write_text(text)
