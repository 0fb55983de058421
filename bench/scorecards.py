#!/usr/bin/env python
"""Scorecard benchmark: server time of the agreement scorecard and the overview pages over
the pre-aggregated figures, their query count, and the same scorecard computed from raw
observations in the same run.

    python bench/scorecards.py              # one agreement of 1,000 clauses, 1,000,000 obs

Needs PostgreSQL (--database-url; that database is dropped and re-created). Ends with one
JSON line; writes docs/PERFORMANCE.md unless --no-docs.
"""

import argparse
import functools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DEFAULT_DATABASE, fresh_database, record  # noqa: E402


def timed_get(client, url: str, repeat: int) -> tuple[float, int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for _ in range(repeat):
        reset_queries()  # a full query log (9,000 entries) would capture nothing
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 or not body:
            raise SystemExit(f"{url} answered {response.status_code}")
        queries = len(captured)
    return statistics.median(times), queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clauses", type=int, default=1_000)
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()

    fresh_database(args.database_url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from monitor import scorecards
    from monitor.aggregates import aggregates_refresh
    from monitor.services import rules_run
    from reports.loadgen import load_generate

    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    load_generate(
        agreements=1, clauses=args.clauses, observations=args.observations, seed=3, prefix="cards"
    )
    aggregates_refresh()
    rules_run(trigger="command")
    with connection.cursor() as cursor:
        # What autovacuum does in steady state: statistics, and the visibility map that
        # index-only scans need (a freshly loaded table has none).
        cursor.execute("VACUUM ANALYZE")
    print(f"data ready in {time.perf_counter() - started:.0f} s", flush=True)

    analyst = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
    client = Client()
    client.force_login(analyst)
    code = scorecards.Agreement.objects.get().code
    url = f"/scorecards/agreements/{code}/"
    client.get(url)  # warm up caches and templates
    scorecard_ms, scorecard_queries = timed_get(client, url, args.repeat)
    overview_ms, overview_queries = timed_get(client, "/scorecards/", args.repeat)
    print(
        f"scorecard {scorecard_ms:.0f} ms ({scorecard_queries} queries), "
        f"overview {overview_ms:.0f} ms",
        flush=True,
    )

    # The same page with its period figures computed from the raw observations.
    aggregated = scorecards.period_figures
    scorecards.period_figures = functools.partial(aggregated, source="raw")
    try:
        raw_ms, raw_queries = timed_get(client, url, max(3, args.repeat // 3))
    finally:
        scorecards.period_figures = aggregated
    print(f"raw scorecard {raw_ms:.0f} ms", flush=True)

    figures = {
        "scorecard_p50_ms": round(scorecard_ms, 1),
        "overview_p50_ms": round(overview_ms, 1),
        "scorecard_queries": scorecard_queries,
        "raw_scorecard_p50_ms": round(raw_ms, 1),
        "overview_queries": overview_queries,
        "clauses": args.clauses,
        "observations": args.observations,
    }
    command = "python bench/scorecards.py" + (
        ""
        if (args.clauses, args.observations) == (1_000, 1_000_000)
        else f" --clauses {args.clauses} --observations {args.observations}"
    )
    notes = (
        f"One agreement of {args.clauses:,} clauses with {args.observations:,} observations "
        "(load generator), daily pre-aggregates built and the rules evaluated. Server time "
        "of a full GET through Django (view, queries, template, SVG charts) as a logged-in "
        f"analyst, median of {args.repeat}; the default period is 12 weeks. "
        "`raw_scorecard_p50_ms` is the same page with its weekly figures grouped from the raw "
        "observations instead of the pre-aggregates."
    )
    record(
        section="Scorecards", command=command, figures=figures, notes=notes, write=not args.no_docs
    )


if __name__ == "__main__":
    main()
