"""What CSV, HXL and XLSX share: turning a header and cell rows into raw observation rows."""

import re
from collections.abc import Iterable, Iterator
from typing import Any

from reports.parsers.base import LimitExceeded, PayloadProblem, RawRow

# HXL hashtag (+ attributes, any order, case-insensitive) -> observation field.
HXL_FIELDS: list[tuple[str, frozenset[str], str]] = [
    ("#date", frozenset({"occurred"}), "occurred_at"),
    ("#date", frozenset({"reported"}), "attributes.reported_at"),
    ("#date", frozenset(), "occurred_at"),
    ("#event", frozenset({"type"}), "kind"),
    ("#event", frozenset({"code"}), "attributes.event_code"),
    ("#description", frozenset(), "description"),
    ("#loc", frozenset({"name"}), "place_name"),
    ("#adm1", frozenset({"name"}), "admin_area"),
    ("#adm2", frozenset({"name"}), "attributes.adm2"),
    ("#geo", frozenset({"lat"}), "latitude"),
    ("#geo", frozenset({"lon"}), "longitude"),
    ("#org", frozenset({"name"}), "party"),
    ("#meta", frozenset({"id"}), "id"),
    ("#meta", frozenset({"source"}), "source"),
    ("#affected", frozenset({"killed"}), "attributes.killed"),
    ("#affected", frozenset({"injured"}), "attributes.injured"),
    ("#indicator", frozenset({"num"}), "quantity"),
    ("#severity", frozenset(), "severity"),
    ("#status", frozenset(), "verification_status"),
    ("#sector", frozenset(), "category"),
    ("#x_clause", frozenset(), "clause"),
    ("#x_agreement", frozenset(), "agreement"),
    ("#x_grade", frozenset(), "grade"),
]
_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*$")


def is_hxl_row(cells: Iterable[Any]) -> bool:
    """A row is an HXL hashtag row when its non-empty cells are mostly hashtags."""
    values = [str(c).strip() for c in cells if c not in (None, "") and str(c).strip()]
    tags = [v for v in values if v.startswith("#")]
    return bool(values) and len(tags) * 2 > len(values)


def hxl_field(tag: str) -> str:
    """The observation field an HXL hashtag maps to, or ``attributes.<tag>`` to keep it."""
    normalised = " ".join(tag.lower().split())
    if not _TAG.match(normalised.replace(" ", "")) and not _TAG.match(normalised):
        raise PayloadProblem(f'"{tag}" is not a valid HXL hashtag')
    parts = [p.strip() for p in normalised.split("+")]
    hashtag, attrs = parts[0], frozenset(p for p in parts[1:] if p)
    best: tuple[int, str] | None = None
    for known_tag, required, field in HXL_FIELDS:
        if known_tag == hashtag and required <= attrs:
            score = len(required)
            if best is None or score > best[0]:
                best = (score, field)
    if best is not None:
        return best[1]
    key = hashtag.lstrip("#") + "".join(f"+{a}" for a in sorted(attrs))
    return f"attributes.{key}"


def rows_from_cells(
    cell_rows: Iterator[tuple[int, list[Any]]], fields: list[str | None], *, max_rows: int
) -> Iterator[tuple[int, RawRow]]:
    """Map each data row to a raw observation row, keeping unmapped cells as attributes."""
    count = 0
    for number, cells in cell_rows:
        if all(c in (None, "") or (isinstance(c, str) and not c.strip()) for c in cells):
            continue  # blank lines are layout, not observations
        count += 1
        if count > max_rows:
            raise LimitExceeded(f"the file has more than {max_rows:,} data rows", "INGEST_MAX_ROWS")
        if len(cells) > len(fields):
            extra = [c for c in cells[len(fields) :] if c not in (None, "")]
            if extra:
                yield number, {"__error__": f"{len(cells)} cells but only {len(fields)} columns"}
                continue
        row: RawRow = {}
        attributes: dict[str, Any] = {}
        for field, value in zip(fields, cells, strict=False):
            if field is None or value is None or (isinstance(value, str) and value == ""):
                continue
            if field.startswith("attributes."):
                attributes[field.removeprefix("attributes.")] = value
            else:
                row[field] = value
        if attributes:
            row["attributes"] = attributes
        yield number, row


def fields_from_profile(headers: list[str], columns: dict[str, str]) -> list[str | None]:
    """Column headers through a profile's mapping; unmapped headers are kept as attributes."""
    lookup = {k.strip().lower(): v for k, v in columns.items()}
    fields: list[str | None] = []
    for header in headers:
        name = str(header or "").strip()
        if not name:
            fields.append(None)
            continue
        fields.append(lookup.get(name.lower()) or f"attributes.{name}")
    return fields


def fields_from_hxl(tags: list[Any]) -> list[str | None]:
    fields: list[str | None] = []
    seen: dict[str, int] = {}
    for tag in tags:
        text = str(tag or "").strip()
        if not text:
            fields.append(None)
            continue
        field = hxl_field(text)
        if not field.startswith("attributes."):
            seen[field] = seen.get(field, 0) + 1
            if seen[field] > 1:
                raise PayloadProblem(f'two columns map to "{field}" (second one is "{text}")')
        fields.append(field)
    return fields
