"""CSV with a header row: mapped through a column profile, or by HXL hashtags if present.

Without a profile, headers that are observation field names (``occurred_at``, ``kind``...)
map to themselves; other columns are kept as attributes.
"""

import csv
import io
from collections.abc import Iterator
from typing import Any

from reports.parsers.base import ParsedPayload, PayloadProblem, register
from reports.parsers.source import as_source, is_blank
from reports.parsers.tabular import (
    fields_from_hxl,
    fields_from_profile,
    is_hxl_row,
    rows_from_cells,
)

csv.field_size_limit(1 << 24)


def profile_settings(params: dict) -> tuple[dict[str, str], dict[str, str]]:
    """(column mapping, header additions) from the named ColumnProfile, if any."""
    from reports.models import ColumnProfile
    from reports.parsers.json_report import ROW_FIELDS

    code = params.get("profile")
    if not code:
        return {f: f for f in ROW_FIELDS}, {}
    profile = ColumnProfile.objects.filter(code=code).first()
    if profile is None:
        raise PayloadProblem(f'unknown column profile "{code}"')
    if profile.mission_id and params.get("mission") not in (None, profile.mission.code):
        raise PayloadProblem(f'column profile "{code}" belongs to another mission')
    extra = {"timezone": profile.timezone}
    if profile.date_format:
        extra["date_format"] = profile.date_format
    return profile.columns, extra


def tabular_payload(
    cell_rows: Iterator[list[Any]], params: dict, *, require_hxl: bool = False
) -> ParsedPayload:
    numbered = enumerate(cell_rows, start=1)
    try:
        _, headers = next(numbered)
    except StopIteration:
        raise PayloadProblem("the file is empty: expected a header row") from None
    first = next(numbered, None)
    header: dict[str, Any] = dict(params)
    if first is not None and is_hxl_row(first[1]):
        fields = fields_from_hxl(first[1])
        data: Iterator[tuple[int, list[Any]]] = numbered
    else:
        if require_hxl:
            raise PayloadProblem("row 2 must hold the HXL hashtags (e.g. #date, #event +type)")
        columns, extra = profile_settings(params)
        header.update({k: v for k, v in extra.items() if k not in params})
        fields = fields_from_profile(headers, columns)

        def with_first() -> Iterator[tuple[int, list[Any]]]:
            if first is not None:
                yield first
            yield from numbered

        data = with_first()
    return ParsedPayload(header=header, rows=rows_from_cells(data, fields))


def _csv_cells(source) -> Iterator[list[str]]:
    text = io.TextIOWrapper(source.open(), encoding="utf-8-sig", newline="")
    try:
        yield from csv.reader(text)
    except UnicodeDecodeError as exc:
        raise PayloadProblem(
            f"the file is not UTF-8 text ({exc.reason}): save it as UTF-8"
        ) from None
    except csv.Error as exc:
        raise PayloadProblem(f"the CSV is malformed: {exc}") from None


@register("csv")
def parse_csv(body, params: dict) -> ParsedPayload:
    """CSV with a header row; HXL hashtags under it are used when present."""
    source = as_source(body)
    if is_blank(source):
        raise PayloadProblem("the file is empty: expected a header row")
    return tabular_payload(_csv_cells(source), params)
