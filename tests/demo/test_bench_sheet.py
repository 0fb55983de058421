"""The ingest benchmark times the pipeline with an import profile on (issue 15): its
spreadsheet, read through its profile, must store the very observations its JSON stores."""

import datetime as dt

import pytest
from django.utils import timezone

from bench.ingest import BENCH_PROFILE, sheet_csv, sheet_rows
from demo.loadgen import load_generate, payload_bodies
from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.models import Channel, Observation, ObserverMission
from reports.profiles.registry import profile_params
from reports.profiles.spec import from_mapping

pytestmark = pytest.mark.django_db

COMPARED = ["kind", "clause_id", "occurred_at", "occurred_on", "latitude", "quantity", "grade"]


def _ingest(mission, body: bytes, fmt: str, params: dict) -> list[tuple]:
    payload = payload_receive(
        body=body,
        content_type="text/csv" if fmt == "csv" else "application/json",
        format=fmt,
        channel=Channel.API,
        sender=None,
        mission=mission,
        params=params,
    ).payload
    assert payload_ingest(payload_id=payload.pk) == "done", payload
    payload.refresh_from_db()
    rows = Observation.objects.filter(report_id=payload.report_id).order_by("sequence")
    return [
        (o.kind, o.clause_id, o.occurred_at, o.occurred_on, o.latitude, o.quantity, o.grade)
        for o in rows
    ]


def test_the_benchmark_spreadsheet_through_its_profile_stores_what_its_json_stores():
    load_generate(agreements=2, clauses=20, observations=0, seed=4, prefix="bench")
    mission = next(m for m in ObserverMission.objects.all() if m.mechanisms.exists())
    body = next(
        payload_bodies(
            mission=mission,
            observations=150,
            per_payload=150,
            seed=2,
            start=timezone.now().replace(microsecond=0) - dt.timedelta(days=60),
        )
    )
    from_json = _ingest(mission, body, "json", {})
    spec = from_mapping(BENCH_PROFILE, code="bench-sheet")
    params = profile_params({"mission": mission.code, "external_id": "sheet-1"}, spec)
    from_sheet = _ingest(mission, sheet_csv(body), "csv", params)
    assert len(from_sheet) == len(from_json) == 150
    assert from_sheet == from_json
    sheet_rows = Observation.objects.filter(report__external_id="sheet-1")
    # The status column no field takes is kept, never dropped.
    assert sheet_rows.filter(attributes__Status="repeat").count() == 50
    assert set(sheet_rows.values_list("verification_status", flat=True)) == {"unverified"}


def test_the_repeated_autumn_hour_is_written_with_its_offset():
    """01:06 UTC on 25 October 2026 is 03:06 in Kyiv for the second time that night: the
    wall time alone would be read as the first 03:06 (00:06 UTC), an hour early."""
    import json

    def body(moment: str) -> bytes:
        row = {
            "occurred_at": moment,
            "kind": "violation",
            "clause": 1,
            "place_name": "",
            "latitude": None,
            "longitude": None,
            "quantity": None,
            "severity": 2,
            "description": "",
            "source": "",
            "grade": "B2",
        }
        return json.dumps({"observations": [row]}).encode()

    (second,) = sheet_rows(body("2026-10-25T01:06:11+00:00"))
    (first,) = sheet_rows(body("2026-10-25T00:06:11+00:00"))
    (ordinary,) = sheet_rows(body("2026-10-26T01:06:11+00:00"))

    assert second[1] == "2026-10-25 03:06:11+02:00"
    assert first[1] == "2026-10-25 03:06:11+03:00"
    assert ordinary[1] == "2026-10-26 03:06:11"
