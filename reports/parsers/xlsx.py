"""XLSX workbooks (the profile's sheet, else the first), streamed from the zip within the input
limits.

Not openpyxl's read-only mode: it trusts the sheet's declared ``<dimension>`` (a 4.9 KB
workbook declaring ``A1:XFD1048576`` cost twelve minutes; a dimension smaller than the data
silently dropped rows) and holds a cell whole before anyone can measure it (issue 12).
"""

import zlib
from collections.abc import Iterator
from xml.parsers import expat

from reports.parsers.base import ParsedPayload, PayloadProblem, register
from reports.parsers.csv_profile import profile_reading, tabular_payload
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


class _Book:
    """An opened workbook: its sheets, and a fresh row reader for any of them."""

    def __init__(self, body: bytes, limits: Limits):
        self.archive = BoundedZip(body, limits)
        try:
            self.book = workbook(self.archive)
        except KeyError as exc:  # a zip, but not one with a workbook inside
            raise unreadable(exc) from None
        self.limits = limits
        self.shared = shared_strings(self.archive, self.book.shared_strings, limits)
        self.styles = style_kinds(self.archive, self.book.styles)

    def rows(self, member: str) -> Iterator[CellRow]:
        if member not in self.archive.names:
            raise PayloadProblem(f"the workbook is damaged (its sheet {member} is missing)")
        reader = SheetReader(self.limits, self.shared, self.styles, self.book.date1904)
        return _guarded(sheet_rows(self.archive.chunks(member), reader))

    def others(self, chosen: str) -> Iterator[tuple[str, Iterator[CellRow]]]:
        for name, member in self.book.sheets:
            if member != chosen and member in self.archive.names:
                yield name, self.rows(member)


def _guarded(rows: Iterator[CellRow]) -> Iterator[CellRow]:
    try:
        yield from rows
    except PayloadProblem:
        raise  # already says what is wrong (it is a ValueError, so it comes first)
    except _DAMAGE as exc:
        raise _damaged(exc) from None


def _opened(body: bytes) -> _Book:
    try:
        return _Book(body, current_limits())
    except PayloadProblem:
        raise
    except _DAMAGE as exc:
        raise _damaged(exc) from None


@register("xlsx")
def parse_xlsx(body, params: dict) -> ParsedPayload:
    """The profile's sheet (by name), else the first, mapped like CSV: profile columns, field
    names, HXL hashtags under the header. Every message names the sheet."""
    source = as_source(body)
    if not source.size:
        raise PayloadProblem("the file is empty")
    reading, extra = profile_reading(params)
    # A zip needs random access, so XLSX is read whole (its parts are then streamed).
    book = _opened(source.read_all())
    name, member = book.book.sheet_named(reading.sheet)
    return tabular_payload(
        book.rows(member),
        params,
        reading=reading,
        extra=extra,
        sheet=name,
        other_sheets=None if reading.sheet else lambda: book.others(member),
    )
