"""The small parts of a workbook a sheet needs: its sheets by name, its date system,
which cell styles are dates, and the shared strings (bounded in number and size).

Read with expat as a stream, so no part is ever one tree in memory; a DOCTYPE is refused
(a workbook never has one, and entity tricks start there).
"""

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

from reports.parsers.base import LimitExceeded, PayloadProblem
from reports.parsers.limits import Limits
from reports.parsers.zipbound import BoundedZip

_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
DATE, DURATION = 1, 2  # kinds of cell style, by index


class XmlRefused(ValueError):
    """The XML does something no workbook does."""


def xml_parser(start: Callable, end: Callable | None = None, text: Callable | None = None):
    """An expat parser reporting local names (namespaces dropped), text in large pieces."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text, parser.buffer_size = True, 1 << 16
    # A sheet names a handful of elements millions of times: each qualified name is split
    # once (up to a bound, so a hostile file of endless distinct names cannot grow it).
    names: dict[str, str] = {}

    def local(name: str) -> str:
        found = _local(name)
        if len(names) < 256:
            names[name] = found
        return found

    def on_start(name: str, attrs: dict) -> None:
        start(names.get(name) or local(name), attrs)

    parser.StartElementHandler = on_start
    if end is not None:

        def on_end(name: str) -> None:
            end(names.get(name) or local(name))

        parser.EndElementHandler = on_end
    if text is not None:
        parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = _refuse_doctype
    return parser


def _refuse_doctype(*_args) -> None:
    raise XmlRefused("a DOCTYPE is not allowed in a workbook")


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def attribute(attrs: dict, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (r:id, id...)."""
    for key, value in attrs.items():
        if _local(key) == name:
            return value
    return None


def parse(parser, chunks: Iterable[bytes]) -> None:
    for chunk in chunks:
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def unescape(text: str) -> str:
    """OOXML spells characters XML cannot hold as ``_xHHHH_`` (``_x005F_`` is ``_``)."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def relationships(archive: BoundedZip, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, member name) for a part, from its ``_rels`` file."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    found: dict[str, tuple[str, str]] = {}
    if rels not in archive.names:
        return found

    def start(tag: str, attrs: dict) -> None:
        if tag == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(path))

    parse(xml_parser(start), archive.chunks(rels))
    return found


@dataclass
class Workbook:
    sheets: list[tuple[str, str]]  # (name, member) of each sheet, in the workbook's order
    date1904: bool = False
    styles: str | None = None
    shared_strings: str | None = None

    def sheet_named(self, name: str) -> tuple[str, str]:
        """The sheet called ``name`` (trimmed, without case), else the first one."""
        if not name:
            return self.sheets[0]
        wanted = " ".join(name.split()).casefold()
        for sheet in self.sheets:
            if " ".join(sheet[0].split()).casefold() == wanted:
                return sheet
        names = ", ".join(f'"{n}"' for n, _ in self.sheets)
        raise PayloadProblem(f'the workbook has no sheet "{name}" (its sheets: {names})')


def workbook(archive: BoundedZip) -> Workbook:
    """Where the sheets and their companions are, from the package's relationships."""
    package = relationships(archive, "")
    main = next((p for t, p in package.values() if t.endswith("/officeDocument")), None)
    main = main or "xl/workbook.xml"
    if main not in archive.names:
        raise KeyError(f"There is no item named '{main}' in the archive")
    rels = relationships(archive, main)
    listed: list[tuple[str, str | None]] = []
    state = {"date1904": False}

    def start(tag: str, attrs: dict) -> None:
        if tag == "workbookPr":
            state["date1904"] = attrs.get("date1904", "").lower() in ("1", "true")
        elif tag == "sheet":
            listed.append((unescape(attrs.get("name", "")), attribute(attrs, "id")))

    parse(xml_parser(start), archive.chunks(main))
    # A chart sheet or a dangling relationship is not a sheet of rows.
    sheets = [
        (name or f"Sheet{n}", rels[rid][1])
        for n, (name, rid) in enumerate(listed, start=1)
        if rid in rels and rels[rid][0].endswith("/worksheet")
    ]
    if not sheets:
        raise PayloadProblem("the workbook has no sheet")
    by_type = {t.removeprefix(_REL): p for t, p in rels.values()}
    return Workbook(
        sheets=sheets,
        date1904=state["date1904"],
        styles=by_type.get("styles"),
        shared_strings=by_type.get("sharedStrings"),
    )


@dataclass
class _StyleReader:
    custom: dict[int, str] = field(default_factory=dict)
    kinds: bytearray = field(default_factory=bytearray)
    in_cell_xfs: bool = False

    def start(self, tag: str, attrs: dict) -> None:
        if tag == "numFmt":
            self.custom[_int(attrs.get("numFmtId"))] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            self.in_cell_xfs = True
        elif tag == "xf" and self.in_cell_xfs:
            self.kinds.append(self._kind(_int(attrs.get("numFmtId"))))

    def end(self, tag: str) -> None:
        if tag == "cellXfs":
            self.in_cell_xfs = False

    def _kind(self, number_format: int) -> int:
        code = self.custom.get(number_format) or BUILTIN_FORMATS.get(number_format) or ""
        if is_timedelta_format(code):
            return DURATION | DATE
        return DATE if is_date_format(code) else 0


def style_kinds(archive: BoundedZip, member: str | None) -> bytearray:
    """For each cell style index: DATE, DURATION | DATE, or 0 (a plain number)."""
    if not member or member not in archive.names:
        return bytearray()
    reader = _StyleReader()
    parse(xml_parser(reader.start, reader.end), archive.chunks(member))
    return reader.kinds


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return -1


class _SharedStrings:
    """Collects ``<si>`` texts (rich runs joined, phonetic hints left out) within the limits."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.strings: list[str] = []
        self.pieces: list[str] = []
        self.size = self.total = self.phonetic = 0
        self.in_text = False

    def start(self, tag: str, attrs: dict) -> None:
        if tag == "si":
            self.pieces, self.size = [], 0
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "t" and not self.phonetic:
            self.in_text = True

    def end(self, tag: str) -> None:
        if tag == "t":
            self.in_text = False
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "si":
            self._add(unescape("".join(self.pieces)))

    def text(self, data: str) -> None:
        if not self.in_text:
            return
        self.size += len(data)
        if self.size > self.limits.string_chars:
            raise LimitExceeded(
                f"shared string {len(self.strings) + 1} is longer than "
                f"{self.limits.string_chars:,} characters",
                "INGEST_MAX_STRING_CHARS",
            )
        self.pieces.append(data)

    def _add(self, text: str) -> None:
        self.strings.append(text)
        self.total += len(text)
        if len(self.strings) > self.limits.shared_strings:
            raise LimitExceeded(
                f"the workbook has more than {self.limits.shared_strings:,} shared strings",
                "INGEST_MAX_XLSX_SHARED_STRINGS",
            )
        if self.total > self.limits.shared_chars:
            raise LimitExceeded(
                f"the workbook's shared strings hold more than {self.limits.shared_chars:,} "
                "characters",
                "INGEST_MAX_XLSX_SHARED_CHARS",
            )


def shared_strings(archive: BoundedZip, member: str | None, limits: Limits) -> list[str]:
    if not member or member not in archive.names:
        return []
    reader = _SharedStrings(limits)
    parse(xml_parser(reader.start, reader.end, reader.text), archive.chunks(member))
    return reader.strings
