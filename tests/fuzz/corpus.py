"""Seed payloads for the fuzz targets and the limit tests: each one broke a worker once.

Builders return bytes; they are small on the wire and hostile once parsed (issue 12).
"""

import functools
import io
import json
import re
import zipfile

from openpyxl import Workbook

GOOD_JSON = {
    "format": "accord-monitor/report/v1",
    "mission": "mission-a",
    "external_id": "FUZZ-1",
    "agreement": "test-ceasefire",
    "observations": [
        {"kind": "violation", "clause": "1", "occurred_at": "2025-03-01T09:00:00Z"},
    ],
}
GOOD_CSV = b"kind,clause,occurred_at,description\nviolation,1,2025-03-01T09:00:00,Shelling\n"
GOOD_HXL = (
    b"Date,Type,Clause,Where\n#date +occurred,#event +type,#x_clause,#loc +name\n"
    b"2025-03-01T09:00:00,violation,1,Shyrokyne\n"
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
GOOD_ROWS = [["kind", "clause", "occurred_at"], ["violation", "1", "2025-03-01T09:00:00"]]


def json_report(**changes) -> bytes:
    return json.dumps({**GOOD_JSON, **changes}).encode()


def deeply_nested(depth: int = 100_000) -> bytes:
    """A report whose summary is ``depth`` arrays deep: 2 bytes a level."""
    return b'{"mission": "mission-a", "summary": ' + b"[" * depth + b"]" * depth + b"}"


def nested_attributes(depth: int) -> bytes:
    value: object = "x"
    for _ in range(depth):
        value = {"a": value}
    observation = {**GOOD_JSON["observations"][0], "attributes": value}
    return json_report(observations=[observation])


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rewrite_member(body: bytes, name: str, change) -> bytes:
    """The same zip with one member's text passed through ``change``."""
    source, out = zipfile.ZipFile(io.BytesIO(body)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == name:
                data = change(data.decode()).encode()
            target.writestr(item.filename, data)
    return out.getvalue()


def with_dimension(body: bytes, ref: str) -> bytes:
    """The workbook with its first sheet's declared ``<dimension>`` replaced (a lie)."""
    return rewrite_member(
        body,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml),
    )


def huge_cell(chars: int) -> bytes:
    """A workbook whose second row holds one inline string of ``chars`` characters."""
    body = xlsx([["kind", "description"], ["incident", "PLACEHOLDER"]])
    return rewrite_member(
        body, "xl/worksheets/sheet1.xml", lambda xml: xml.replace("PLACEHOLDER", "A" * chars)
    )


def far_cell(ref: str = "XFD1048576") -> bytes:
    """A tiny workbook with an empty cell at ``ref``: nothing really there, a huge extent."""
    body = xlsx(GOOD_ROWS)
    return rewrite_member(
        body,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace("</sheetData>", f'<row r="9"><c r="{ref}"/></row></sheetData>'),
    )


def shared_strings(strings: list[str]) -> bytes:
    """A workbook whose second row's kind is shared string 0 of ``strings``."""
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    table = f'<sst xmlns="{_MAIN}" count="{len(strings)}">{items}</sst>'
    rel = f'<Relationship Id="rIdS" Type="{_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    body = rewrite_member(
        xlsx(GOOD_ROWS),
        "xl/_rels/workbook.xml.rels",
        lambda xml: xml.replace("</Relationships>", f"{rel}</Relationships>"),
    )
    body = rewrite_member(
        body,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            '<c r="A2" t="inlineStr"><is><t>violation</t></is></c>', '<c r="A2" t="s"><v>0</v></c>'
        ),
    )
    return _append(body, "xl/sharedStrings.xml", table)


def _append(body: bytes, name: str, text: str) -> bytes:
    out = io.BytesIO(body)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as target:
        target.writestr(name, text)
    return out.getvalue()


@functools.cache
def seeds() -> dict[str, tuple[str, bytes]]:
    """Every seed as name -> (format, body)."""
    future = {**GOOD_JSON["observations"][0], "occurred_at": "2099-01-01T00:00:00Z"}
    nul = {**GOOD_JSON["observations"][0], "description": "shel\x00ling"}
    return {
        "good_json": ("json", json_report()),
        "deep_json": ("json", deeply_nested(100_000)),
        "deep_attributes": ("json", nested_attributes(200)),
        "long_json_string": ("json", json_report(title="x" * 300_000)),
        "many_keys": ("json", json_report(summary={f"k{i}": i for i in range(5000)})),
        "nul_json": ("json", json_report(observations=[nul])),
        "nul_key_json": ("json", json_report(observations=[{"kin\x00d": "x"}])),
        "future_json": ("json", json_report(observations=[future])),
        "good_csv": ("csv", GOOD_CSV),
        "wide_csv": ("csv", b"a," * 200_000 + b"b\n"),
        "nul_csv": ("csv", GOOD_CSV.replace(b"Shelling", b"Shel\x00ling")),
        "future_csv": ("csv", GOOD_CSV.replace(b"2025", b"2099")),
        "good_hxl": ("hxl", GOOD_HXL),
        "good_xlsx": ("xlsx", xlsx(GOOD_ROWS)),
        "lying_dimension": ("xlsx", with_dimension(xlsx([*GOOD_ROWS, *GOOD_ROWS[1:] * 2]), "A1")),
        "huge_dimension": ("xlsx", with_dimension(xlsx(GOOD_ROWS), "A1:XFD1048576")),
        "far_cell": ("xlsx", far_cell()),
        "huge_cell": ("xlsx", huge_cell(2_000_000)),
        "nul_xlsx": ("xlsx", xlsx([GOOD_ROWS[0], ["violation", "1_x0000_", "2099-01-01"]])),
    }
