"""A worksheet's rows as they really are in its XML, never as its ``<dimension>`` declares.

Each row comes with its own number; rows and cells without a value cost nothing, so a sheet
claiming ``A1:XFD1048576`` is as quick as its data, and a dimension smaller than the data
drops nothing. Cell text is counted as expat hands it over, so a huge cell is refused
before it is held.
"""

import datetime as dt
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)

from reports.parsers.base import LimitExceeded
from reports.parsers.limits import Limits
from reports.parsers.xlsx_parts import DATE, DURATION, parse, unescape, xml_parser

_REFERENCE = re.compile(r"^([A-Z]{1,3})(\d+)$")
CellRow = tuple[int, list[Any]]


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class SheetReader:
    """expat handlers that turn ``<row>``/``<c>`` elements into numbered rows of values."""

    def __init__(self, limits: Limits, shared: list[str], styles: bytearray, date1904: bool):
        self.limits, self.shared, self.styles = limits, shared, styles
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        self.done: list[CellRow] = []
        self.row_number = 0
        self.cells: dict[int, Any] = {}
        self.column = 0
        self.cell_type = self.style = ""
        self.pieces: list[str] = []
        self.size = 0
        self.capture = False  # inside <v>, or a <t> of an inline string
        self.phonetic = 0

    def start(self, tag: str, attrs: dict) -> None:
        if tag == "c":
            self._start_cell(attrs)
        elif tag == "v" or (tag == "t" and not self.phonetic):
            self.capture = True
        elif tag == "row":
            reference = attrs.get("r")
            self.row_number = int(reference) if reference else self.row_number + 1
            self.cells, self.column = {}, 0
        elif tag == "rPh":
            self.phonetic += 1

    def end(self, tag: str) -> None:
        if tag in ("v", "t"):
            self.capture = False
        elif tag == "c":
            self._end_cell()
        elif tag == "row":
            self._end_row()
        elif tag == "rPh":
            self.phonetic -= 1

    def text(self, data: str) -> None:
        if not self.capture:
            return
        self.size += len(data)
        if self.size > self.limits.string_chars:
            raise LimitExceeded(
                f"cell {self._reference()} is longer than {self.limits.string_chars:,} characters",
                "INGEST_MAX_STRING_CHARS",
            )
        self.pieces.append(data)

    def _start_cell(self, attrs: dict) -> None:
        reference = attrs.get("r")
        if reference:
            self.column = _column_of(reference)
        else:
            self.column += 1
        self.cell_type, self.style = attrs.get("t", "n"), attrs.get("s", "")
        self.pieces, self.size = [], 0

    def _end_cell(self) -> None:
        value = self._value("".join(self.pieces)) if self.pieces else None
        if value is None or value == "":
            return
        if self.column > self.limits.columns:
            raise LimitExceeded(
                f"cell {self._reference()} has a value beyond column "
                f"{column_letters(self.limits.columns)} ({self.limits.columns:,} columns)",
                "INGEST_MAX_COLUMNS",
            )
        self.cells[self.column] = value

    def _end_row(self) -> None:
        if not self.cells:
            return  # an empty or formatting-only row: not data, and not worth a list
        size = sum(len(v) for v in self.cells.values() if isinstance(v, str))
        if size > self.limits.row_chars:
            raise LimitExceeded(
                f"row {self.row_number} holds more than {self.limits.row_chars:,} characters",
                "INGEST_MAX_ROW_CHARS",
            )
        row = [None] * max(self.cells)
        for column, value in self.cells.items():
            row[column - 1] = value
        self.done.append((self.row_number, row))

    def _reference(self) -> str:
        return f"{column_letters(self.column)}{self.row_number}"

    def _value(self, text: str) -> Any:
        """A cell's value as openpyxl's read-only mode gives it (dates by their style)."""
        kind = self.cell_type
        if kind == "s":
            return self.shared[int(text)]
        if kind in ("str", "inlineStr", "e"):
            return unescape(text)
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            return from_ISO8601(text)
        number = float(text) if "." in text or "e" in text or "E" in text else int(text)
        return self._dated(number)

    def _dated(self, number: float) -> float | dt.datetime | dt.timedelta | str:
        style = int(self.style) if self.style else 0
        kind = self.styles[style] if 0 <= style < len(self.styles) else 0
        if not kind & DATE:
            return number
        try:
            return from_excel(number, self.epoch, timedelta=bool(kind & DURATION))
        except (OverflowError, ValueError):
            return "#VALUE!"  # as openpyxl: a date serial no calendar holds


def _column_of(reference: str) -> int:
    """The column number of a cell reference ("AB12" -> 28); ValueError when it is not one."""
    match = _REFERENCE.match(reference)
    if match is None:
        raise ValueError(f'"{reference[:20]}" is not a cell reference')
    return _column_number(match[1])


@lru_cache(maxsize=16_384)  # a sheet names the same few columns in every row
def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def sheet_rows(chunks: Iterator[bytes], reader: SheetReader) -> Iterator[CellRow]:
    """Rows that hold a value, numbered as in the sheet, as the XML streams in."""
    parser = xml_parser(reader.start, reader.end, reader.text)
    for chunk in chunks:
        parser.Parse(chunk, False)
        yield from reader.done
        reader.done.clear()
    parse(parser, ())
    yield from reader.done
