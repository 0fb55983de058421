"""CSV with a header row: mapped through a column profile, or by HXL hashtags if present.

Without a profile, headers that are observation field names (``occurred_at``, ``kind``...)
map to themselves; other columns are kept as attributes.
"""

import csv
import io
import itertools
from collections.abc import Iterator
from typing import Any

from reports.parsers.base import LimitExceeded, ParsedPayload, PayloadProblem, register
from reports.parsers.limits import current_limits
from reports.parsers.source import as_source, is_blank
from reports.parsers.tabular import (
    fields_from_hxl,
    fields_from_profile,
    is_hxl_row,
    rows_from_cells,
)
from reports.parsers.text import printable


def profile_settings(params: dict) -> tuple[dict[str, str], dict[str, str]]:
    """(column mapping, header additions) from the payload's import profile, if any."""
    from reports.parsers.json_report import ROW_FIELDS
    from reports.profiles.registry import profile_of_params
    from reports.profiles.spec import ProfileProblem

    try:
        spec = profile_of_params(params)
    except ProfileProblem as problem:
        raise PayloadProblem(str(problem)) from None
    if spec is None:
        return {f: f for f in ROW_FIELDS}, {}
    extra = {"timezone": spec.time.zone or "UTC", "unknown_parties": spec.unknown_parties}
    if spec.time.date_format:
        extra["date_format"] = spec.time.date_format
    return {**{f: f for f in ROW_FIELDS}, **spec.columns}, extra


def tabular_payload(
    numbered: Iterator[tuple[int, list[Any]]], params: dict, *, require_hxl: bool = False
) -> ParsedPayload:
    """A header row (row 1), maybe HXL hashtags (row 2), then data rows, each numbered."""
    first = next(numbered, None)
    if first is None:
        raise PayloadProblem("the file is empty: expected a header row")
    if first[0] != 1:  # a sheet whose row 1 is empty: that empty row is the header
        numbered, first = itertools.chain([first], numbered), (1, [])
    headers = first[1]
    second = next(numbered, None)
    header: dict[str, Any] = dict(params)
    if second is not None and second[0] == 2 and is_hxl_row(second[1]):
        fields = fields_from_hxl(second[1])
    else:
        if require_hxl:
            raise PayloadProblem("row 2 must hold the HXL hashtags (e.g. #date, #event +type)")
        columns, extra = profile_settings(params)
        header.update({k: v for k, v in extra.items() if k not in params})
        fields = fields_from_profile(headers, columns)
        if second is not None:
            numbered = itertools.chain([second], numbered)
    rows = rows_from_cells(numbered, fields, max_rows=current_limits().rows)
    return ParsedPayload(header=header, rows=rows)


def _lines(text: io.TextIOBase, max_chars: int) -> Iterator[str]:
    """Physical lines, each refused past ``max_chars`` before it is read whole."""
    while line := text.readline(max_chars + 2):  # room for a CRLF after a full line
        if len(line.rstrip("\r\n")) > max_chars:
            raise LimitExceeded(
                f"a line is longer than {max_chars:,} characters", "INGEST_MAX_ROW_CHARS"
            )
        yield line


def _csv_cells(source) -> Iterator[tuple[int, list[str]]]:
    limits = current_limits()
    csv.field_size_limit(limits.string_chars)  # process-wide, but the same for every parse
    text = io.TextIOWrapper(source.open(), encoding="utf-8-sig", newline="")
    try:
        for number, record in enumerate(csv.reader(_lines(text, limits.row_chars)), start=1):
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
