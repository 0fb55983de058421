"""A small world with everything a backup must carry: accepted reports chained in the ledger
(one corrected, one with an evidence file), a rejected payload, alerts with a transition, a
webhook subscription with its secret, an API token, history rows."""

import io
import json
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.services import api_token_issue
from monitor.models import Alert
from monitor.services import alert_set_state
from notify.models import WebhookSubscription
from reports.evidence import evidence_add
from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.ledger import ledger_verify
from reports.models import Channel, InboundPayload, Report, ReportStatus
from reports.services import report_set_status
from tests.factories import ReportFactory

EVIDENCE_TEXT = b"Observed from the north-east post; photographs follow.\n"


def _document(external_id: str, observations: int) -> bytes:
    return json.dumps(
        {
            "format": "accord-monitor/report/v1",
            "mission": "mission-a",
            "external_id": external_id,
            "agreement": "test-ceasefire",
            "period": {"start": "2025-03-01T00:00:00+00:00", "end": "2025-03-01T23:59:00+00:00"},
            "title": f"Daily report {external_id}",
            "observations": [
                {
                    "kind": "violation",
                    "clause": "1",
                    "occurred_at": f"2025-03-01T{6 + n:02d}:15:00.123456+02:00",
                    "place_name": f"Checkpoint {n}",
                    "latitude": 47.1 + n / 1000,
                    "longitude": 37.5,
                    "quantity": n,
                    "description": f"Shelling heard, {n}",
                    "evidence_urls": [f"https://example.org/{n}.jpg"],
                }
                for n in range(1, observations + 1)
            ],
        }
    ).encode()


def _file(sender, body: bytes) -> InboundPayload:
    payload = payload_receive(
        body=body,
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=sender,
    ).payload
    payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    return payload


@dataclass
class BackupWorld:
    evidence_report: Report
    alert: Alert
    subscription: WebhookSubscription


def backup_world_build(world, *, observer, analyst, administrator) -> BackupWorld:
    """Build it; the ledger verifies before anything is exported."""
    _file(observer, _document("A-1", 3))
    _file(observer, _document("A-2", 2))
    _file(observer, _document("A-1", 4))  # a correction: A-1 r1 is superseded
    rejected = _file(observer, b'{"format": "accord-monitor/report/v1", "observations": 1}')
    assert rejected.state == InboundPayload.State.REJECTED

    report = ReportFactory(mission=world.mission_a, status=ReportStatus.SUBMITTED)
    upload = SimpleUploadedFile("notes.txt", EVIDENCE_TEXT, content_type="text/plain")
    evidence_add(report=report, upload=upload, by=observer)
    report_set_status(report=report, status=ReportStatus.ACCEPTED, by=analyst)

    call_command("evaluate_rules", stdout=io.StringIO())
    alert = Alert.objects.order_by("pk").first()
    alert_set_state(alert=alert, state=Alert.State.ACKNOWLEDGED, by=analyst, comment="Seen.")

    subscription = WebhookSubscription.objects.create(
        name="operations", url="https://hooks.example.org/accord", secret="whsec-0123456789"
    )
    subscription.agreements.add(world.agreement)
    api_token_issue(user=administrator, name="backups")

    assert Report.objects.filter(status=ReportStatus.SUPERSEDED).count() == 1
    assert ledger_verify() == []
    return BackupWorld(evidence_report=report, alert=alert, subscription=subscription)
