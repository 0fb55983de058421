#!/usr/bin/env python
"""Ingestion benchmark: the whole path (service -> Redis -> Celery workers -> PostgreSQL)
against a raw COPY of the same rows and a naive one-ORM-object-at-a-time loop.

    python bench/ingest.py --observations 1000000

Needs PostgreSQL and Redis (see --database-url, --broker-url); the database named there is
dropped and re-created. Ends with one JSON line; writes docs/PERFORMANCE.md unless --no-docs.
"""

import argparse
import datetime as dt
import io
import itertools
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    DEFAULT_BROKER,
    DEFAULT_DATABASE,
    fresh_database,
    record,
    start_worker,
    stop,
)

# Rows of the generated payloads: a month inside the generated agreements' life (in force
# since about six months ago), so the scope checks find them in period, as real reports are.
PAYLOAD_START = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=60)


def wait_done(ids: list[int], timeout: float) -> None:
    from reports.models import InboundPayload

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        open_ = (
            InboundPayload.objects.filter(pk__in=ids)
            .exclude(state__in=["done", "rejected", "quarantined"])
            .count()
        )
        if not open_:
            bad = InboundPayload.objects.filter(pk__in=ids).exclude(state="done")
            if bad.exists():
                raise SystemExit(f"payload not ingested: {bad.first().last_error}")
            return
        time.sleep(0.1)
    raise SystemExit("timed out waiting for the workers")


# A mission spreadsheet as field teams keep one: its own headers, its own words for the kinds,
# local times, a status column no field takes (kept as an attribute): read through an import
# profile, so the pipeline is timed with the profile's mapping on (issue 15).
SHEET_HEADERS = [
    "Event ID",
    "Date (local)",
    "Type",
    "Clause",
    "Place",
    "Lat",
    "Lon",
    "Count",
    "Severity",
    "Notes",
    "Source",
    "Grade",
    "Status",
]
SHEET_KINDS = {
    "violation": "Ceasefire violation",
    "compliance": "Observed compliance",
    "incident": "Incident",
    "access_restricted": "Access denied",
    "information": "Information",
}
BENCH_PROFILE = {
    "name": "Benchmark mission spreadsheet",
    "columns": {
        "Event ID": "id",
        "Date (local)": "occurred_at",
        "Type": "kind",
        "Clause": "clause",
        "Place": "place_name",
        "Lat": "latitude",
        "Lon": "longitude",
        "Count": "quantity",
        "Severity": "severity",
        "Notes": "description",
        "Source": "source",
        "Grade": "grade",
    },
    "values": {"kind": {words: kind for kind, words in SHEET_KINDS.items()}},
    "set": {"verification_status": "unverified"},
    "time": {"zone": "Europe/Kyiv"},
}


def sheet_rows(body: bytes) -> Iterator[list[object]]:
    """The observations of a generated JSON report as rows of the mission's spreadsheet."""
    import json
    from zoneinfo import ZoneInfo

    kyiv = ZoneInfo("Europe/Kyiv")
    for number, row in enumerate(json.loads(body)["observations"], start=1):
        local = dt.datetime.fromisoformat(row["occurred_at"]).astimezone(kyiv)
        written = local.strftime("%Y-%m-%d %H:%M:%S")
        if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
            # The autumn hour that clocks repeat: its wall time names two instants, so the
            # sheet gives the offset there (the importer would read the first, summer one).
            written = local.isoformat(sep=" ")
        yield [
            f"EV-{number}",
            written,
            SHEET_KINDS[row["kind"]],
            row["clause"],
            row["place_name"],
            row["latitude"],
            row["longitude"],
            row["quantity"],
            row["severity"],
            row["description"],
            row["source"],
            row["grade"],
            "checked" if number % 3 else "repeat",
        ]


def sheet_csv(body: bytes) -> bytes:
    import csv

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(SHEET_HEADERS)
    writer.writerows(sheet_rows(body))
    return text.getvalue().encode()


def pipeline(bodies: list[tuple[object, bytes]], *, profiled: bool) -> float:
    """Store every payload and wait for the workers to ingest them all. ``profiled``: each
    report goes as the mission's spreadsheet (CSV) read through BENCH_PROFILE."""
    import json

    from reports.ingest.receive import payload_receive
    from reports.profiles.registry import profile_params
    from reports.profiles.spec import from_mapping

    spec = from_mapping(BENCH_PROFILE, code="bench-sheet")
    sent = []
    for mission, body in bodies:
        if profiled:
            header = json.loads(body)
            params = profile_params(
                {"mission": mission.code, "external_id": header["external_id"] + "-sheet"}, spec
            )
            sent.append((mission, sheet_csv(body), "csv", "text/csv", params))
        else:
            sent.append((mission, body, "json", "application/json", {}))
    started = time.perf_counter()
    ids = [
        payload_receive(
            body=body,
            content_type=content_type,
            format=fmt,
            channel="api",
            sender=None,
            mission=mission,
            params=params,
        ).payload.pk
        for mission, body, fmt, content_type, params in sent
    ]
    wait_done(ids, timeout=3600)
    return time.perf_counter() - started


def preview_xlsx(mission, rows: int, path: Path) -> tuple[float, int]:
    """Seconds to preview (dry-run) a ``rows``-row XLSX of the mission's spreadsheet, read
    through BENCH_PROFILE, and the rows the preview would store."""
    from openpyxl import Workbook

    from demo.loadgen import payload_bodies
    from reports.ingest.preview import preview_file
    from reports.profiles.registry import profile_params
    from reports.profiles.spec import from_mapping

    book = Workbook(write_only=True)
    readme = book.create_sheet("Read me")
    readme.append(["Generated by bench/ingest.py: one row per observation on sheet Events."])
    sheet = book.create_sheet("Events")
    sheet.append(SHEET_HEADERS)
    for body in payload_bodies(
        mission=mission, observations=rows, per_payload=rows, seed=99, start=PAYLOAD_START
    ):
        for row in sheet_rows(body):
            sheet.append(row)
    book.save(path)
    data = path.read_bytes()
    spec = from_mapping({**BENCH_PROFILE, "sheet": "Events"}, code="bench-sheet")
    params = profile_params({"mission": mission.code, "external_id": "preview"}, spec)
    started = time.perf_counter()
    preview = preview_file(body=data, format="xlsx", params=params, mission=mission)
    seconds = time.perf_counter() - started
    figures = preview.as_dict()
    stored = figures["totals"]["would_store"]
    return seconds, int(stored or 0)


def raw_copy(rows: int) -> float:
    """COPY the rows the pipeline stored into the same table again, as text: the floor."""
    from django.db import connection

    from reports.ingest.rows import COLUMNS

    columns = ", ".join(COLUMNS)
    buffer = io.BytesIO()
    connection.ensure_connection()
    raw = connection.connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY (SELECT {columns} FROM reports_observation) TO STDOUT") as copy,
    ):
        for chunk in copy:
            buffer.write(chunk)
    data = buffer.getvalue()

    def timed(table: str) -> float:
        started = time.perf_counter()
        with (
            raw.transaction(),
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            view = memoryview(data)
            for start in range(0, len(data), 8 << 20):
                copy.write(view[start : start + (8 << 20)])
        return time.perf_counter() - started

    # The same bytes into a bare copy of the table (no index, no foreign key): what the
    # indexes and the foreign-key checks of the real table cost.
    with raw.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_observation")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_bare_observation (LIKE reports_observation "
            "INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
    raw.commit()
    bare_s = timed("bench_bare_observation")
    with raw.cursor() as cursor:
        cursor.execute("DROP TABLE bench_bare_observation")
    raw.commit()
    return timed("reports_observation"), bare_s


def naive(sample: int) -> float:
    from reports.ingest.rows import COLUMNS
    from reports.models import Observation

    rows = list(
        Observation.objects.values(
            *[c.removesuffix("_id") + ("_id" if c.endswith("_id") else "") for c in COLUMNS]
        )[:sample]
    )
    started = time.perf_counter()
    for row in rows:
        Observation(**row).save()  # autocommit, one INSERT per row: what a naive loop does
    return time.perf_counter() - started


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def group_rss_kb(pgid: int) -> int:
    """Resident memory of the worker and any children it started, now."""
    return sum(_status_kb(pid, "VmRSS") for pid in _group_pids(pgid))


def group_hwm_kb(pgid: int) -> int:
    """The largest peak (VmHWM) of any process of the worker."""
    return max((_status_kb(pid, "VmHWM") for pid in _group_pids(pgid)), default=0)


def peak_rss_for_big_payload(args, mission, target_mb: int) -> tuple[float, int]:
    """Ingest one payload of ``target_mb`` MB in a fresh solo worker; its peak RSS in MB."""
    from demo.loadgen import payload_bodies
    from reports.ingest.receive import payload_receive
    from reports.models import InboundPayload

    probe = next(
        payload_bodies(
            mission=mission,
            observations=1000,
            per_payload=1000,
            seed=99,
            start=PAYLOAD_START,
            prefix="probe",
        )
    )
    per_obs = len(probe) / 1000
    count = int(target_mb * 1024 * 1024 / per_obs) + 1
    body = next(
        payload_bodies(
            mission=mission,
            observations=count,
            per_payload=count,
            seed=100,
            start=PAYLOAD_START,
            prefix="big",
        )
    )
    worker = start_worker(
        broker=args.broker_url,
        database=args.database_url,
        concurrency=1,
        pool="solo",
        queues="ingest",
    )
    try:
        payload = payload_receive(
            body=body,
            content_type="application/json",
            format="json",
            channel="api",
            sender=None,
            mission=mission,
        ).payload
        peak_kb = 0
        while not InboundPayload.objects.filter(
            pk=payload.pk, state__in=["done", "rejected", "quarantined"]
        ).exists():
            peak_kb = max(peak_kb, group_rss_kb(worker.pid))
            time.sleep(0.05)
        wait_done([payload.pk], timeout=10)
        peak_kb = max(peak_kb, group_hwm_kb(worker.pid))
    finally:
        stop(worker)
    return peak_kb / 1024, len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--per-payload", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--naive-sample", type=int, default=5_000)
    parser.add_argument("--big-payload-mb", type=int, default=100)
    parser.add_argument(
        "--preview-rows", type=int, default=100_000, help="rows of the previewed XLSX"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--broker-url", default=DEFAULT_BROKER)
    parser.add_argument("--no-docs", action="store_true", help="do not write PERFORMANCE.md")
    args = parser.parse_args()

    os.environ["CELERY_BROKER_URL"] = args.broker_url  # this process enqueues, too
    fresh_database(args.database_url)
    import redis

    redis.Redis.from_url(args.broker_url).flushdb()
    from demo.loadgen import load_generate, payload_bodies
    from reports.models import Observation, ObserverMission

    load_generate(agreements=2, clauses=200, observations=0, seed=7, prefix="bench")
    Observation.objects.all().delete()
    missions = [m for m in ObserverMission.objects.all() if m.mechanisms.exists()]
    per_mission = -(-args.observations // len(missions))
    per_mission_bodies = []
    for i, mission in enumerate(missions):
        share = min(per_mission, args.observations - i * per_mission)
        per_mission_bodies.append(
            [
                (mission, body)
                for body in payload_bodies(
                    mission=mission,
                    observations=share,
                    per_payload=args.per_payload,
                    seed=i,
                    start=PAYLOAD_START,
                )
            ]
        )
    # Interleave missions so the workers are never queued behind one mission's lock.
    bodies = [
        item
        for group in itertools.zip_longest(*per_mission_bodies)
        for item in group
        if item is not None
    ]
    print(f"{len(bodies)} payloads, {sum(len(b) for _, b in bodies) / 1e6:.0f} MB", flush=True)

    # The ingest queue's own workers, as production runs them: rule evaluation and webhooks
    # are queued on "rules" and "notify" for their own workers and are not timed here.
    workers = start_worker(
        broker=args.broker_url,
        database=args.database_url,
        concurrency=args.workers,
        queues="ingest",
    )
    try:
        json_s = pipeline(bodies, profiled=False)
        stored = Observation.objects.count()
        if stored != args.observations:
            raise SystemExit(f"stored {stored} observations, expected {args.observations}")
        print(f"pipeline (JSON): {stored / json_s:,.0f} obs/s", flush=True)
        # The same reports again as the missions' spreadsheets through an import profile:
        # new report ids, so they are stored again, not answered as duplicates. Into an
        # emptied table (TRUNCATE, not DELETE: a million dead rows would slow every insert).
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Observation._meta.db_table} CASCADE")
        pipeline_s = pipeline(bodies, profiled=True)
    finally:
        stop(workers)
    stored = Observation.objects.count()
    if stored != args.observations:
        raise SystemExit(f"stored {stored} observations, expected {args.observations}")
    print(f"pipeline (CSV through a profile): {stored / pipeline_s:,.0f} obs/s", flush=True)
    copy_s, bare_s = raw_copy(stored)
    print(f"COPY: {stored / copy_s:,.0f} rows/s", flush=True)
    naive_s = naive(args.naive_sample)
    print(f"naive: {args.naive_sample / naive_s:,.0f} obs/s", flush=True)
    peak_mb, big_bytes = peak_rss_for_big_payload(args, missions[0], args.big_payload_mb)
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        preview_s, previewed = preview_xlsx(
            missions[0], args.preview_rows, Path(folder) / "events.xlsx"
        )
    if previewed != args.preview_rows:
        raise SystemExit(f"the preview would store {previewed} rows, not {args.preview_rows}")
    print(f"preview of a {args.preview_rows:,}-row XLSX: {preview_s:.1f} s", flush=True)

    figures = {
        "pipeline_obs_per_s": round(stored / pipeline_s),
        "pipeline_json_obs_per_s": round(stored / json_s),
        "preview_100k_rows_s": round(preview_s, 2),
        "preview_rows": args.preview_rows,
        "copy_obs_per_s": round(stored / copy_s),
        "naive_obs_per_s": round(args.naive_sample / naive_s),
        "copy_bare_table_obs_per_s": round(stored / bare_s),
        "peak_rss_mb_100mb_payload": round(peak_mb),
        "observations": stored,
        "payloads": len(bodies),
        "workers": args.workers,
        "big_payload_bytes": big_bytes,
    }
    command = f"python bench/ingest.py --observations {args.observations}"
    notes = (
        f"{stored:,} observations in {len(bodies)} payloads of {args.per_payload:,}: "
        "`pipeline_obs_per_s` sends each as a mission's spreadsheet (CSV with its own headers, "
        "words for kinds and local times) read through an import profile; "
        "`pipeline_json_obs_per_s` sends the same reports as JSON. Each is "
        f"stored by the service, enqueued on Redis and ingested by {args.workers} Celery "
        "worker processes of the `ingest` queue (rules and webhooks go to their own queues) "
        "into PostgreSQL (parse, validate, match clauses, COPY), against a "
        "raw text COPY of the same rows into the same table and a naive loop saving one ORM "
        f"object per row ({args.naive_sample:,}-row sample). `copy_bare_table_obs_per_s` is "
        "the same COPY into an unlogged copy of the table without indexes or foreign keys: "
        "the gap to `copy_obs_per_s` is what the indexes and the per-row foreign-key checks "
        "cost. Peak memory is the largest resident size of a solo worker (sampled every "
        f"50 ms, and its VmHWM) while it ingests one {big_bytes / 1e6:.0f} MB payload, which "
        "it reads from the database in 4 MB slices. `preview_100k_rows_s` is the dry run "
        f"(parse, map, validate every row, count the figures; nothing stored) of a "
        f"{args.preview_rows:,}-row XLSX whose first sheet is a read-me."
    )
    record(
        section="Ingestion", command=command, figures=figures, notes=notes, write=not args.no_docs
    )


if __name__ == "__main__":
    main()
