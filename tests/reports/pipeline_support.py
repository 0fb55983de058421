"""What the ingest pipeline's tests share: a report document, its bytes, an ingest of them
and a stored payload."""

import datetime as dt
import json

from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.models import (
    Channel,
    InboundPayload,
    Report,
    ReportStatusChange,
)

State = InboundPayload.State
START = dt.datetime(2025, 3, 1, 0, 0, tzinfo=dt.UTC)
END = dt.datetime(2025, 3, 1, 23, 59, tzinfo=dt.UTC)


def _observation(n: int, **extra) -> dict:
    return {
        "kind": "violation",
        "clause": "1",
        "occurred_at": f"2025-03-01T{6 + n % 12:02d}:{n % 60:02d}:00Z",
        "place_name": f"Checkpoint {n}",
        "latitude": 47.1,
        "longitude": 37.5,
        "quantity": n,
        **extra,
    }


def _report(count: int = 3, **overrides) -> dict:
    return {
        "format": "accord-monitor/report/v1",
        "mission": "mission-a",
        "external_id": "A-0001",
        "agreement": "test-ceasefire",
        "period": {"start": START.isoformat(), "end": END.isoformat()},
        "title": "Daily report",
        "observations": [_observation(n) for n in range(1, count + 1)],
        **overrides,
    }


def _body(document: dict) -> bytes:
    return json.dumps(document).encode()


def _ingest(body: bytes, *, sender, fmt: str = "json", **extra) -> InboundPayload:
    payload = payload_receive(
        body=body,
        content_type="application/json",
        format=fmt,
        channel=extra.pop("channel", Channel.API),
        sender=sender,
        **extra,
    ).payload
    payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    return payload


def _status_trail(report: Report) -> list[tuple[str, str]]:
    return list(
        ReportStatusChange.objects.filter(report=report).values_list("from_status", "to_status")
    )


def _stored(**fields) -> InboundPayload:
    return InboundPayload.objects.create(
        body=_body(_report(1)),
        content_type="application/json",
        format="json",
        channel=Channel.API,
        **fields,
    )
