"""Hypothesis settings and payload strategies shared by the fuzz targets.

The same examples run every time (``derandomize``), so CI is reproducible; ``FUZZ_EXAMPLES``
scales the run up (e.g. ``FUZZ_EXAMPLES=2000`` for a long local hunt).
"""

import functools
import os
import re
import resource
import tracemalloc
from collections.abc import Callable

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.fuzz import corpus

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
MAX_TRACED_BYTES = 64 << 20  # Python allocations while one example is parsed
MAX_RSS_BYTES = 1536 << 20  # the whole test process, native allocations included

FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

# Bytes that change a parser's state: delimiters, escapes, controls, bad UTF-8, OOXML escapes.
TOKENS = [
    b"\x00", b"\x1b", b'"', b"\\", b"[", b"{", b"]", b"}", b",", b":", b"\n", b"\r", b"\t",
    b"\xff", b"\xc3", b"\xef\xbb\xbf", b"1e999", b"-0", b"null", b"#", b"=", b"+cmd|",
    b"_x0000_", b"<", b"&#0;", b"2099-12-31", b"\\u0000", b"\\ud800",
]  # fmt: skip
CONTROL_TEXT = st.text(
    st.characters(codec="utf-8", categories=["Cc", "Cs", "L", "N", "P", "Zs"]), max_size=30
)


def rss_bytes() -> int:
    """The process's peak resident size (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def traced_peak(function: Callable[[], object]) -> int:
    """Peak Python memory while ``function`` runs (tracemalloc must be started)."""
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    function()
    return tracemalloc.get_traced_memory()[1] - before


@st.composite
def mutated(draw, fmt: str, *, limit: int = 400_000) -> bytes:
    """A seed with a few byte-level edits: flips, inserted tokens, cuts and repetitions."""
    seeds = seed_bodies(fmt)  # drawn by index: a repr of the bodies would be megabytes
    body = bytearray(seeds[draw(st.integers(0, len(seeds) - 1))])
    for _ in range(draw(st.integers(0, 5))):
        at = draw(st.integers(0, len(body)))
        edit = draw(st.sampled_from(["token", "bytes", "cut", "repeat", "flip"]))
        if edit == "token":
            body[at:at] = draw(st.sampled_from(TOKENS))
        elif edit == "bytes":
            body[at:at] = draw(st.binary(max_size=8))
        elif edit == "cut":
            del body[at : at + draw(st.integers(1, 64))]
        elif edit == "repeat" and len(body) < limit - 16:
            piece = bytes(body[at : at + draw(st.integers(1, 16))]) or b"["
            body[at:at] = piece * draw(st.integers(1, (limit - len(body)) // len(piece)))
        elif edit == "flip" and at < len(body):
            body[at] ^= 1 << draw(st.integers(0, 7))
    return bytes(body)


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    CONTROL_TEXT,
    st.sampled_from(["2025-03-01", "2099-01-01T00:00:00Z", "01/02/2025", "45000", "=1+1"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(CONTROL_TEXT, inner, max_size=4),
    max_leaves=20,
)
FIELDS = [
    "kind", "clause", "occurred_at", "party", "latitude", "longitude", "quantity", "severity",
    "description", "place_name", "attributes", "evidence_urls", "grade", "category", "id",
]  # fmt: skip
ROWS = st.dictionaries(st.sampled_from(FIELDS) | CONTROL_TEXT, JSON_VALUES, max_size=8)


@st.composite
def json_reports(draw) -> bytes:
    """A report whose header and observations hold arbitrary JSON values."""
    observations = draw(st.lists(ROWS, max_size=5))
    summary = draw(JSON_VALUES)
    return corpus.json_report(observations=observations, summary=summary)


@st.composite
def csv_bodies(draw, *, hxl: bool = False) -> bytes:
    """A CSV (with an HXL row when asked) whose cells are arbitrary text."""
    width = draw(st.integers(1, 6))
    headers = draw(st.lists(st.sampled_from(FIELDS) | CONTROL_TEXT, min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(CONTROL_TEXT, max_size=width + 1), max_size=5))
    lines = [headers, *([["#date", "#event +type", "#loc +name"][:width]] if hxl else []), *rows]
    return "\n".join(",".join(_quoted(cell) for cell in line) for line in lines).encode()


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if re.search(r'[",\r\n]', cell) else cell


@st.composite
def sheets(draw) -> bytes:
    """A workbook whose sheet XML was edited: cell texts, references, dimension, types."""
    cells = draw(st.lists(CONTROL_TEXT, min_size=1, max_size=4))
    body = corpus.xlsx([corpus.GOOD_ROWS[0], ["violation", *[f"CELL{i}" for i in range(4)]]])

    def edit(xml: str) -> str:
        for number, text in enumerate(cells):
            xml = xml.replace(f"CELL{number}", _xml_text(text))
        reference = draw(st.sampled_from(["A1", "A1:XFD1048576", "B2:A1", "ZZZZ9", ""]))
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{reference}"/>', xml)
        if draw(st.booleans()):
            xml = xml.replace('r="B2"', f'r="{draw(st.sampled_from(["XFD2", "B0", "b2", "B"]))}"')
        if draw(st.booleans()):
            kind = draw(st.sampled_from(["s", "b", "d", "e", "n", "str"]))
            xml = xml.replace('t="inlineStr"', f't="{kind}"', 1)
        return xml

    return corpus.rewrite_member(body, "xl/worksheets/sheet1.xml", edit)


def _xml_text(text: str) -> str:
    """Text as OOXML stores it: XML-escaped, with what XML cannot hold as ``_xHHHH_``."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]", _ooxml_escape, escaped)


def _ooxml_escape(match: re.Match) -> str:
    return f"_x{ord(match.group()):04X}_"


@functools.cache
def seed_bodies(fmt: str) -> list[bytes]:
    return [body for kind, body in corpus.seeds().values() if kind == fmt]
