"""Rules under a stream of reports (``bench/rules.py --stream``): reports arrive at a steady
rate and go through real workers, one per queue (ingest, rules, notify) plus beat, on Redis
and PostgreSQL; the lag is measured from each report's acceptance to its alert.

Every report carries one probe: a violation attributed to a party, the latest observation of
its clause, so the alert for that clause and party takes it as evidence once the rules have
seen the report. The benchmark polls for that link (what the API and the feed would show).
"""

import datetime as dt
import math
import os
import random
import statistics
import time

from bench.common import fresh_database, record, start_beat, start_worker, stop

PLACES = ["Shyrokyne", "Avdiivka", "Horlivka", "Marinka", "Zolote", "Popasna"]


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def report_body(*, rng, mission, covered, parties, number: int, size: int, now) -> bytes:
    """A report of ``size`` observations of the last week, plus the probe (the last row)."""
    import json

    from demo.loadgen import _kinds, point_in

    rows = []
    for kind in _kinds(rng, size):
        clause = rng.choice(list(covered))
        latitude, longitude = point_in(rng, covered[clause])
        rows.append(
            {
                "kind": kind,
                "clause": clause,
                "occurred_at": (
                    now - dt.timedelta(minutes=rng.randint(60, 7 * 24 * 60))
                ).isoformat(),
                "place_name": rng.choice(PLACES),
                "latitude": latitude,
                "longitude": longitude,
                "quantity": rng.randint(1, 60),
                "severity": rng.randint(1, 4),
                "source": "patrol",
                "grade": "B2",
                **({"party": rng.choice(parties)} if kind == "violation" else {}),
            }
        )
    probe = rng.choice(list(covered))
    latitude, longitude = point_in(rng, covered[probe])
    rows.append(
        {
            "kind": "violation",
            "clause": probe,
            "party": rng.choice(parties),
            "occurred_at": (now - dt.timedelta(seconds=1)).isoformat(),
            "place_name": rng.choice(PLACES),
            "latitude": latitude,
            "longitude": longitude,
            "severity": 4,
            "description": "lag probe",
            "source": "UAV",
            "grade": "A1",
        }
    )
    return json.dumps(
        {
            "mission": mission.code,
            "external_id": f"stream-{number:06d}",
            "period": {
                "start": (now - dt.timedelta(days=7)).isoformat(),
                "end": now.isoformat(),
            },
            "observations": rows,
        }
    ).encode()


class Probes:
    """Reports submitted, their acceptance, and when their probe became alert evidence."""

    def __init__(self, probe_sequence: int):
        self.sequence = probe_sequence
        self.submitted: dict[int, float] = {}  # payload id -> time.time()
        self.accepted: dict[int, dt.datetime] = {}  # probe observation id -> accepted at
        self.ingest_lags: list[float] = []
        self.lags: list[float] = []
        self.failed = 0

    def poll(self) -> None:
        from django.utils import timezone

        from monitor.models import Alert
        from reports.models import InboundPayload, Observation

        if self.submitted:
            finished = list(
                InboundPayload.objects.filter(
                    pk__in=list(self.submitted), state__in=["done", "rejected", "quarantined"]
                ).values_list("pk", "state", "processed_at", "result")
            )
            reports = {}
            for pk, state, processed_at, result in finished:
                submitted = self.submitted.pop(pk)
                if state != "done":
                    self.failed += 1
                    continue
                reports[result["report_id"]] = processed_at
                self.ingest_lags.append(processed_at.timestamp() - submitted)
            for report_id, obs_id in Observation.objects.filter(
                report_id__in=list(reports), sequence=self.sequence
            ).values_list("report_id", "pk"):
                self.accepted[obs_id] = reports[report_id]
        if self.accepted:
            seen = set(
                Alert.evidence.through.objects.filter(
                    observation_id__in=list(self.accepted)
                ).values_list("observation_id", flat=True)
            )
            now = timezone.now()
            for obs_id in seen:
                self.lags.append((now - self.accepted.pop(obs_id)).total_seconds())

    @property
    def waiting(self) -> int:
        return len(self.submitted) + len(self.accepted)


def run(args) -> None:
    os.environ["CELERY_BROKER_URL"] = args.broker_url  # this process enqueues, too
    fresh_database(args.database_url)
    import redis
    from django.db import connection
    from django.utils import timezone

    from agreements.models import Party
    from demo.loadgen import clause_boxes, load_generate
    from monitor.aggregates import aggregates_refresh
    from monitor.models import EvaluationRun
    from monitor.services import rules_run
    from reports.ingest.receive import payload_receive
    from reports.models import ObserverMission

    broker = redis.Redis.from_url(args.broker_url)
    broker.flushdb()
    started = time.perf_counter()
    summary = load_generate(
        agreements=args.agreements,
        clauses=args.clauses,
        observations=args.observations,
        seed=1,
        prefix="stream",
    )
    aggregates_refresh()
    rules_run(trigger="command")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"data: {summary.clauses} clauses, {summary.observations} observations "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    missions = [m for m in ObserverMission.objects.all() if m.mechanisms.exists()]
    # Each clause with a box of its areas: the rows (and the probe) fall inside them.
    covered = {m.pk: clause_boxes(mission=m) for m in missions}
    parties = list(Party.objects.filter(code__startswith="stream-").values_list("code", flat=True))

    processes = [
        start_worker(
            broker=args.broker_url,
            database=args.database_url,
            concurrency=concurrency,
            queues=queue,
        )
        for queue, concurrency in (
            ("ingest", args.ingest_concurrency),
            ("rules", args.rules_concurrency),
            ("notify", 1),
        )
    ]
    processes.append(start_beat(broker=args.broker_url, database=args.database_url))
    rng = random.Random(11)
    probes = Probes(probe_sequence=args.per_report + 1)
    total = round(args.rate * args.minutes)
    interval = 60 / args.rate
    max_queue = 0
    runs_before = EvaluationRun.objects.filter(trigger="ingest").count()
    try:
        began = time.monotonic()
        for number in range(total):
            mission = missions[number % len(missions)]
            body = report_body(
                rng=rng,
                mission=mission,
                covered=covered[mission.pk],
                parties=parties,
                number=number,
                size=args.per_report,
                now=timezone.now(),
            )
            payload = payload_receive(
                body=body,
                content_type="application/json",
                format="json",
                channel="api",
                sender=None,
                mission=mission,
            ).payload
            probes.submitted[payload.pk] = time.time()
            # Poll while waiting for the next report's turn.
            due = began + (number + 1) * interval
            while True:
                probes.poll()
                max_queue = max(max_queue, broker.llen("rules"))
                if time.monotonic() >= due - 0.05:
                    break
                time.sleep(min(0.2, max(0.0, due - time.monotonic())))
            if number % max(1, round(args.rate)) == 0:
                print(
                    f"{number} reports, {len(probes.lags)} alerts seen, "
                    f"{probes.waiting} waiting, rules queue {broker.llen('rules')}",
                    flush=True,
                )
        stream_s = time.monotonic() - began
        deadline = time.monotonic() + args.drain_timeout
        while probes.waiting and time.monotonic() < deadline:
            probes.poll()
            max_queue = max(max_queue, broker.llen("rules"))
            time.sleep(0.2)
    finally:
        for process in processes:
            stop(process)
    if not probes.lags:
        raise SystemExit("no alert seen: see the worker logs")
    runs = list(
        EvaluationRun.objects.filter(trigger="ingest")
        .order_by("started_at")
        .values_list("started_at", "finished_at", "summary")[runs_before:]
    )
    durations = [(f - s).total_seconds() * 1000 for s, f, _ in runs]
    requests = [summary.get("requests", 1) for _, _, summary in runs]
    figures = {
        "alert_lag_p50_s": round(percentile(probes.lags, 0.50), 2),
        "alert_lag_p99_s": round(percentile(probes.lags, 0.99), 2),
        "alert_lag_max_s": round(max(probes.lags), 2),
        "ingest_lag_p50_s": round(percentile(probes.ingest_lags, 0.50), 2),
        "reports": total,
        "reports_per_min": round(total / stream_s * 60, 1),
        "minutes": args.minutes,
        "observations_per_report": args.per_report + 1,
        "alerts_seen": len(probes.lags),
        "alerts_missing": probes.waiting,
        "reports_failed": probes.failed,
        "evaluation_runs": len(runs),
        "requests_per_run": round(statistics.mean(requests), 1) if requests else 0,
        "run_p50_ms": round(statistics.median(durations)) if durations else None,
        "run_max_ms": round(max(durations)) if durations else None,
        "rules_queue_max": max_queue,
        "agreements": args.agreements,
        "clauses": summary.clauses,
        "observations": summary.observations,
    }
    options = {
        "rate": (args.rate, 200),
        "minutes": (args.minutes, 5),
        "observations": (args.observations, 400_000),
        "rules-concurrency": (args.rules_concurrency, 1),
        "ingest-concurrency": (args.ingest_concurrency, 2),
    }
    command = "python bench/rules.py --stream" + "".join(
        f" --{name} {value:g}" for name, (value, default) in options.items() if value != default
    )
    notes = (
        f"Load generator data ({args.agreements} agreements, {summary.clauses:,} clauses, "
        f"{summary.observations:,} observations), aggregates built and rules run once. Then "
        f"{total} JSON reports of {args.per_report + 1} observations, {args.rate:g} a minute "
        f"for {args.minutes:g} minutes, stored by the service and enqueued on Redis; a Celery "
        f"worker per queue (ingest ×{args.ingest_concurrency}, rules "
        f"×{args.rules_concurrency}, notify ×1) and beat. Each report's last row is a "
        "violation attributed to a party on a random clause its mission covers; "
        "`alert_lag_*` runs from the report's acceptance (the payload's `processed_at`) to the "
        "moment that observation is evidence of a live alert, polled every 0.2 s. "
        "`evaluation_runs` are the rule runs the ingests caused, `requests_per_run` how many "
        "ingest requests each absorbed, `rules_queue_max` the longest the rules queue got."
    )
    record(
        section="Rules under a stream of reports",
        command=command,
        figures=figures,
        notes=notes,
        write=not args.no_docs,
    )
