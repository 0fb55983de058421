"""Builders of the malformed corpus's payloads, and its Case."""

import io
import json
from collections.abc import Callable
from typing import Any, NamedTuple


class Case(NamedTuple):
    name: str
    format: str
    body: bytes | Callable[[], bytes]
    params: dict[str, Any]
    expected: str


DROP = object()  # marks a field to leave out
NO_PARAMS: dict[str, Any] = {}
UPLOAD = {"mission": "mission-a", "external_id": "M-UPLOAD"}
GOOD_OBSERVATION = {
    "kind": "violation",
    "clause": "1",
    "occurred_at": "2025-03-01T09:00:00Z",
    "latitude": 47.1,
    "longitude": 37.5,
    "quantity": 3,
}


def observation(**fields) -> dict:
    merged = {**GOOD_OBSERVATION, **fields}
    return {k: v for k, v in merged.items() if v is not DROP}


def report(*observations: dict, **header) -> bytes:
    """A JSON report: one good observation before the given ones, so row 2 is the bad one."""
    document = {
        "format": "accord-monitor/report/v1",
        "mission": "mission-a",
        "external_id": "M-1",
        "agreement": "test-ceasefire",
        "observations": [observation(), *observations],
        **header,
    }
    return json.dumps({k: v for k, v in document.items() if v is not DROP}).encode()


def one_bad(**fields) -> bytes:
    return report(observation(**fields))


def csv_with(row: str, header: str = "kind,clause,occurred_at,place_name,description") -> bytes:
    good = "violation,1,2025-03-01T09:00:00,Shyrokyne,Shelling"
    return f"{header}\n{good}\n{row}\n".encode()


def xlsx(rows: list[list]) -> Callable[[], bytes]:
    def build() -> bytes:
        from openpyxl import Workbook

        workbook = Workbook()
        for row in rows:
            workbook.active.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()

    return build


def damaged_xlsx() -> bytes:
    """A real workbook whose sheet XML was cut short, as a broken download leaves it."""
    import zipfile

    good = xlsx([["kind", "occurred_at"], ["incident", 45000]])()
    source, out = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data[:60] if item.filename.endswith("sheet1.xml") else data)
    return out.getvalue()


def truncated_xlsx() -> bytes:
    good = xlsx([["kind", "occurred_at"], ["incident", 45000]])()
    return good[: len(good) // 2]
