#!/usr/bin/env python
"""Explorer benchmark: the server time of what the explorer shows for a typical filter (the
map's clusters, the weekly series and the first table page), its query count, and the same
three results computed by reading every matching row into Python.

    python bench/explore.py                          # 1,000,000 observations
    python bench/explore.py --observations 20000     # a smoke run (about a minute)

The load generator writes the observations by COPY: 5 agreements, 500 clauses, two years of
reports up to 2025-01-01 (seed 16). The typical filter is one agreement, kind=violation, the
days of 2024. Each timed iteration is GET /explore/?<filter> (the series and the first table
page) then GET /explore/clusters.json?<filter>&zoom=6, in-process (Django's test client) as an
analyst, DEBUG off. Needs PostgreSQL (--database-url: that database is dropped and
re-created). Ends with one JSON line; --write puts it in docs/PERFORMANCE.md.
"""

import argparse
import datetime as dt
import math
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DEFAULT_DATABASE, fresh_database, record  # noqa: E402

SEED = 16
PREFIX = "explore"
AGREEMENTS, CLAUSES, MONTHS = 5, 500, 24
END = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
AGREEMENT = f"{PREFIX}-{SEED}-agreement-{{}}"
TYPICAL = f"agreement={AGREEMENT.format(0)}&kind=violation&from=2024-01-01&to=2024-12-31"
ZOOM = 6
# A different filter and zoom: the query count must not change with them.
OTHER = (
    f"agreement={AGREEMENT.format(1)}&kind=violation&kind=incident&from=2024-06-01&to=2024-09-30"
)
OTHER_ZOOM = 9
PAGE_SIZE = 50
# What the naive version reads of every matching row: the map's, the series' and the table's.
FIELDS = (
    "id",
    "latitude",
    "longitude",
    "kind",
    "occurred_on",
    "occurred_at",
    "place_name",
    "admin_area",
    "party__name",
    "clause__reference",
    "clause__title",
    "report__mission__name",
    "verification_status",
    "source_reliability",
    "information_credibility",
    "quantity",
)


# --- the naive version: every matching row in Python ----------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between the two nearest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def grid_clusters(rows: Iterable[Any], *, cell_degrees: float) -> list[dict]:
    """Rows with coordinates grouped into square cells of ``cell_degrees``: each cell's mean
    position, count, counts by kind, bounding box and its one observation when alone."""
    cells: dict[tuple[int, int], list] = defaultdict(list)
    for row in rows:
        if row.latitude is None or row.longitude is None:
            continue
        key = (math.floor(row.latitude / cell_degrees), math.floor(row.longitude / cell_degrees))
        cells[key].append(row)
    clusters = []
    for members in cells.values():
        lats = [r.latitude for r in members]
        lons = [r.longitude for r in members]
        clusters.append(
            {
                "lat": sum(lats) / len(lats),
                "lon": sum(lons) / len(lons),
                "count": len(members),
                "kinds": dict(Counter(r.kind for r in members)),
                "bbox": [min(lons), min(lats), max(lons), max(lats)],
                "observation": members[0].id if len(members) == 1 else None,
            }
        )
    return sorted(clusters, key=lambda c: -c["count"])


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())  # weeks start on Monday


def weekly_counts(
    rows: Iterable[Any], *, start: dt.date | None = None, end: dt.date | None = None
) -> list[tuple[dt.date, dict[str, int]]]:
    """Rows per week (Monday) and kind from ``start`` to ``end`` (the filter's days, else the
    rows' first and last), empty weeks included."""
    counts: dict[dt.date, Counter] = defaultdict(Counter)
    for row in rows:
        if row.occurred_on is not None:
            counts[week_of(row.occurred_on)][row.kind] += 1
    if not counts and (start is None or end is None):
        return []
    start, end = start or min(counts), end or max(counts)
    weeks, week = [], week_of(start)
    while week <= end:
        weeks.append((week, dict(counts.get(week, {}))))
        week += dt.timedelta(days=7)
    return weeks


def first_page(rows: Iterable[Any], *, size: int = PAGE_SIZE) -> list:
    """The table's first page: newest first, then the highest id."""
    return sorted(rows, key=lambda r: (r.occurred_at, r.id), reverse=True)[:size]


def naive_explore(
    rows: list, *, cell_degrees: float, start: dt.date | None, end: dt.date | None
) -> dict:
    return {
        "clusters": grid_clusters(rows, cell_degrees=cell_degrees),
        "weeks": weekly_counts(rows, start=start, end=end),
        "page": first_page(rows),
    }


# --- the run ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed iterations")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--write", action="store_true", help="write docs/PERFORMANCE.md")
    args = parser.parse_args(argv)
    if args.observations < 1 or args.repeat < 1:
        parser.error("--observations and --repeat must be at least 1")
    return args


def command_for(args: argparse.Namespace) -> str:
    command = "python bench/explore.py"
    if args.observations != 1_000_000:
        command += f" --observations {args.observations}"
    if args.repeat != 30:
        command += f" --repeat {args.repeat}"
    return command


UNFILTERED_ZOOM, UNFILTERED_REPEAT = 5, 5


def _get(client, url: str):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.status_code != 200 or not body:
        raise SystemExit(
            f"GET {url} answered {response.status_code}: the explorer's page and "
            "clusters.json (issue 16) must be in place"
        )
    return response, body


def iteration(client, query: str, zoom: int) -> tuple[float, bytes]:
    """One look at the explorer: the page (series, first table page), then the map's
    clusters; the milliseconds of both, and the clusters' JSON."""
    started = time.perf_counter()
    _get(client, f"/explore/?{query}")
    _, clusters = _get(client, f"/explore/clusters.json?{query}&zoom={zoom}")
    return (time.perf_counter() - started) * 1000, clusters


def queries_of(client, query: str, zoom: int) -> int:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        iteration(client, query, zoom)
    return len(captured)


def matching(user, query: str):
    from django.http import QueryDict

    from monitor.explore.filters import ExploreFilters
    from reports.selectors import observations_visible_to

    filters = ExploreFilters.from_params(QueryDict(query))
    return filters, filters.apply(observations_visible_to(user=user))


def naive_run(user, query: str, cell_degrees: float) -> tuple[float, dict]:
    started = time.perf_counter()
    filters, observations = matching(user, query)
    rows = list(observations.values_list(*FIELDS, named=True))
    result = naive_explore(rows, cell_degrees=cell_degrees, start=filters.start, end=filters.end)
    return (time.perf_counter() - started) * 1000, result


def main(argv: Sequence[str] | None = None) -> None:
    import json

    args = parse_args(argv)
    # As production runs: DEBUG off (no query log, compiled templates, hashed static names).
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")  # the test client speaks plain HTTP
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    fresh_database(args.database_url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from demo.loadgen import load_generate

    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    load_generate(
        agreements=AGREEMENTS,
        clauses=CLAUSES,
        observations=args.observations,
        seed=SEED,
        months=MONTHS,
        prefix=PREFIX,
        end=END,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # statistics and the visibility map, as in steady state
    print(f"data ready in {time.perf_counter() - started:.0f} s", flush=True)

    analyst = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
    client = Client()
    client.force_login(analyst)
    matched = matching(analyst, TYPICAL)[1].count()
    print(f"typical filter: {TYPICAL} ({matched:,} matching rows)", flush=True)

    for _ in range(3):  # warm-up: templates, caches, the planner's statistics
        iteration(client, TYPICAL, ZOOM)
    times = [iteration(client, TYPICAL, ZOOM)[0] for _ in range(args.repeat)]
    queries = queries_of(client, TYPICAL, ZOOM)
    other_queries = queries_of(client, OTHER, OTHER_ZOOM)
    p50, p99 = percentile(times, 50), percentile(times, 99)
    print(f"explorer p50 {p50:.0f} ms, p99 {p99:.0f} ms, {queries} queries", flush=True)
    if other_queries != queries:
        print(f"queries vary with the filter: {queries} vs {other_queries}", flush=True)

    # Not a goal of the issue, but what the Explore link opens: every observation, no filter.
    unfiltered = [iteration(client, "", UNFILTERED_ZOOM)[0] for _ in range(UNFILTERED_REPEAT)]
    unfiltered_p50 = statistics.median(unfiltered)
    print(f"unfiltered p50 {unfiltered_p50:.0f} ms", flush=True)

    clusters = json.loads(iteration(client, TYPICAL, ZOOM)[1])
    naive_times = []
    for _ in range(max(3, args.repeat // 5)):
        elapsed, naive = naive_run(analyst, TYPICAL, clusters["cell_degrees"])
        naive_times.append(elapsed)
    naive_total = sum(c["count"] for c in naive["clusters"])
    if naive_total != clusters.get("total"):
        print(f"the map counts {clusters.get('total')} rows, the naive grid {naive_total}")
    naive_p50 = statistics.median(naive_times)
    print(f"naive p50 {naive_p50:.0f} ms", flush=True)

    figures = {
        "explore_p50_ms": round(p50, 1),
        "explore_p99_ms": round(p99, 1),
        "explore_queries": queries,
        "naive_p50_ms": round(naive_p50, 1),
        "explore_queries_other_filter": other_queries,
        "unfiltered_p50_ms": round(unfiltered_p50, 1),
        "matching_rows": matched,
        "observations": args.observations,
        "repeat": args.repeat,
    }
    notes = (
        f"{args.observations:,} observations from the load generator ({AGREEMENTS} agreements, "
        f"{CLAUSES} clauses, {MONTHS} months up to {END.date()}, seed {SEED}), VACUUM ANALYZE "
        f"after loading. Typical filter `{TYPICAL}`: {matched:,} matching rows. One iteration "
        f"is `GET /explore/?<filter>` (weekly series and first table page of {PAGE_SIZE}) and "
        f"`GET /explore/clusters.json?<filter>&zoom={ZOOM}`, in-process through Django's test "
        f"client as an analyst, DEBUG off; p50 and p99 of {args.repeat} after 3 warm-ups. "
        "`explore_queries` is one iteration's query count; `explore_queries_other_filter` the "
        f"same for `{OTHER}` at zoom {OTHER_ZOOM}. `naive_p50_ms`: the same clusters, weekly "
        "counts and first page computed in Python from every matching row (values_list). "
        f"`unfiltered_p50_ms`: the same iteration with no filter at all (zoom "
        f"{UNFILTERED_ZOOM}; every row aggregated), median of {UNFILTERED_REPEAT}."
    )
    record(
        section="Explorer",
        command=command_for(args),
        figures=figures,
        notes=notes,
        write=args.write,
    )


if __name__ == "__main__":
    main()
