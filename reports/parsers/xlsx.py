"""XLSX workbooks (first sheet), read with openpyxl in read-only streaming mode."""

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from reports.parsers.base import ParsedPayload, PayloadProblem, register
from reports.parsers.csv_profile import tabular_payload
from reports.parsers.source import as_source


def _xlsx_cells(body: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise PayloadProblem(f"the file is not a readable XLSX workbook ({exc})") from None
    except Exception as exc:  # damaged inside: zlib, XML and openpyxl errors of every kind
        raise PayloadProblem(f"the workbook is damaged ({type(exc).__name__}: {exc})") from None
    try:
        if not workbook.worksheets:
            raise PayloadProblem("the workbook has no sheet")
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a damaged sheet fails only when it is read
                raise PayloadProblem(
                    f"the workbook is damaged ({type(exc).__name__}: {exc})"
                ) from None
            yield list(row)
    finally:
        workbook.close()


@register("xlsx")
def parse_xlsx(body, params: dict) -> ParsedPayload:
    """The first sheet, mapped like CSV: a column profile, or HXL hashtags in row 2."""
    source = as_source(body)
    if not source.size:
        raise PayloadProblem("the file is empty")
    # A zip needs random access, so XLSX is read whole (openpyxl then streams the sheet).
    return tabular_payload(_xlsx_cells(source.read_all()), params)
