"""A synthetic but realistic data set, reproducible from a seed, for benchmarks and demos.

Agreements with clause trees, mechanisms with cadences (and clauses nobody watches),
missions, and reports spread over months whose violations cluster in time and place, as
shelling does around a few hot spots. Rows are written in bulk (COPY on PostgreSQL).
"""

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from agreements.models import Agreement, Area, Clause, DateAnchor, Party, VerificationMechanism
from agreements.services import clause_dates_resolve
from reports.ingest.writer import observations_write
from reports.ledger import ledger_backfill
from reports.models import Observation, ObserverMission, Report, ReportStatus

CATEGORIES = [c for c in Clause.Category.values if c != Clause.Category.OTHER]
PLACES = [
    "Shyrokyne",
    "Avdiivka",
    "Horlivka",
    "Marinka",
    "Zolote",
    "Stanytsia Luhanska",
    "Svitlodarsk",
    "Pisky",
    "Krasnohorivka",
    "Popasna",
    "Debaltseve",
    "Mariupol port",
]
SOURCES = ["patrol", "UAV", "camera", "interlocutor", "hospital records", "satellite"]
KIND_WEIGHTS = [
    (Observation.Kind.VIOLATION, 0.45),
    (Observation.Kind.COMPLIANCE, 0.30),
    (Observation.Kind.INCIDENT, 0.10),
    (Observation.Kind.ACCESS_RESTRICTED, 0.07),
    (Observation.Kind.INFORMATION, 0.08),
]
CADENCES = [dt.timedelta(days=1), dt.timedelta(days=7), dt.timedelta(days=14)]


@dataclass
class LoadSummary:
    agreements: int = 0
    clauses: int = 0
    unmonitored_clauses: int = 0
    mechanisms: int = 0
    missions: int = 0
    reports: int = 0
    observations: int = 0
    mission_codes: list[str] = field(default_factory=list)


def _kinds(rng: random.Random, n: int) -> list[str]:
    kinds, weights = zip(*KIND_WEIGHTS, strict=True)
    return rng.choices(kinds, weights=weights, k=n)


@transaction.atomic
def load_generate(
    *,
    agreements: int,
    clauses: int,
    observations: int,
    seed: int,
    months: int = 6,
    prefix: str = "load",
    end: dt.datetime | None = None,
) -> LoadSummary:
    """Create the data set; the same arguments always give the same rows."""
    rng = random.Random(seed)
    end = end or timezone.now().replace(minute=0, second=0, microsecond=0)
    start = end - dt.timedelta(days=30 * months)
    summary = LoadSummary()
    tag = f"{prefix}-{seed}"

    parties = [
        Party.objects.get_or_create(
            code=f"{tag}-party-{i}",
            defaults={"name": f"Party {chr(65 + i)} ({tag})", "kind": Party.Kind.BELLIGERENT},
        )[0]
        for i in range(6)
    ]
    areas = []
    for i in range(20):
        lon, lat = 36.0 + rng.random() * 4, 46.5 + rng.random() * 3
        areas.append(
            Area.objects.get_or_create(
                code=f"{tag}-area-{i}",
                defaults={
                    "name": f"Sector {i} ({tag})",
                    "country": "UA",
                    "min_lon": lon,
                    "min_lat": lat,
                    "max_lon": lon + 0.4,
                    "max_lat": lat + 0.3,
                },
            )[0]
        )

    per_agreement = max(1, clauses // max(agreements, 1))
    all_clauses: list[Clause] = []
    mechanisms: list[VerificationMechanism] = []
    for a in range(agreements):
        agreement = Agreement.objects.create(
            code=f"{tag}-agreement-{a}",
            title=f"Synthetic agreement {a} ({tag})",
            short_title=f"Synthetic {a}",
            kind=rng.choice(Agreement.Kind.values),
            status=Agreement.Status.IN_FORCE,
            signed_on=start.date(),
            in_force_on=start.date() + dt.timedelta(days=2),
            source_note="Synthetic data from generate_load; not a real agreement.",
        )
        summary.agreements += 1
        rows, top = [], 0
        for c in range(per_agreement):
            if c % 5 == 0:
                top += 1
                ref, parent_ref = str(top), None
            else:
                ref, parent_ref = f"{top}.{c % 5}", str(top)
            has_deadline = rng.random() < 0.1
            rows.append(
                (
                    ref,
                    parent_ref,
                    Clause(
                        agreement=agreement,
                        reference=ref,
                        position=c,
                        title=f"Obligation {ref}",
                        text=f"The parties shall implement obligation {ref}.",
                        category=CATEGORIES[(c // 5) % len(CATEGORIES)],
                        phase=1 + (top > 3),
                        deadline_anchor=DateAnchor.AGREEMENT_IN_FORCE if has_deadline else "",
                        deadline_offset_days=rng.randint(7, 120) if has_deadline else None,
                    ),
                )
            )
        created = Clause.objects.bulk_create([row[2] for row in rows], batch_size=2000)
        by_ref = {clause.reference: clause for clause in created}
        children = []
        for (_, parent_ref, _), clause in zip(rows, created, strict=True):
            if parent_ref:
                clause.parent = by_ref[parent_ref]
                children.append(clause)
        Clause.objects.bulk_update(children, ["parent"], batch_size=2000)
        Clause.areas.through.objects.bulk_create(
            [
                Clause.areas.through(clause_id=clause.pk, area_id=rng.choice(areas).pk)
                for clause in created
            ],
            batch_size=5000,
        )
        clause_dates_resolve(agreement=agreement)
        all_clauses.extend(created)

        monitored = [c for c in created if rng.random() > 0.15]  # ~15% watched by nobody
        summary.unmonitored_clauses += len(created) - len(monitored)
        for m, cadence in enumerate(CADENCES):
            mechanism = VerificationMechanism.objects.create(
                agreement=agreement,
                code=f"{tag}-{a}-mech-{m}",
                name=f"Mechanism {a}.{m}",
                kind=rng.choice(VerificationMechanism.Kind.values),
                responsible_party=rng.choice(parties),
                reporting_interval=cadence,
                grace=cadence / 2,
                active_from=start.date(),
            )
            share = monitored[m :: len(CADENCES)]
            mechanism.clauses.add(*share)
            mechanisms.append(mechanism)
    summary.clauses = len(all_clauses)
    summary.mechanisms = len(mechanisms)

    missions = []
    for mechanism in mechanisms:
        mission = ObserverMission.objects.create(
            code=f"{mechanism.code}-team", name=f"Team of {mechanism.name}"
        )
        mission.mechanisms.add(mechanism)
        missions.append((mission, list(mechanism.clauses.all())))
        summary.mission_codes.append(mission.code)
    missions = [(mission, covered) for mission, covered in missions if covered]
    summary.missions = len(missions)

    hot_spots = [
        (start + dt.timedelta(days=rng.uniform(0, 30 * months)), rng.choice(areas))
        for _ in range(8)
    ]
    obs_per_report = 200
    n_reports = max(1, observations // obs_per_report)
    reports = []
    for r in range(n_reports):
        mission, _ = missions[r % len(missions)]
        day = start + dt.timedelta(days=(30 * months) * r / n_reports)
        reports.append(
            Report(
                mission=mission,
                external_id=f"{tag}-R{r:07d}",
                period_start=day,
                period_end=day + dt.timedelta(days=1),
                status=ReportStatus.ACCEPTED,
                channel="command",
                filed_at=day + dt.timedelta(days=1),
                title="Synthetic report",
            )
        )
    reports = Report.objects.bulk_create(reports, batch_size=2000)
    summary.reports = len(reports)

    remaining = observations
    batch: list[tuple] = []
    covered_of = {m.pk: c for m, c in missions}
    for report in reports:
        count = min(obs_per_report, remaining) if report is not reports[-1] else remaining
        remaining -= count
        covered = covered_of[report.mission_id]
        kinds = _kinds(rng, count)
        for i in range(count):
            spot_time, spot_area = rng.choice(hot_spots)
            clustered = rng.random() < 0.6
            occurred = (
                spot_time + dt.timedelta(hours=rng.gauss(0, 72))
                if clustered
                else report.period_start + dt.timedelta(hours=rng.uniform(0, 24))
            )
            occurred = min(max(occurred, start), end)
            area = spot_area if clustered else rng.choice(areas)
            lat = (area.min_lat or 0.0) + rng.random() * 0.3  # generated areas have a bbox
            lon = (area.min_lon or 0.0) + rng.random() * 0.4
            kind = kinds[i]
            batch.append(
                (
                    report.pk,
                    i + 1,
                    kind,
                    rng.choice(covered).pk,
                    rng.choice(parties).pk if kind == Observation.Kind.VIOLATION else None,
                    occurred,
                    occurred.astimezone(dt.UTC).date(),  # generated agreements keep UTC
                    False,
                    rng.choice(PLACES),
                    area.name,
                    area.pk,
                    round(lat, 5),
                    round(lon, 5),
                    rng.randint(1, 60) if kind == Observation.Kind.VIOLATION else None,
                    rng.choices([1, 2, 3, 4], weights=[4, 4, 2, 1])[0],
                    "Synthetic observation",
                    [],
                    rng.choice(SOURCES),
                    rng.choice("ABCDEF"),
                    rng.randint(1, 6),
                    rng.choice(Observation.Verification.values),
                    {},
                    False,  # generated rows fall inside their clause's period and areas
                    False,
                    "",
                    "",  # actor, amount, unit, destination: none for these events
                    None,
                    "",
                    "",
                    None,
                    None,
                    False,  # place checks: the generated areas are not real admin areas
                    "",
                )
            )
            if len(batch) >= 20_000:
                observations_write(batch)
                summary.observations += len(batch)
                batch = []
    observations_write(batch)
    summary.observations += len(batch)
    # Bulk-created as accepted: chain them as the pipeline would have, so the ledger verifies.
    ledger_backfill(report_model=Report, mission_ids=[m.pk for m, _ in missions])
    if connection.vendor == "postgresql":
        # Fresh statistics: without them the planner takes a million rows for a handful.
        transaction.on_commit(lambda: connection.cursor().execute("ANALYZE"))
    return summary


Box = tuple[float, float, float, float]  # min_lat, min_lon, max_lat, max_lon


def clause_boxes(*, mission: ObserverMission) -> dict[str, Box | None]:
    """``"agreement:reference"`` of every clause the mission covers, with the bounding box of
    one of its areas (None without one): generated rows fall inside their clause's areas,
    as real reports do, so the scope checks count them."""
    boxes: dict[str, Box | None] = {}
    for code, ref, min_lat, min_lon, max_lat, max_lon in (
        Clause.objects.filter(mechanisms__missions=mission)
        .values_list(
            "agreement__code",
            "reference",
            "areas__min_lat",
            "areas__min_lon",
            "areas__max_lat",
            "areas__max_lon",
        )
        .order_by("agreement__code", "reference")
    ):
        key = f"{code}:{ref}"
        if boxes.get(key) is None:
            boxes[key] = (
                None
                if min_lat is None or min_lon is None or max_lat is None or max_lon is None
                else (min_lat, min_lon, max_lat, max_lon)
            )
    return boxes


def point_in(rng: random.Random, box: Box | None) -> tuple[float, float]:
    """A (latitude, longitude) inside ``box``, or in the load generator's region without one."""
    if box is None:
        return round(47 + rng.random(), 5), round(37 + rng.random(), 5)
    min_lat, min_lon, max_lat, max_lon = box
    return (
        round(min_lat + rng.random() * (max_lat - min_lat), 5),
        round(min_lon + rng.random() * (max_lon - min_lon), 5),
    )


def payload_bodies(
    *,
    mission: ObserverMission,
    observations: int,
    per_payload: int,
    seed: int,
    start: dt.datetime,
    prefix: str = "bench",
) -> Iterator[bytes]:
    """JSON report bodies for ``mission``, ``per_payload`` observations each."""
    rng = random.Random(seed)
    boxes = clause_boxes(mission=mission)
    covered = list(boxes)
    number = 0
    while observations > 0:
        n = min(per_payload, observations)
        observations -= n
        kinds = _kinds(rng, n)
        rows = []
        for i in range(n):
            clause = rng.choice(covered)
            latitude, longitude = point_in(rng, boxes[clause])
            kind = kinds[i]
            rows.append(
                {
                    "kind": kind,
                    "clause": clause,
                    "occurred_at": (
                        start + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 30))
                    ).isoformat(),
                    "place_name": rng.choice(PLACES),
                    "latitude": latitude,
                    "longitude": longitude,
                    "quantity": rng.randint(1, 60),
                    "severity": rng.randint(1, 4),
                    "description": "Benchmark observation",
                    "source": rng.choice(SOURCES),
                    "grade": f"{rng.choice('ABCDEF')}{rng.randint(1, 6)}",
                }
            )
        number += 1
        yield json.dumps(
            {
                "mission": mission.code,
                "external_id": f"{prefix}-{seed}-{number:06d}",
                "period": {
                    "start": start.isoformat(),
                    "end": (start + dt.timedelta(days=30)).isoformat(),
                },
                "observations": rows,
            }
        ).encode()
