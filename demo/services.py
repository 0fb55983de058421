"""The demo: the shipped agreements, observer missions, one user per role, and a few months
of reports filed through the real ingest pipeline.

What the demo contains is data, in demo/data/demo.yaml (read by demo.patterns): the missions,
users, assessments, and the patterns of the invented reports (marked so in every report's
summary), modelled on how the OSCE SMM and the JCC reported: daily counts of ceasefire
violations and explosions, weapons seen in or out of their withdrawal areas, monitors denied
access, vessels inspected. Running it again changes nothing: reports already filed are skipped
by external id.
"""

import datetime as dt
import io
import json
import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import transaction

from accounts.models import ApiToken
from accounts.roles import API_CONSUMER, roles_sync
from accounts.services import api_token_issue, api_token_revoke
from agreements.loader import agreement_load_file
from agreements.models import Clause, ImplementationAssessment, VerificationMechanism
from agreements.services import assessment_record
from demo.patterns import Schedule, day_rows, demo_data_read
from reports.ingest.announce import bulk_load
from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.ledger import ledger_backfill
from reports.models import Channel, InboundPayload, ObserverMission, Report
from reports.services import reports_mark_archival

DATA_DIR = Path(settings.BASE_DIR) / "agreements" / "data"
DEMO_NOTE = "Demo data: invented for Accord Monitor's demo, not a real monitoring report."


@dataclass
class DemoResult:
    agreements: list[str] = field(default_factory=list)
    credentials: list[tuple[str, str, str]] = field(default_factory=list)
    tokens: list[tuple[str, str]] = field(default_factory=list)  # (username, plain token)
    reports_filed: int = 0
    reports_skipped: int = 0
    observations: int = 0
    rejected: int = 0


Data = dict[str, Any]


def _users(data: Data, result: DemoResult, *, reset_passwords: bool) -> dict[str, User]:
    users: dict[str, User] = {}
    for entry in data["users"]:
        username, role = entry["username"], entry.get("role")
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "is_staff": role != API_CONSUMER,
                "is_superuser": bool(entry.get("superuser")),
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
        for code in entry.get("missions", []):
            ObserverMission.objects.get(code=code).members.add(user)
        users[username] = user
    return users


DEMO_TOKEN_NAME = "demo token"  # noqa: S105 - the name, not a secret


def _live_demo_token(user: User) -> bool:
    return bool(user.api_tokens.filter(name=DEMO_TOKEN_NAME, revoked_at__isnull=True).exists())


def _demo_token_issue(user: User) -> str:
    """Revoke the consumer's earlier demo tokens and issue a read token; return its text."""
    for old in user.api_tokens.filter(name=DEMO_TOKEN_NAME, revoked_at__isnull=True):
        api_token_revoke(token=old)
    _, plain = api_token_issue(user=user, name=DEMO_TOKEN_NAME, scope=ApiToken.Scope.READ)
    return plain


def _missions(data: Data) -> None:
    for code, entry in data["missions"].items():
        mission, _ = ObserverMission.objects.get_or_create(
            code=code, defaults={"name": entry["name"], "description": DEMO_NOTE}
        )
        # The mandate and zone follow the file on every run (the SMM's ended on 31 March 2022).
        mandate = {key: entry.get(key) for key in ("active_from", "active_until")}
        mandate["time_zone"] = entry.get("time_zone", "UTC")
        ObserverMission.objects.filter(pk=mission.pk).update(**mandate)
        mission.mechanisms.add(
            *[
                VerificationMechanism.objects.get(agreement__code=a, code=m)
                for a, m in entry["mechanisms"]
            ]
        )


def _reports(data: Data, result: DemoResult) -> None:
    rng = random.Random(2015)
    redated: list[int] = []
    for schedule in data["schedules"]:
        redated += _schedule_file(schedule, rng=rng, result=result)
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


def _schedule_file(schedule: Schedule, *, rng: random.Random, result: DemoResult) -> list[int]:
    """File the schedule's reports not filed yet; return the ids of those filed now."""
    mission = ObserverMission.objects.get(code=schedule.mission)
    known = set(Report.objects.filter(mission=mission).values_list("external_id", flat=True))
    filer = mission.members.order_by("pk").first()
    filed: list[int] = []
    for offset in range(0, schedule.days, schedule.every):
        day = schedule.first_day + dt.timedelta(days=offset)
        rows = day_rows(schedule, rng=rng, day_index=offset)  # drawn even when skipped: reruns
        external_id = f"{schedule.mission}-{day:%Y%m%d}"  # stay reproducible
        if external_id in known or not rows:
            result.reports_skipped += bool(rows)
            continue
        period_end = day + dt.timedelta(days=schedule.every)
        body = {
            "mission": schedule.mission,
            "external_id": external_id,
            "agreement": schedule.agreement,
            "period": {"start": day.isoformat(), "end": period_end.isoformat()},
            "title": f"Daily report {day:%d %B %Y}",
            "summary": DEMO_NOTE,
            "observations": rows,
        }
        payload = _file(json.dumps(body).encode(), sender=filer)
        if payload.state == InboundPayload.State.DONE and payload.report_id is not None:
            # A historical demo: the report counts as filed when its period ended, so the
            # rules and scorecards see the cadence the missions kept back then.
            redated = Report.objects.filter(pk=payload.report_id)
            redated.update(filed_at=period_end + dt.timedelta(hours=2))
            # Accepted today, it was archival; filed two hours after its period, it is not.
            reports_mark_archival(reports=redated)
            filed.append(payload.report_id)
            result.reports_filed += 1
            result.observations += len(rows)
    return filed


def _file(body: bytes, *, sender: User | None, **options: Any) -> InboundPayload:
    """Receive a payload and, unless the embedded doorbell already did, ingest it now."""
    payload = payload_receive(
        body=body,
        content_type=options.pop("content_type", "application/json"),
        format=options.pop("format", "json"),
        channel=options.pop("channel", Channel.API),
        sender=sender,
        **options,
    ).payload
    payload.refresh_from_db()  # in embedded mode the doorbell has already run it
    if payload.state == InboundPayload.State.RECEIVED:
        payload_ingest(payload_id=payload.pk)
        payload.refresh_from_db()
    return payload


def _rejected_example(data: Data, result: DemoResult, users: dict[str, User]) -> None:
    """One upload with real-data mistakes, so the admin shows what a rejection looks like."""
    example = data["rejected_example"]
    if InboundPayload.objects.filter(filename=example["filename"]).exists():
        return
    _file(
        example["body"].encode(),
        sender=users[example["uploader"]],
        content_type="text/csv",
        format="csv",
        channel=Channel.UPLOAD,
        mission=ObserverMission.objects.get(code=example["mission"]),
        params={
            "mission": example["mission"],
            "external_id": example["external_id"],
            "agreement": example["agreement"],
        },
        filename=example["filename"],
    )
    result.rejected += 1


def _assessments(data: Data, users: dict[str, User]) -> None:
    for entry in data["assessments"]:
        clause = Clause.objects.filter(
            agreement__code=entry["agreement"], reference=entry["clause"]
        ).first()
        if clause is None or ImplementationAssessment.objects.filter(clause=clause).exists():
            continue
        assessment_record(
            clause=clause,
            level=entry["level"],
            assessed_on=entry["assessed_on"],
            rationale=entry["rationale"],
            evidence=DEMO_NOTE,
            by=users["analyst"],
        )


def demo_load(*, reset_passwords: bool = False) -> DemoResult:
    """Load (or top up) the whole demo; safe to run any number of times."""
    data = demo_data_read()
    result = DemoResult()
    roles_sync()
    with transaction.atomic():
        for path in sorted(DATA_DIR.glob("*.yaml")):
            result.agreements.append(agreement_load_file(path=path).agreement)
        _missions(data)
        users = _users(data, result, reset_passwords=reset_passwords)
        _assessments(data, users)
    with bulk_load():
        _reports(data, result)
        _rejected_example(data, result, users)
    # The monitor app (rules, scorecard figures) is asked by command name: demo sits above it,
    # but the commands are what an operator runs too. Once, after all the history is in.
    call_command("refresh_aggregates", stdout=io.StringIO())
    call_command("evaluate_rules", stdout=io.StringIO())
    return result
