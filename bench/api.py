#!/usr/bin/env python
"""API benchmark: the alert feed and the alert list served by gunicorn under load from wrk,
against a minimal DRF view that returns a constant (the framework's floor), in one run.

    python bench/api.py                  # 100,000 alerts, 1,000,000 observations

Needs PostgreSQL (--database-url; dropped and re-created) and wrk (Debian package `wrk`).
Ends with one JSON line; writes docs/PERFORMANCE.md unless --no-docs.
"""

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DEFAULT_DATABASE, ROOT, fresh_database, record  # noqa: E402


def make_alerts(count: int) -> None:
    """Alerts with an opened transition each (and some with more), written in bulk."""
    from django.utils import timezone

    from agreements.models import Clause
    from monitor.models import Alert, AlertTransition

    clauses = list(Clause.objects.values_list("pk", "agreement_id"))
    now = timezone.now()
    batch = 10_000
    for start in range(0, count, batch):
        alerts = [
            Alert(
                rule="clause.violation_recorded",
                fingerprint=f"bench-{i}",
                clause_id=clauses[i % len(clauses)][0],
                agreement_id=clauses[i % len(clauses)][1],
                severity=1 + i % 4,
                state="open",
                title=f"Violations: synthetic clause {i}",
                explanation="Synthetic alert for the API benchmark.",
                details={},
                first_seen=now - dt.timedelta(minutes=i),
                last_seen=now,
            )
            for i in range(start, min(start + batch, count))
        ]
        Alert.objects.bulk_create(alerts, batch_size=batch)
        AlertTransition.objects.bulk_create(
            [
                AlertTransition(
                    alert=a, kind="opened", to_state="open", severity=a.severity, at=a.first_seen
                )
                for a in alerts
            ],
            batch_size=batch,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk(url: str, token: str, *, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{out}")
    return {"p50": latency("50"), "p99": latency("99"), "rps": rps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--clauses", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument(
        "--connections", type=int, default=2, help="one per worker: latency without queueing"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")

    fresh_database(args.database_url)
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.roles import API_CONSUMER, roles_sync
    from accounts.services import api_token_issue
    from demo.loadgen import load_generate
    from monitor.models import AlertTransition

    started = time.perf_counter()
    load_generate(
        agreements=10, clauses=args.clauses, observations=args.observations, seed=2, prefix="api"
    )
    make_alerts(args.alerts)
    with connection.cursor() as cursor:
        # What autovacuum does in steady state: statistics, and the visibility map that
        # index-only scans need (a freshly loaded table has none).
        cursor.execute("VACUUM ANALYZE")
    roles_sync()
    consumer = get_user_model().objects.create_user("bench-consumer")
    consumer.groups.add(
        *__import__("django.contrib.auth.models", fromlist=["Group"]).Group.objects.filter(
            name=API_CONSUMER
        )
    )
    _, token = api_token_issue(user=consumer, name="bench")
    print(f"data ready in {time.perf_counter() - started:.0f} s", flush=True)

    # Queries per page, in process: the same whatever the page size.
    client = Client()
    client.force_login(consumer)
    middle = AlertTransition.objects.order_by("id").values_list("id", flat=True)[args.alerts // 2]
    from monitor.api.changes import encode_cursor

    cursor = encode_cursor(middle)
    counts = set()
    for limit in (10, 100, 500):
        reset_queries()  # a full query log (9,000 entries) would capture nothing
        with CaptureQueriesContext(connection) as captured:
            assert (
                client.get(f"/api/v1/alerts/changes/?cursor={cursor}&limit={limit}").status_code
                == 200
            )
        counts.add(len(captured))
    list_counts = set()
    for size in (10, 100):
        reset_queries()  # a full query log (9,000 entries) would capture nothing
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/v1/alerts/?page_size={size}").status_code == 200
        list_counts.add(len(captured))
    if len(counts) != 1 or len(list_counts) != 1:
        raise SystemExit(f"queries per page vary with page size: {counts} {list_counts}")
    connection.close()

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "bench.floor_settings",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback: no TLS to redirect to
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "API_RATE_LIMIT": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        base = f"http://127.0.0.1:{port}"
        for url in (f"{base}/bench/floor/", f"{base}/api/v1/alerts/changes/?cursor={cursor}"):
            subprocess.run(
                ["curl", "-sf", "-o", "/dev/null", "-H", f"Authorization: Bearer {token}", url],
                check=True,
            )
        run = {"seconds": args.seconds, "connections": args.connections}
        floor = wrk(f"{base}/bench/floor/", token, **run)
        feed = wrk(f"{base}/api/v1/alerts/changes/?cursor={cursor}&limit=100", token, **run)
        listing = wrk(f"{base}/api/v1/alerts/?page_size=50", token, **run)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)

    figures = {
        "feed_p50_ms": round(feed["p50"], 2),
        "feed_p99_ms": round(feed["p99"], 2),
        "feed_rps": round(feed["rps"], 1),
        "floor_p50_ms": round(floor["p50"], 2),
        "floor_rps": round(floor["rps"], 1),
        "queries_per_page": counts.pop(),
        "list_p50_ms": round(listing["p50"], 2),
        "list_p99_ms": round(listing["p99"], 2),
        "list_rps": round(listing["rps"], 1),
        "list_queries_per_page": list_counts.pop(),
        "alerts": args.alerts,
        "observations": args.observations,
    }
    notes = (
        f"{args.alerts:,} alerts (each with its transitions) and {args.observations:,} "
        f"observations; gunicorn with {args.workers} sync workers, DEBUG off; wrk from a "
        f"second process on loopback, {args.connections} connections for {args.seconds} s per "
        "endpoint, authenticated with an API token (hashed lookup on every request). Feed: "
        "`/api/v1/alerts/changes/` pages of 100 from a cursor in the middle; list: "
        "`/api/v1/alerts/` pages of 50 with evidence and history; floor: a DRF view returning "
        "a constant behind the same authentication. `queries_per_page` was checked equal for "
        "page sizes 10, 100 and 500."
    )
    record(
        section="API",
        command="python bench/api.py",
        figures=figures,
        notes=notes,
        write=not args.no_docs,
    )


if __name__ == "__main__":
    main()
