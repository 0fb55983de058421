"""The demo: the shipped agreements, observer missions, one user per role, and a few months
of reports filed through the real ingest pipeline.

The reports are invented for the demo (marked so in every report's summary), modelled on how
the OSCE SMM and the JCC reported: daily counts of ceasefire violations and explosions,
weapons seen in or out of their withdrawal areas, monitors denied access, vessels inspected.
Running it again changes nothing: reports already filed are skipped by external id.
"""

import datetime as dt
import io
import json
import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction

from accounts.models import ApiToken
from accounts.roles import ANALYST, API_CONSUMER, OBSERVER, roles_sync
from accounts.services import api_token_issue, api_token_revoke
from agreements.loader import agreement_load_file
from agreements.models import Clause, ImplementationAssessment, VerificationMechanism
from agreements.services import assessment_record
from reports.ingest.announce import bulk_load
from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.ledger import ledger_backfill
from reports.models import Channel, InboundPayload, ObserverMission, Report

DATA_DIR = Path(settings.BASE_DIR) / "agreements" / "data"
DEMO_NOTE = "Demo data: invented for Accord Monitor's demo, not a real monitoring report."

# mission code -> (name, [(agreement code, mechanism code)])
MISSIONS = {
    "smm-donetsk": ("OSCE SMM monitoring team, Donetsk", [("minsk-ii", "osce-smm")]),
    "smm-luhansk": ("OSCE SMM monitoring team, Luhansk", [("minsk-ii", "osce-smm")]),
    "jcc-inspections": (
        "JCC joint inspection teams",
        [("black-sea-grain-initiative", "jcc"), ("black-sea-grain-initiative", "jcc-inspections")],
    ),
    "geneva-corridors": (
        "UN corridor monitors (Geneva arrangement)",
        [("geneva-winter-summit", "corridor-monitoring")],
    ),
    "geneva-exchanges": (
        "Exchange commission secretariat",
        [("geneva-winter-summit", "exchange-commission")],
    ),
    "istanbul-maritime": (
        "Maritime coordination cell, Istanbul",
        [("istanbul-spring-dialogue", "maritime-coordination")],
    ),
}

USERS = [
    # username, role, missions, superuser
    ("admin", None, [], True),
    ("analyst", ANALYST, [], False),
    (
        "observer",
        OBSERVER,
        [
            "smm-donetsk",
            "jcc-inspections",
            "geneva-corridors",
            "geneva-exchanges",
            "istanbul-maritime",
        ],
        False,
    ),
    ("observer.luhansk", OBSERVER, ["smm-luhansk"], False),
    ("consumer", API_CONSUMER, [], False),
]


@dataclass
class DemoResult:
    agreements: list[str] = field(default_factory=list)
    credentials: list[tuple[str, str, str]] = field(default_factory=list)
    tokens: list[tuple[str, str]] = field(default_factory=list)  # (username, plain token)
    reports_filed: int = 0
    reports_skipped: int = 0
    observations: int = 0
    rejected: int = 0


def _users(result: DemoResult, reset_passwords: bool) -> dict[str, object]:
    user_model = get_user_model()
    users = {}
    for username, role, missions, superuser in USERS:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "is_staff": role in (None, ANALYST, OBSERVER),
                "is_superuser": superuser,
                "email": f"{username}@demo.invalid",
            },
        )
        if role == API_CONSUMER:
            # No web login for consumers (the policy in docs/access.md): an API token instead.
            if created or reset_passwords or not _live_demo_token(user):
                user.set_unusable_password()
                user.save(update_fields=["password"])
                result.tokens.append((username, _demo_token_issue(user)))
        elif created or reset_passwords:
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            user.save(update_fields=["password"])
            result.credentials.append((username, role or "administrator", password))
        if role:
            user.groups.add(Group.objects.get(name=role))
        for code in missions:
            ObserverMission.objects.get(code=code).members.add(user)
        users[username] = user
    return users


DEMO_TOKEN_NAME = "demo token"  # noqa: S105 - the name, not a secret


def _live_demo_token(user) -> bool:
    return user.api_tokens.filter(name=DEMO_TOKEN_NAME, revoked_at__isnull=True).exists()


def _demo_token_issue(user) -> str:
    """Revoke the consumer's earlier demo tokens and issue a read token; return its text."""
    for old in user.api_tokens.filter(name=DEMO_TOKEN_NAME, revoked_at__isnull=True):
        api_token_revoke(token=old)
    _, plain = api_token_issue(user=user, name=DEMO_TOKEN_NAME, scope=ApiToken.Scope.READ)
    return plain


def _missions() -> None:
    for code, (name, mechanisms) in MISSIONS.items():
        mission, _ = ObserverMission.objects.get_or_create(
            code=code, defaults={"name": name, "description": DEMO_NOTE}
        )
        mission.mechanisms.add(
            *[VerificationMechanism.objects.get(agreement__code=a, code=m) for a, m in mechanisms]
        )


def _obs(
    kind: str,
    clause: str,
    when: dt.datetime,
    place: str,
    area: str,
    lat: float,
    lon: float,
    **extra,
) -> dict:
    return {
        "kind": kind,
        "clause": clause,
        "occurred_at": when.isoformat(),
        "place_name": place,
        "admin_area": area,
        "latitude": lat,
        "longitude": lon,
        **extra,
    }


DONETSK_PLACES = [
    ("Shyrokyne", 47.09, 37.79),
    ("Avdiivka", 48.14, 37.74),
    ("Horlivka", 48.30, 38.05),
    ("Marinka", 47.94, 37.50),
    ("Donetsk airport", 48.07, 37.74),
    ("Debaltseve", 48.34, 38.40),
]
LUHANSK_PLACES = [
    ("Stanytsia Luhanska", 48.65, 39.50),
    ("Zolote", 48.70, 38.52),
    ("Popasna", 48.63, 38.38),
    ("Shchastia", 48.74, 39.23),
]


def _minsk_day(rng: random.Random, day: dt.datetime, luhansk: bool) -> list[dict]:
    places = LUHANSK_PLACES if luhansk else DONETSK_PLACES
    area = "Luhansk oblast" if luhansk else "Donetsk oblast"
    # Violations fell after the first weeks, then flared again in late spring.
    days_in = (day.date() - dt.date(2015, 2, 15)).days
    intensity = 1.6 if days_in < 14 else (0.6 if days_in < 70 else 1.1)
    rows = []
    for _ in range(rng.randint(2, 5)):
        place, lat, lon = rng.choice(places)
        explosions = max(1, int(rng.gauss(30 * intensity, 12)))
        rows.append(
            _obs(
                "violation",
                "1",
                day + dt.timedelta(hours=rng.randint(0, 23)),
                place,
                area,
                lat + rng.uniform(-0.03, 0.03),
                lon + rng.uniform(-0.03, 0.03),
                quantity=explosions,
                severity=3 if explosions > 40 else 2,
                description=f"Recorded {explosions} explosions, mostly assessed as artillery and "
                "mortar rounds, from positions near the contact line.",
                party=rng.choice([None, None, "ukraine", "certain-areas-donetsk-luhansk"]),
                grade=rng.choice(["B2", "B2", "C3", "A2"]),
                verification_status=rng.choice(["unverified", "corroborated", "confirmed"]),
                source=rng.choice(["patrol", "UAV", "camera"]),
            )
        )
    if days_in >= 2 and rng.random() < 0.5:
        place, lat, lon = rng.choice(places)
        if rng.random() < 0.6:
            rows.append(
                _obs(
                    "compliance",
                    "2",
                    day + dt.timedelta(hours=10),
                    place,
                    area,
                    lat,
                    lon,
                    quantity=rng.randint(4, 20),
                    severity=1,
                    grade="A1",
                    verification_status="confirmed",
                    source="patrol",
                    description="Heavy weapons seen in a designated holding area, serial numbers "
                    "matching the inventory provided.",
                )
            )
        else:
            rows.append(
                _obs(
                    "violation",
                    "2",
                    day + dt.timedelta(hours=14),
                    place,
                    area,
                    lat,
                    lon,
                    quantity=rng.randint(1, 6),
                    severity=3,
                    grade="B2",
                    verification_status="corroborated",
                    source="UAV",
                    party=rng.choice(["ukraine", "certain-areas-donetsk-luhansk"]),
                    description="Tanks and self-propelled howitzers seen in violation of the "
                    "withdrawal lines.",
                )
            )
    if rng.random() < 0.25:
        place, lat, lon = rng.choice(places)
        rows.append(
            _obs(
                "access_restricted",
                "3",
                day + dt.timedelta(hours=9),
                place,
                area,
                lat,
                lon,
                severity=2,
                grade="A1",
                verification_status="confirmed",
                source="patrol",
                description="Monitors were denied passage at a checkpoint; armed men cited orders "
                "from their commanders.",
            )
        )
    return rows


def _grain_day(rng: random.Random, day: dt.datetime) -> list[dict]:
    rows = [
        _obs(
            "compliance",
            "5",
            day + dt.timedelta(hours=rng.randint(7, 17)),
            "Inspection area off Istanbul",
            "",
            41.25,
            29.10,
            quantity=rng.randint(3, 11),
            severity=1,
            grade="A1",
            verification_status="confirmed",
            source="joint inspection team",
            description="Vessels inspected by joint teams; no unauthorised cargo or personnel.",
        )
    ]
    if rng.random() < 0.7:
        rows.append(
            _obs(
                "compliance",
                "4",
                day + dt.timedelta(hours=16),
                "Joint Coordination Centre",
                "",
                41.01,
                28.98,
                severity=1,
                grade="A1",
                verification_status="confirmed",
                source="JCC",
                description="Next-day departure plan received before 12:00 and "
                "approved before 16:00.",
            )
        )
    if rng.random() < 0.12:
        rows.append(
            _obs(
                "incident",
                "2",
                day + dt.timedelta(hours=rng.randint(0, 23)),
                "Maritime humanitarian corridor",
                "",
                45.3,
                31.2,
                severity=2,
                grade="C3",
                source="shipping agent",
                description="Vessel delayed in the corridor after a "
                "reported sea mine sighting; passage resumed.",
            )
        )
    if rng.random() < 0.08:
        rows.append(
            _obs(
                "violation",
                "4",
                day + dt.timedelta(hours=15),
                "Joint Coordination Centre",
                "",
                41.01,
                28.98,
                severity=2,
                grade="B2",
                verification_status="corroborated",
                source="JCC",
                party="russia",
                description="Inspection teams not registered for the day: departures slowed, "
                "backlog of vessels waiting in the inspection area grew.",
            )
        )
    return rows


def _geneva_corridors_day(rng: random.Random, day: dt.datetime) -> list[dict]:
    rows = []
    for ref, place, lat, lon in (
        ("1.1", "Vasylivka crossing", 47.44, 35.27),
        ("1.2", "Dnipro crossing at Kherson", 46.63, 32.61),
    ):
        if rng.random() < 0.8:
            rows.append(
                _obs(
                    "compliance",
                    ref,
                    day + dt.timedelta(hours=rng.randint(8, 15)),
                    place,
                    "",
                    lat,
                    lon,
                    quantity=rng.randint(4, 30),
                    severity=1,
                    grade="B2",
                    verification_status="corroborated",
                    source="UN convoy escort",
                    description="Convoy of medical and food aid passed the corridor as notified.",
                )
            )
        if rng.random() < 0.15:
            rows.append(
                _obs(
                    "violation",
                    ref,
                    day + dt.timedelta(hours=rng.randint(8, 15)),
                    place,
                    "",
                    lat,
                    lon,
                    severity=rng.choice([3, 4]),
                    grade="C3",
                    source="convoy driver",
                    verification_status="unverified",
                    description="Convoy turned back after shelling near the corridor's route.",
                )
            )
    return rows


def _istanbul_day(rng: random.Random, day: dt.datetime) -> list[dict]:
    rows = [
        _obs(
            "compliance",
            "1",
            day + dt.timedelta(hours=12),
            "Odesa approaches",
            "",
            46.4,
            30.9,
            quantity=rng.randint(2, 9),
            severity=1,
            grade="B2",
            verification_status="corroborated",
            source="port authority",
            description="Grain carriers left port without incident.",
        )
    ]
    if rng.random() < 0.1:
        rows.append(
            _obs(
                "violation",
                "2",
                day + dt.timedelta(hours=3),
                "Pivdennyi port",
                "",
                46.62,
                31.01,
                severity=4,
                grade="B3",
                source="port authority",
                verification_status="unverified",
                description="Drone strike reported on a grain terminal; damage to loading gear.",
            )
        )
    return rows


SCHEDULES = [
    # mission, agreement, first day, days, every n days, day builder
    (
        "smm-donetsk",
        "minsk-ii",
        dt.datetime(2015, 2, 15, tzinfo=dt.UTC),
        120,
        1,
        lambda rng, day: _minsk_day(rng, day, luhansk=False),
    ),
    (
        "smm-luhansk",
        "minsk-ii",
        dt.datetime(2015, 2, 15, tzinfo=dt.UTC),
        120,
        1,
        lambda rng, day: _minsk_day(rng, day, luhansk=True),
    ),
    (
        "jcc-inspections",
        "black-sea-grain-initiative",
        dt.datetime(2022, 8, 1, tzinfo=dt.UTC),
        110,
        1,
        _grain_day,
    ),
    (
        "geneva-corridors",
        "geneva-winter-summit",
        dt.datetime(2026, 2, 2, tzinfo=dt.UTC),
        90,
        2,
        _geneva_corridors_day,
    ),
    (
        "istanbul-maritime",
        "istanbul-spring-dialogue",
        dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        60,
        7,
        _istanbul_day,
    ),
]


def _reports(result: DemoResult, users: dict) -> None:
    rng = random.Random(2015)
    redated: list[int] = []
    for mission_code, agreement, first, days, step, build in SCHEDULES:
        mission = ObserverMission.objects.get(code=mission_code)
        known = set(Report.objects.filter(mission=mission).values_list("external_id", flat=True))
        for offset in range(0, days, step):
            day = first + dt.timedelta(days=offset)
            rows = build(rng, day)  # drawn even when skipped, so reruns stay reproducible
            external_id = f"{mission_code}-{day:%Y%m%d}"
            if external_id in known or not rows:
                result.reports_skipped += bool(rows)
                continue
            body = json.dumps(
                {
                    "mission": mission_code,
                    "external_id": external_id,
                    "agreement": agreement,
                    "period": {
                        "start": day.isoformat(),
                        "end": (day + dt.timedelta(days=step)).isoformat(),
                    },
                    "title": f"Daily report {day:%d %B %Y}",
                    "summary": DEMO_NOTE,
                    "observations": [
                        {k: v for k, v in r.items() if v not in (None, "")} for r in rows
                    ],
                }
            ).encode()
            filer = mission.members.order_by("pk").first()
            payload = payload_receive(
                body=body,
                content_type="application/json",
                format="json",
                channel=Channel.API,
                sender=filer,
            ).payload
            payload.refresh_from_db()  # in embedded mode the doorbell has already run it
            if payload.state == InboundPayload.State.RECEIVED:
                payload_ingest(payload_id=payload.pk)
                payload.refresh_from_db()
            if payload.state == InboundPayload.State.DONE:
                # A historical demo: the report counts as filed when its period ended, so the
                # rules and scorecards see the cadence the missions kept back then.
                Report.objects.filter(pk=payload.report_id).update(
                    filed_at=day + dt.timedelta(days=step, hours=2)
                )
                redated.append(payload.report_id)
                result.reports_filed += 1
                result.observations += len(rows)
    if redated:
        # Each report was accepted (and chained) when this run filed it, then dated back to
        # when its period ended; the ledger hashes that date. So the new links, the newest of
        # their missions, are made again once the dates are final: a demo's set-up, before
        # anyone has seen them, never a rewrite of a chain in use.
        Report.objects.filter(pk__in=redated).update(
            ledger_seq=None, ledger_hash=None, ledger_prev_hash=None, ledger_at=None
        )
        ledger_backfill(
            report_model=Report,
            mission_ids=set(
                Report.objects.filter(pk__in=redated).values_list("mission_id", flat=True)
            ),
        )


def _rejected_example(result: DemoResult, users: dict) -> None:
    """One upload with real-data mistakes, so the admin shows what a rejection looks like."""
    if InboundPayload.objects.filter(filename="demo-field-export.csv").exists():
        return
    body = (
        b"Date,Event,Clause,Place,Lat,Lon\n"
        b"#date +occurred,#event +type,#x_clause,#loc +name,#geo +lat,#geo +lon\n"
        b"03/04/2015,violation,1,Shyrokyne,47.09,37.79\n"
        b"2015-04-03,shelling,1,Shyrokyne,47.09,37.79\n"
        b"2015-04-03,violation,1,Shyrokyne,147.09,37.79\n"
    )
    payload = payload_receive(
        body=body,
        content_type="text/csv",
        format="csv",
        channel=Channel.UPLOAD,
        sender=users["observer"],
        mission=ObserverMission.objects.get(code="smm-donetsk"),
        params={
            "mission": "smm-donetsk",
            "external_id": "field-export-0403",
            "agreement": "minsk-ii",
        },
        filename="demo-field-export.csv",
    ).payload
    payload.refresh_from_db()
    if payload.state == InboundPayload.State.RECEIVED:
        payload_ingest(payload_id=payload.pk)
    result.rejected += 1


ASSESSMENTS = [
    (
        "minsk-ii",
        "1",
        1,
        "2015-06-15",
        "Ceasefire broadly observed for days at a time but "
        "violations recorded daily in both oblasts; heavy fighting around Debaltseve after 15 Feb.",
    ),
    (
        "minsk-ii",
        "2",
        2,
        "2015-06-15",
        "Most heavy weapons moved to holding areas, verified in "
        "part by the SMM; repeated sightings in violation of withdrawal lines.",
    ),
    (
        "minsk-ii",
        "6",
        1,
        "2015-06-15",
        "Some exchanges took place; no all-for-all exchange by the deadline.",
    ),
    ("minsk-ii", "11", 0, "2015-12-31", "No constitutional reform adopted by the end of 2015."),
    (
        "black-sea-grain-initiative",
        "5",
        3,
        "2022-11-15",
        "Joint inspections running daily; JCC published every voyage.",
    ),
    (
        "geneva-winter-summit",
        "1.1",
        2,
        "2026-04-30",
        "Corridor open most days; convoys turned back after shelling several times.",
    ),
]


def _assessments(users: dict) -> None:
    for agreement, ref, level, on, rationale in ASSESSMENTS:
        clause = Clause.objects.filter(agreement__code=agreement, reference=ref).first()
        if clause is None or ImplementationAssessment.objects.filter(clause=clause).exists():
            continue
        assessment_record(
            clause=clause,
            level=level,
            assessed_on=dt.date.fromisoformat(on),
            rationale=rationale,
            evidence=DEMO_NOTE,
            by=users["analyst"],
        )


def demo_load(*, reset_passwords: bool = False) -> DemoResult:
    """Load (or top up) the whole demo; safe to run any number of times."""
    result = DemoResult()
    roles_sync()
    with transaction.atomic():
        for path in sorted(DATA_DIR.glob("*.yaml")):
            result.agreements.append(agreement_load_file(path=path).agreement)
        _missions()
        users = _users(result, reset_passwords)
        _assessments(users)
    with bulk_load():
        _reports(result, users)
        _rejected_example(result, users)
    # The monitor app (rules, scorecard figures) is asked by command name: reports must not
    # import monitor. Once, after all the history is in, instead of after every payload.
    call_command("refresh_aggregates", stdout=io.StringIO())
    call_command("evaluate_rules", stdout=io.StringIO())
    return result
