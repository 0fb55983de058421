"""What the import-profile tests share: a file imported through the real pipeline (stored
with its profile as the CLI and the admin store it, then ingested), and small workbooks."""

import io
from pathlib import Path

from openpyxl import Workbook

from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.models import Channel, InboundPayload, Observation
from reports.profiles.registry import profile_params
from reports.profiles.spec import ProfileSpec

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"


def import_file(
    body: bytes,
    fmt: str,
    *,
    mission,
    spec: ProfileSpec | None = None,
    sheet: str = "",
    constants: dict | None = None,
    zone: str = "",
    external_id: str = "import-1",
    **params,
) -> InboundPayload:
    """``body`` stored and ingested for ``mission`` (agreement test-ceasefire) with ``spec``
    and this import's sheet, constants and zone, as import_reports does it."""
    base = {"mission": mission.code, "external_id": external_id, "agreement": "test-ceasefire"}
    stored = profile_params({**base, **params}, spec, sheet=sheet, constants=constants, zone=zone)
    payload = payload_receive(
        body=body,
        content_type="application/octet-stream",
        format=fmt,
        channel=Channel.COMMAND,
        sender=None,
        mission=mission,
        params=stored,
        filename=f"{external_id}.{fmt}",
    ).payload
    payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    return payload


def observations(payload: InboundPayload) -> list[Observation]:
    assert payload.state == InboundPayload.State.DONE, payload.errors
    return list(Observation.objects.filter(report=payload.report).order_by("sequence"))


def workbook(sheets: dict[str, list[list]]) -> bytes:
    """An XLSX with these sheets (name -> rows), in this order."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
