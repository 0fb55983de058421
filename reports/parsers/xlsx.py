"""XLSX workbooks (first sheet), streamed from the zip within the input limits.

Not openpyxl's read-only mode: it trusts the sheet's declared ``<dimension>`` (a 4.9 KB
workbook declaring ``A1:XFD1048576`` cost twelve minutes; a dimension smaller than the data
silently dropped rows) and holds a cell whole before anyone can measure it (issue 12).
"""

import zlib
from collections.abc import Iterator
from xml.parsers import expat

from reports.parsers.base import ParsedPayload, PayloadProblem, register
from reports.parsers.csv_profile import tabular_payload
from reports.parsers.limits import Limits, current_limits
from reports.parsers.source import as_source
from reports.parsers.text import printable
from reports.parsers.xlsx_parts import XmlRefused, shared_strings, style_kinds, workbook
from reports.parsers.xlsx_sheet import CellRow, SheetReader, sheet_rows
from reports.parsers.zipbound import BoundedZip, unreadable

# What a damaged workbook raises while it is read: XML, zip, and values that are not what
# their cell type says (a shared string index out of range, a number that is not one).
_DAMAGE = (expat.ExpatError, XmlRefused, IndexError, ValueError, zlib.error, EOFError)


def _damaged(exc: Exception) -> PayloadProblem:
    kind = "ParseError" if isinstance(exc, expat.ExpatError) else type(exc).__name__
    return PayloadProblem(f"the workbook is damaged ({kind}: {printable(str(exc), 200)})")


def _open(body: bytes, limits: Limits) -> tuple[BoundedZip, SheetReader, str]:
    archive = BoundedZip(body, limits)
    try:
        book = workbook(archive)
    except KeyError as exc:  # a zip, but not one with a workbook inside
        raise unreadable(exc) from None
    if book.sheet not in archive.names:
        raise PayloadProblem(f"the workbook is damaged (its sheet {book.sheet} is missing)")
    shared = shared_strings(archive, book.shared_strings, limits)
    reader = SheetReader(limits, shared, style_kinds(archive, book.styles), book.date1904)
    return archive, reader, book.sheet


def _xlsx_rows(body: bytes) -> Iterator[CellRow]:
    try:
        archive, reader, sheet = _open(body, current_limits())
        yield from sheet_rows(archive.chunks(sheet), reader)
    except PayloadProblem:
        raise  # already says what is wrong (it is a ValueError, so it comes first)
    except _DAMAGE as exc:
        raise _damaged(exc) from None


@register("xlsx")
def parse_xlsx(body, params: dict) -> ParsedPayload:
    """The first sheet, mapped like CSV: a column profile, or HXL hashtags in row 2."""
    source = as_source(body)
    if not source.size:
        raise PayloadProblem("the file is empty")
    # A zip needs random access, so XLSX is read whole (its parts are then streamed).
    return tabular_payload(_xlsx_rows(source.read_all()), params)
