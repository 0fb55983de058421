"""Exports: CSV with an optional HXL hashtag row (formula injection neutralised) and GeoJSON
(RFC 7946: WGS84, longitude first). Both stream, so a large export never sits in memory."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will show as text, never run: formulas get a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_stream(
    rows: Iterable[dict[str, Any]], columns: list[tuple[str, str, str]], *, hxl: bool
) -> Iterator[str]:
    """CSV text in chunks: header row, optional HXL row, then one line per row.

    ``columns`` are (key, header, HXL hashtag).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header for _, header, _ in columns])
    if hxl:
        writer.writerow([tag for _, _, tag in columns])
    for number, row in enumerate(rows, start=1):
        writer.writerow(
            [safe_cell("" if row.get(key) is None else row.get(key)) for key, _, _ in columns]
        )
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def geojson_stream(features: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A FeatureCollection written feature by feature."""
    yield '{"type": "FeatureCollection", "features": ['
    for number, feature in enumerate(features):
        yield ("," if number else "") + json.dumps(feature, default=str)
    yield "]}"


def point(latitude: float | None, longitude: float | None) -> dict | None:
    if latitude is None or longitude is None:
        return None
    return {"type": "Point", "coordinates": [longitude, latitude]}


def path(origin: dict | None, destination: dict | None) -> dict | None:
    """A movement's geometry: a LineString from where it was to where it went, or the one
    Point known (or None)."""
    if origin is None or destination is None:
        return origin or destination
    return {
        "type": "LineString",
        "coordinates": [origin["coordinates"], destination["coordinates"]],
    }


def _decimal(value: Decimal | None) -> str | None:
    """12.500000 as "12.5", 3.000000 as "3": the amount as written, not the column's scale."""
    if value is None:
        return None
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


OBSERVATION_COLUMNS = [
    ("id", "id", "#meta +id"),
    ("report", "report", "#meta +report"),
    ("mission", "mission", "#org +mission"),
    ("agreement", "agreement", "#x_agreement"),
    ("clause", "clause", "#x_clause"),
    ("kind", "kind", "#event +type"),
    ("party", "attributed party", "#org +name"),
    ("occurred_at", "occurred at", "#date +occurred"),
    ("occurred_on", "occurred on (calendar day)", "#date +occurred +day"),
    ("date_only", "date only", "#x_date_only"),
    ("place_name", "place", "#loc +name"),
    ("admin_area", "admin area", "#adm1 +name"),
    ("latitude", "latitude", "#geo +lat"),
    ("longitude", "longitude", "#geo +lon"),
    ("to_place_name", "to place", "#loc +name +dest"),
    ("to_latitude", "to latitude", "#geo +lat +dest"),
    ("to_longitude", "to longitude", "#geo +lon +dest"),
    ("quantity", "quantity", "#indicator +num"),
    ("amount", "amount", "#indicator +amount"),
    ("unit", "unit", "#indicator +unit"),
    ("actor", "actor as the source names it", "#org +actor"),
    ("severity", "severity", "#severity"),
    ("verification_status", "verification", "#status"),
    ("grade", "grade", "#x_grade"),
    ("source", "source", "#meta +source"),
    ("description", "description", "#description"),
    ("outside", "outside the clause's", "#x_outside"),
    ("scope_note", "why outside", "#x_outside +reason"),
    ("place_mismatch", "place mismatch", "#x_place_mismatch"),
    ("place_note", "why the place is flagged", "#x_place_mismatch +reason"),
]


def observation_row(o) -> dict[str, Any]:
    """A flat row of an Observation loaded with report__mission, clause__agreement, party."""
    return {
        "id": o.pk,
        "report": o.report.external_id,
        "mission": o.report.mission.code,
        "agreement": o.clause.agreement.code if o.clause else None,
        "clause": o.clause.reference if o.clause else None,
        "kind": o.kind,
        "party": o.party.code if o.party else None,
        "occurred_at": o.occurred_at.isoformat(),
        # The day it counts on; a date sent without a time is that day, whatever the instant.
        "occurred_on": o.occurred_on.isoformat() if o.occurred_on else None,
        "date_only": o.date_only,
        "place_name": o.place_name,
        "admin_area": o.admin_area,
        "latitude": o.latitude,
        "longitude": o.longitude,
        "to_place_name": o.to_place_name,
        "to_latitude": o.to_latitude,
        "to_longitude": o.to_longitude,
        "quantity": o.quantity,
        "amount": _decimal(o.amount),
        "unit": o.unit,
        "actor": o.actor,
        "severity": o.severity,
        "verification_status": o.verification_status,
        "grade": o.grade,
        "source": o.source,
        "description": o.description,
        "outside": " and ".join(
            word for word, flag in (("period", o.outside_period), ("area", o.outside_area)) if flag
        ),
        "scope_note": o.scope_note,
        "place_mismatch": o.place_mismatch,
        "place_note": o.place_note,
    }


def observation_feature(o) -> dict[str, Any]:
    """A Feature: a Point where it was, or a LineString to where it went (a destination)."""
    row = observation_row(o)
    return {
        "type": "Feature",
        "id": o.pk,
        "geometry": path(point(o.latitude, o.longitude), point(o.to_latitude, o.to_longitude)),
        "properties": {k: v for k, v in row.items() if k not in ("latitude", "longitude")},
    }
