"""CSV with a header row, read through the payload's import profile (if any) and the HXL
hashtags under the header (if any): reports.parsers.columns says which field each column
fills; the profile's constants, value maps and time handling come along.

Headers that are observation field names (``occurred_at``, ``kind``...) map to themselves,
with or without a profile; every other column is kept in the attributes.
"""

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from reports.parsers.base import LimitExceeded, ParsedPayload, PayloadProblem, register
from reports.parsers.columns import Plan, Reading, plan_columns, reading_of
from reports.parsers.limits import current_limits
from reports.parsers.source import as_source, is_blank
from reports.parsers.tabular import is_hxl_row, rows_from_cells
from reports.parsers.text import printable

CellRows = Iterator[tuple[int, list[Any]]]
# Other sheets of a workbook, each with its rows: looked at only when the chosen sheet has no
# column that maps to a field.
OtherSheets = Callable[[], Iterable[tuple[str, CellRows]]]


def profile_reading(params: dict) -> tuple[Reading, dict[str, Any]]:
    """How to read the cells, and the header additions (zone, date handling, unknown
    parties), from the payload's import profile; the defaults without one."""
    from reports.profiles.registry import profile_of_params
    from reports.profiles.spec import ProfileProblem

    try:
        spec = profile_of_params(params)
    except ProfileProblem as problem:
        raise PayloadProblem(str(problem)) from None
    if spec is None:
        return Reading(), {}
    time = spec.time
    extra: dict[str, Any] = {"unknown_parties": spec.unknown_parties}
    if time.zone:
        extra["timezone"] = time.zone
    if time.date_format:
        extra["date_format"] = time.date_format
    if time.date_only:
        extra["date_only"] = True
    if not time.serial_dates:
        extra["serial_dates"] = False
    if time.wall_time:
        extra["wall_time"] = True
    return reading_of(spec), extra


class EmptyTable(PayloadProblem):
    """The table has no header row."""


def _label(sheet: str) -> Callable[[int], str]:
    return lambda number: f"sheet {sheet}, row {number}" if sheet else f"row {number}"


def _first_rows(
    numbered: CellRows, reading: Reading, label: Callable[[int], str]
) -> tuple[list[Any], list[Any] | None, CellRows]:
    """(header cells, hashtag cells or None, the data rows after them). Rows above the header
    row (a title, notes) are passed over; an empty header row leaves the columns unnamed."""
    header_row, tag_row = reading.header_row, reading.header_row + 1
    headers: list[Any] = []
    following = None
    for number, cells in numbered:
        if number == header_row:
            headers = cells
            following = next(numbered, None)
            break
        if number > header_row:
            following = (number, cells)
            break
    else:
        if header_row == 1:
            raise EmptyTable("the file is empty: expected a header row")
        raise EmptyTable(f"the file ends before {label(header_row)}, its header row")
    if (
        reading.hxl != "off"
        and following is not None
        and following[0] == tag_row
        and is_hxl_row(following[1])
    ):
        return headers, following[1], numbered
    if reading.hxl == "required":
        raise PayloadProblem(
            f"{label(tag_row)} must hold the HXL hashtags (e.g. #date, #event +type)"
        )
    rest = itertools.chain([following], numbered) if following is not None else numbered
    return headers, None, rest


def _plan(numbered: CellRows, reading: Reading, sheet: str) -> tuple[Plan, CellRows]:
    headers, tags, rest = _first_rows(numbered, reading, _label(sheet))
    first_row = reading.header_row + (2 if tags is not None else 1)
    where = f"sheet {sheet}: " if sheet else ""
    return plan_columns(headers, tags, reading, first_row=first_row, where=where), rest


def _would_map(rows: CellRows, reading: Reading) -> list[str]:
    """The fields another sheet's columns would fill (looked at, not read)."""
    try:
        plan, _ = _plan(rows, reading, "")
    except PayloadProblem:
        return []
    return plan.fields


def _check_sheet(
    sheet: str, plan: Plan | None, reading: Reading, others: OtherSheets | None
) -> None:
    """A first sheet that maps nothing (a read-me, or nothing at all) while another would:
    say so, by name."""
    if (plan is not None and plan.fields) or others is None:
        return
    names = [sheet]
    better: list[tuple[str, list[str]]] = []
    for name, rows in others():
        names.append(name)
        if fields := _would_map(rows, reading):
            better.append((name, fields))
    if better:
        name, fields = better[0]
        raise PayloadProblem(
            f'sheet "{sheet}" (the first) has no column that maps to an observation field, but '
            f'sheet "{name}" has ({", ".join(fields[:6])}): choose one with --sheet / the '
            f"profile's sheet (the workbook's sheets: {', '.join(names)})"
        )


def tabular_payload(
    numbered: CellRows,
    params: dict,
    *,
    require_hxl: bool = False,
    reading: Reading | None = None,
    extra: dict[str, Any] | None = None,
    sheet: str = "",
    other_sheets: OtherSheets | None = None,
) -> ParsedPayload:
    """The header row (the profile's ``header_row``), maybe HXL hashtags right under it, then
    data rows, each numbered as in the file."""
    if reading is None:
        reading, extra = profile_reading(params)
    if require_hxl:
        reading = replace(reading, hxl="required")
    header: dict[str, Any] = dict(params)
    header.update({k: v for k, v in (extra or {}).items() if k not in params})
    try:
        plan, rest = _plan(numbered, reading, sheet)
    except EmptyTable:
        _check_sheet(sheet, None, reading, other_sheets)
        raise
    _check_sheet(sheet, plan, reading, other_sheets)
    rows = rows_from_cells(rest, plan, max_rows=current_limits().rows)
    return ParsedPayload(header=header, rows=rows, sheet=sheet)


def _lines(text: io.TextIOBase, max_chars: int) -> Iterator[str]:
    """Physical lines, each refused past ``max_chars`` before it is read whole."""
    while line := text.readline(max_chars + 2):  # room for a CRLF after a full line
        if len(line.rstrip("\r\n")) > max_chars:
            raise LimitExceeded(
                f"a line is longer than {max_chars:,} characters", "INGEST_MAX_ROW_CHARS"
            )
        yield line


def _delimiter(source) -> str:
    """The separator of the header line: a comma, unless it holds only semicolons (the
    default of KoboToolbox's and many European spreadsheets' CSV) or tabs."""
    first = source.head(65536).split(b"\n", 1)[0]
    counts = {sep: first.count(sep.encode()) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] and not counts[","] else ","


def _csv_cells(source) -> Iterator[tuple[int, list[str]]]:
    limits = current_limits()
    csv.field_size_limit(limits.string_chars)  # process-wide, but the same for every parse
    text = io.TextIOWrapper(source.open(), encoding="utf-8-sig", newline="")
    reader = csv.reader(_lines(text, limits.row_chars), delimiter=_delimiter(source))
    try:
        for number, record in enumerate(reader, start=1):
            if len(record) > limits.columns:
                raise LimitExceeded(
                    f"row {number} has {len(record):,} cells, more than {limits.columns:,}",
                    "INGEST_MAX_COLUMNS",
                )
            yield number, record
    except UnicodeDecodeError as exc:
        raise PayloadProblem(
            f"the file is not UTF-8 text ({exc.reason}): save it as UTF-8"
        ) from None
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise LimitExceeded(
                f"a field is longer than {limits.string_chars:,} characters",
                "INGEST_MAX_STRING_CHARS",
            ) from None
        raise PayloadProblem(f"the CSV is malformed: {printable(str(exc), 200)}") from None


@register("csv")
def parse_csv(body, params: dict) -> ParsedPayload:
    """CSV with a header row; HXL hashtags under it are used when present."""
    source = as_source(body)
    if is_blank(source):
        raise PayloadProblem("the file is empty: expected a header row")
    return tabular_payload(_csv_cells(source), params)
