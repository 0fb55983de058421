#!/usr/bin/env python
"""Rules benchmark: a full evaluation over the load generator's data, its query count, an
incremental evaluation after one ingested payload, a naive per-clause evaluation, and a
historical (retrospective) evaluation as of a past date with every row filed later.

    python bench/rules.py                       # 10,000 clauses, 1,000,000 observations
    python bench/rules.py --stream              # 200 reports a minute for 5 minutes, 400k
    python bench/rules.py --stream --minutes 1 --rate 60 --observations 50000   # a short run

``--stream`` measures the lag from a report's acceptance to its alert with real workers (see
bench/stream.py); it needs Redis too (--broker-url). Needs PostgreSQL (--database-url; that
database is dropped and re-created). Ends with one JSON line; writes docs/PERFORMANCE.md
unless --no-docs.
"""

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DEFAULT_BROKER, DEFAULT_DATABASE, fresh_database, record  # noqa: E402


def naive_evaluate(clause_ids: list[int], as_of: dt.datetime) -> int:
    """What the rules would cost written as a loop: several queries per clause."""
    from agreements.models import Clause, VerificationMechanism
    from monitor.cadence import CadenceStatus, cadence_status
    from reports.models import Observation, Report

    flagged = 0
    window = as_of - dt.timedelta(days=30)
    for clause_id in clause_ids:
        clause = Clause.objects.select_related("agreement").get(pk=clause_id)
        if clause.agreement.status not in ("in_force", "provisional", "signed"):
            continue
        mechanisms = list(VerificationMechanism.objects.filter(clauses=clause))
        if not mechanisms:
            flagged += 1
        fresh = False
        for mechanism in mechanisms:
            last = (
                Report.objects.filter(
                    mission__mechanisms=mechanism, status="accepted", filed_at__lte=as_of
                )
                .order_by("-filed_at")
                .values_list("filed_at", flat=True)
                .first()
            )
            status = cadence_status(
                last=last,
                interval=mechanism.reporting_interval,
                grace=mechanism.grace,
                now=as_of,
                since=mechanism.active_from,
            )
            fresh = fresh or status != CadenceStatus.OVERDUE
        observations = Observation.objects.filter(clause=clause, report__status="accepted")
        violations = observations.filter(kind="violation", occurred_at__gt=window)
        flagged += violations.exists()
        recent = violations.filter(occurred_at__gt=as_of - dt.timedelta(days=7)).count()
        baseline = observations.filter(
            kind="violation",
            occurred_at__gt=as_of - dt.timedelta(days=63),
            occurred_at__lte=as_of - dt.timedelta(days=7),
        ).count()
        flagged += recent >= 5 and recent > 3 * baseline / 8
        if clause.deadline and clause.deadline < as_of.date():
            flagged += not observations.filter(kind="compliance").exists()
        flagged += observations.filter(kind="access_restricted", occurred_at__gt=window).exists()
        flagged += violations.values("source").distinct().count() == 1
        for prerequisite in clause.prerequisites.all():
            flagged += prerequisite.observations.filter(
                kind="violation", occurred_at__gt=window
            ).exists()
        flagged += not fresh and bool(mechanisms)
    return flagged


def historical_evaluate(*, days: int, repeat: int) -> dict:
    """Every report re-marked as filed now (archival: the rows describe the past, learned
    today), then the rules as of ``days`` ago, counting what is known now: the first run opens
    the retrospective alerts, the median of ``repeat`` more is the steady state."""
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from monitor.services import alerts_reconcile, rules_evaluate, rules_run
    from reports.models import Report

    now = timezone.now()
    Report.objects.update(filed_at=now)
    margin = dt.timedelta(days=settings.ARCHIVAL_MARGIN_DAYS)
    Report.objects.filter(period_end__lt=now - margin).update(archival=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reports_report")
    day = (now - dt.timedelta(days=days)).date()
    # As evaluate_rules --as-of reads a date: the end of that day, UTC.
    as_of = dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=dt.UTC)
    t = time.perf_counter()
    first = rules_run(trigger="command", as_of=as_of)
    first_run_s = time.perf_counter() - t
    assert first.retrospective, "the historical evaluation must be a retrospective one"
    times, findings = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        evaluation = rules_evaluate(as_of=as_of)  # known_at: now, after every filing
        alerts_reconcile(evaluation=evaluation)
        times.append(time.perf_counter() - t)
        findings = len(evaluation.findings)
    return {
        "as_of": day.isoformat(),
        "seconds": statistics.median(times),
        "first_run_s": first_run_s,
        "findings": findings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agreements", type=int, default=10)
    parser.add_argument("--clauses", type=int, default=10_000)
    parser.add_argument(
        "--observations", type=int, help="default: 1,000,000; with --stream 400,000"
    )
    parser.add_argument("--naive-sample", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--historical-days",
        type=int,
        default=90,
        help="historical evaluation: as of this many days ago (inside the six months of data)",
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--no-docs", action="store_true")
    stream = parser.add_argument_group("--stream: reports at a steady rate, real workers")
    stream.add_argument("--stream", action="store_true")
    stream.add_argument("--rate", type=float, default=200, help="reports a minute")
    stream.add_argument("--minutes", type=float, default=5)
    stream.add_argument("--per-report", type=int, default=24, help="observations (+1 probe)")
    stream.add_argument("--ingest-concurrency", type=int, default=2)
    stream.add_argument(
        "--rules-concurrency", type=int, default=1, help="as the Procfile's worker-rules"
    )
    stream.add_argument("--drain-timeout", type=float, default=300, help="seconds")
    stream.add_argument("--broker-url", default=DEFAULT_BROKER)
    args = parser.parse_args()
    if args.stream:
        from bench.stream import run

        args.observations = args.observations or 400_000
        run(args)
        return
    args.observations = args.observations or 1_000_000

    fresh_database(args.database_url)
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from agreements.models import Clause
    from demo.loadgen import load_generate, payload_bodies
    from monitor.models import Alert
    from monitor.services import alerts_reconcile, rules_evaluate, rules_run
    from reports.ingest.process import payload_ingest
    from reports.ingest.receive import payload_receive
    from reports.models import ObserverMission

    started = time.perf_counter()
    summary = load_generate(
        agreements=args.agreements,
        clauses=args.clauses,
        observations=args.observations,
        seed=1,
        prefix="rules",
    )
    with connection.cursor() as cursor:
        # What autovacuum does in steady state: statistics, and the visibility map that
        # index-only scans need (a freshly loaded table has none).
        cursor.execute("VACUUM ANALYZE")
    print(
        f"data: {summary.clauses} clauses, {summary.observations} observations "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )

    first_started = time.perf_counter()
    rules_run(trigger="command")
    first_run_s = time.perf_counter() - first_started
    print(f"first run (opens {Alert.objects.count()} alerts): {first_run_s:.2f} s", flush=True)

    times, queries = [], 0
    for _ in range(args.repeat):
        reset_queries()  # a full query log (9,000 entries) would capture nothing
        with CaptureQueriesContext(connection) as captured:
            t = time.perf_counter()
            evaluation = rules_evaluate(as_of=timezone.now())
            alerts_reconcile(evaluation=evaluation)
            times.append(time.perf_counter() - t)
        queries = len(captured)
    full_eval_s = statistics.median(times)
    per_rule = evaluation.per_rule
    print(f"full evaluation: {full_eval_s:.2f} s, {queries} queries", flush=True)

    # Incremental: one payload of 500 observations ingested, then its clauses evaluated. Its
    # rows spread over 30 days ending before now (the pipeline refuses rows in the future).
    mission = next(m for m in ObserverMission.objects.all() if m.mechanisms.exists())
    body = next(
        payload_bodies(
            mission=mission,
            observations=500,
            per_payload=500,
            seed=5,
            start=timezone.now() - dt.timedelta(days=31),
            prefix="incr",
        )
    )
    payload = payload_receive(
        body=body,
        content_type="application/json",
        format="json",
        channel="api",
        sender=None,
        mission=mission,
    ).payload
    payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    touched = payload.result["clauses"]
    incremental = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        rules_run(trigger="ingest", clause_ids=touched)
        incremental.append(time.perf_counter() - t)
    incremental_ms = statistics.median(incremental) * 1000

    sample = list(Clause.objects.order_by("?").values_list("pk", flat=True)[: args.naive_sample])
    t = time.perf_counter()
    naive_evaluate(sample, timezone.now())
    naive_s = (time.perf_counter() - t) * summary.clauses / len(sample)
    print(f"naive (scaled from {len(sample)} clauses): {naive_s:.1f} s", flush=True)

    historical = historical_evaluate(days=args.historical_days, repeat=args.repeat)
    print(
        f"historical evaluation as of {historical['as_of']}: {historical['seconds']:.2f} s, "
        f"{historical['findings']} findings",
        flush=True,
    )

    figures = {
        "clauses": summary.clauses,
        "observations": summary.observations,
        "full_eval_s": round(full_eval_s, 3),
        "full_eval_queries": queries,
        "naive_eval_s": round(naive_s, 1),
        "speedup": round(naive_s / full_eval_s, 1),
        "first_run_s": round(first_run_s, 2),
        "incremental_eval_ms": round(incremental_ms, 1),
        "incremental_clauses": len(touched),
        "historical_eval_s": round(historical["seconds"], 3),
        "historical_findings": historical["findings"],
        "historical_first_run_s": round(historical["first_run_s"], 2),
        "alerts": Alert.objects.filter(describes__isnull=True).count(),
        "historical_alerts": Alert.objects.filter(describes__isnull=False).count(),
        "findings_per_rule": per_rule,
    }
    command = "python bench/rules.py" + (
        ""
        if (args.clauses, args.observations) == (10_000, 1_000_000)
        else f" --clauses {args.clauses} --observations {args.observations}"
    )
    notes = (
        f"Load generator data ({args.agreements} agreements, {summary.clauses:,} clauses, "
        f"{summary.observations:,} observations over six months). `full_eval_s`: median of "
        f"{args.repeat} full evaluations of all eight rules over every clause plus the "
        "reconciliation with the open alerts, in steady state; `first_run_s` is the first "
        "one, which also opens every alert. `incremental_eval_ms`: rules for the "
        f"{len(touched)} clauses touched by one ingested 500-observation payload. "
        f"`naive_eval_s`: the same checks as a Python loop with per-clause queries on "
        f"{len(sample)} random clauses, scaled to all clauses. `historical_eval_s`: median of "
        f"{args.repeat} full evaluations as of {args.historical_days} days ago after every "
        "report was marked filed now (an archival load), plus the reconciliation with the "
        "retrospective alerts about that moment; `historical_first_run_s` is the first, "
        "which opens them; `historical_findings` what it found."
    )
    record(section="Rules", command=command, figures=figures, notes=notes, write=not args.no_docs)


if __name__ == "__main__":
    main()
