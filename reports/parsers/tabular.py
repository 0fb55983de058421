"""What CSV, HXL and XLSX share: HXL hashtags, and turning cell rows into raw observation rows
by a plan of columns resolved once per file (reports.parsers.columns)."""

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from reports.parsers.base import LimitExceeded, PayloadProblem, RawRow

if TYPE_CHECKING:
    from reports.parsers.columns import Plan

# HXL hashtag (+ attributes, any order, case-insensitive) -> observation field: the table
# beneath every profile's columns.
HXL_FIELDS: list[tuple[str, frozenset[str], str]] = [
    ("#date", frozenset({"occurred"}), "occurred_at"),
    ("#date", frozenset({"reported"}), "attributes.reported_at"),
    ("#date", frozenset(), "occurred_at"),
    ("#event", frozenset({"type"}), "kind"),
    ("#event", frozenset({"code"}), "attributes.event_code"),
    ("#description", frozenset(), "description"),
    ("#loc", frozenset({"name"}), "place_name"),
    # A movement's destination, as the exports write it (reports.formats).
    ("#loc", frozenset({"name", "dest"}), "to_place_name"),
    ("#geo", frozenset({"lat", "dest"}), "to_latitude"),
    ("#geo", frozenset({"lon", "dest"}), "to_longitude"),
    ("#indicator", frozenset({"amount"}), "amount"),
    ("#indicator", frozenset({"unit"}), "unit"),
    ("#x_control_area", frozenset(), "control_area"),
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
_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$")
# A measured amount with its unit: "12.5 t", "12 500,5 t", "1,250.75 kg".
_AMOUNT = re.compile(r"^\s*(\d[\d \u00a0\u202f'.,]*?)\s*([^\d\s.,'][^\d]*?)?\s*$")
_MISSING = object()

Tag = tuple[str, frozenset[str]]


def parse_tag(text: str) -> Tag:
    """An HXL hashtag spec (``#date +inspection``) as (hashtag, attributes), normalised."""
    compact = "".join(text.lower().split())
    if not _TAG.match(compact):
        raise PayloadProblem(f'"{text.strip()[:60]}" is not a valid HXL hashtag')
    hashtag, *attributes = compact.split("+")
    return hashtag, frozenset(attributes)


def tag_key(tag: Tag) -> str:
    """A hashtag as an attribute key: ``x_weather+gust+wind``."""
    return tag[0].lstrip("#") + "".join(f"+{a}" for a in sorted(tag[1]))


def is_hxl_row(cells: Iterable[Any]) -> bool:
    """A row is an HXL hashtag row when its non-empty cells are mostly hashtags."""
    values = [str(c).strip() for c in cells if c not in (None, "") and str(c).strip()]
    tags = [v for v in values if v.startswith("#")]
    return bool(values) and len(tags) * 2 > len(values)


def best_tag_match(
    tag: Tag, table: Iterable[tuple[str, frozenset[str], str]]
) -> list[tuple[int, str, str]]:
    """The entries of ``table`` that match ``tag`` (same hashtag, all their attributes on the
    tag), most specific first, as (attribute count, spec, target)."""
    hashtag, attributes = tag
    found = [
        (len(required), known + "".join(f"+{a}" for a in sorted(required)), target)
        for known, required, target in table
        if known == hashtag and required <= attributes
    ]
    return sorted(found, key=lambda entry: -entry[0])


def hxl_field(tag: str) -> str:
    """The field the built-in table maps an HXL hashtag to, or ``attributes.<tag>``."""
    parsed = parse_tag(tag)
    found = best_tag_match(parsed, HXL_FIELDS)
    return found[0][2] if found else f"attributes.{tag_key(parsed)}"


def normalised(value: Any) -> str:
    """A cell as a ``values`` map compares it: trimmed, spacing collapsed, without case."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()).casefold()


def split_amount(text: str) -> tuple[str, str] | None:
    """``"12 500,5 t"`` as ("12500.5", "t"); None when the text is not a number and a unit.
    A lone comma or dot is the decimal mark; with both, the last one is; spaces, apostrophes
    and repeated marks group thousands."""
    match = _AMOUNT.match(text)
    if match is None:
        return None
    number = re.sub(r"[ \u00a0\u202f']", "", match[1])
    commas, dots = number.count(","), number.count(".")
    if commas and dots:
        mark = "," if number.rfind(",") > number.rfind(".") else "."
        other = "." if mark == "," else ","
        number = number.replace(other, "").replace(mark, ".")
    elif commas:
        number = number.replace(",", "") if commas > 1 else number.replace(",", ".")
    elif dots > 1:
        number = number.replace(".", "")
    return number, (match[2] or "").strip()


def _blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def rows_from_cells(
    cell_rows: Iterator[tuple[int, list[Any]]], plan: "Plan", *, max_rows: int
) -> Iterator[tuple[int, RawRow]]:
    """Each data row through ``plan``: constants first, then each column's value (mapped
    through its ``values``), every unmapped value kept in ``attributes``."""
    slots, width, constants = plan.slots, len(plan.slots), plan.constants
    skip_blank, expected, count = plan.skip_blank_rows, plan.first_row, 0
    for number, cells in cell_rows:
        blank = _blank(cells)
        if blank and skip_blank:
            continue  # blank lines are layout, not observations
        # A workbook has no element for an empty row: the numbers it skips were blank rows.
        missing = range(expected, number) if not skip_blank else range(0)
        expected = number + 1
        for gap in (*missing, number) if blank else missing:
            count += 1
            if count > max_rows:
                raise _too_many(max_rows)
            yield gap, {"__error__": "the row is empty"}
        if blank:
            continue
        count += 1
        if count > max_rows:
            raise _too_many(max_rows)
        if len(cells) > width and any(c not in (None, "") for c in cells[width:]):
            yield number, {"__error__": f"{len(cells)} cells but only {width} columns"}
            continue
        row: RawRow = dict(constants) if constants else {}
        attributes: dict[str, Any] = {}
        for (name, is_attribute, values, original), value in zip(slots, cells, strict=False):
            if value is None or value == "":
                continue
            if values is not None:
                mapped = values.get(normalised(value), _MISSING)
                if mapped is not _MISSING:
                    if original is not None:
                        attributes[original] = value  # the source's own word is kept too
                    value = mapped
                    if value is None:
                        continue
            if is_attribute:
                attributes[name] = value
            else:
                row[name] = value
        if attributes:
            row["attributes"] = attributes
        if plan.reads_amount and isinstance(row.get("amount"), str):
            _amount_with_unit(row)
        yield number, row


def _too_many(max_rows: int) -> LimitExceeded:
    return LimitExceeded(f"the file has more than {max_rows:,} data rows", "INGEST_MAX_ROWS")


def _amount_with_unit(row: RawRow) -> None:
    """An amount cell that carries its unit ("12.5 t"): the number, and the unit unless the
    row already has one; a unit that contradicts the row's is the row's error."""
    text = row["amount"]
    split = split_amount(text)
    if split is None:
        return  # not a number: the row's validation says so
    number, unit = split
    row["amount"] = number
    if not unit:
        return
    given = row.get("unit")
    if given in (None, ""):
        row["unit"] = unit
    elif normalised(given).rstrip(".") != normalised(unit).rstrip("."):
        row.clear()
        row["__error__"] = (
            f'amount "{text.strip()[:40]}" is in {unit[:20]}, but the unit is '
            f"{str(given)[:20]} (from the profile's set or a unit column): convert the cell or "
            "the unit"
        )
