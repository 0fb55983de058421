#!/usr/bin/env python
"""Scorecard benchmark: server time of the agreement scorecard and the overview pages over
the pre-aggregated figures, their query count, and the same scorecard computed from raw
observations in the same run; then a party's scorecard (API and page) for a party obliged by
every clause, and the same card as of today (from the raw observations).

    python bench/scorecards.py              # one agreement of 1,000 clauses, 1,000,000 obs

Needs PostgreSQL (--database-url; that database is dropped and re-created). Ends with one
JSON line; writes docs/PERFORMANCE.md unless --no-docs.
"""

import argparse
import datetime as dt
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

    from agreements.models import Agreement, Clause, Party
    from demo.loadgen import load_generate
    from monitor.aggregates import aggregates_refresh
    from monitor.scorecards import agreement as scorecard_module
    from monitor.services import rules_run
    from tests.monitor.raw_figures import period_figures_from_observations

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
    code = Agreement.objects.get().code
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
    aggregated = scorecard_module.period_figures
    scorecard_module.period_figures = period_figures_from_observations
    try:
        raw_ms, raw_queries = timed_get(client, url, max(3, args.repeat // 3))
    finally:
        scorecard_module.period_figures = aggregated
    print(f"raw scorecard {raw_ms:.0f} ms", flush=True)

    # A party bound by every clause, with a sixth of the violations attributed to it.
    party = Party.objects.filter(code__startswith="cards-").order_by("code").first()
    through = Clause.obliged_parties.through
    through.objects.bulk_create(
        [
            through(clause_id=pk, party_id=party.pk)
            for pk in Clause.objects.values_list("pk", flat=True)
        ]
    )
    api = f"/api/v1/scorecards/parties/{party.code}/"
    client.get(api)
    party_ms, party_queries = timed_get(client, api, args.repeat)
    party_page_ms, _ = timed_get(client, f"/scorecards/parties/{party.code}/", args.repeat)
    today = dt.date.today().isoformat()
    party_raw_ms, _ = timed_get(client, f"{api}?as_of={today}", max(3, args.repeat // 3))
    print(
        f"party {party_ms:.0f} ms ({party_queries} queries), page {party_page_ms:.0f} ms, "
        f"as of today from the observations {party_raw_ms:.0f} ms",
        flush=True,
    )

    figures = {
        "scorecard_p50_ms": round(scorecard_ms, 1),
        "overview_p50_ms": round(overview_ms, 1),
        "scorecard_queries": scorecard_queries,
        "raw_scorecard_p50_ms": round(raw_ms, 1),
        "overview_queries": overview_queries,
        "party_p50_ms": round(party_ms, 1),
        "party_queries": party_queries,
        "party_page_p50_ms": round(party_page_ms, 1),
        "party_as_of_raw_p50_ms": round(party_raw_ms, 1),
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
        "observations instead of the pre-aggregates. `party_p50_ms`: "
        "`GET /api/v1/scorecards/parties/<code>/` for a party obliged by every clause with a "
        "sixth of the violations attributed to it (`party_page_p50_ms` the HTML page); "
        "`party_as_of_raw_p50_ms` the same card `?as_of=` today, whose figures come from the "
        "observations as they stood then rather than from the daily aggregates."
    )
    record(
        section="Scorecards", command=command, figures=figures, notes=notes, write=not args.no_docs
    )


if __name__ == "__main__":
    main()
