"""A corpus of malformed payloads, each with the message a sender must get back.

Every case is ``(name, format, body, params, expected)``: ``body`` is bytes or a function
that builds them, ``params`` is what came with the body (an upload's form fields), and
``expected`` is a substring of the payload's errors. Every case must end ``rejected`` and
store nothing. The corpus test creates agreement ``other-accord`` (clause "1"), which
mission A does not watch, on top of the shared ``world``.
"""

import io
import json
from collections.abc import Callable
from typing import Any, NamedTuple


class Case(NamedTuple):
    name: str
    format: str
    body: bytes | Callable[[], bytes]
    params: dict[str, Any]
    expected: str


DROP = object()  # marks a field to leave out
NO_PARAMS: dict[str, Any] = {}
UPLOAD = {"mission": "mission-a", "external_id": "M-UPLOAD"}
GOOD_OBSERVATION = {
    "kind": "violation",
    "clause": "1",
    "occurred_at": "2025-03-01T09:00:00Z",
    "latitude": 47.1,
    "longitude": 37.5,
    "quantity": 3,
}


def observation(**fields) -> dict:
    merged = {**GOOD_OBSERVATION, **fields}
    return {k: v for k, v in merged.items() if v is not DROP}


def report(*observations: dict, **header) -> bytes:
    """A JSON report: one good observation before the given ones, so row 2 is the bad one."""
    document = {
        "format": "accord-monitor/report/v1",
        "mission": "mission-a",
        "external_id": "M-1",
        "agreement": "test-ceasefire",
        "observations": [observation(), *observations],
        **header,
    }
    return json.dumps({k: v for k, v in document.items() if v is not DROP}).encode()


def one_bad(**fields) -> bytes:
    return report(observation(**fields))


def csv_with(row: str, header: str = "kind,clause,occurred_at,place_name,description") -> bytes:
    good = "violation,1,2025-03-01T09:00:00,Shyrokyne,Shelling"
    return f"{header}\n{good}\n{row}\n".encode()


def xlsx(rows: list[list]) -> Callable[[], bytes]:
    def build() -> bytes:
        from openpyxl import Workbook

        workbook = Workbook()
        for row in rows:
            workbook.active.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()

    return build


def damaged_xlsx() -> bytes:
    """A real workbook whose sheet XML was cut short, as a broken download leaves it."""
    import zipfile

    good = xlsx([["kind", "occurred_at"], ["incident", 45000]])()
    source, out = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data[:60] if item.filename.endswith("sheet1.xml") else data)
    return out.getvalue()


def truncated_xlsx() -> bytes:
    good = xlsx([["kind", "occurred_at"], ["incident", 45000]])()
    return good[: len(good) // 2]


CORPUS: list[Case] = [
    # --- wrong types and values
    Case(
        "latitude_in_words",
        "json",
        one_bad(latitude="north"),
        NO_PARAMS,
        'row 2, latitude: "north" is not a number',
    ),
    Case(
        "negative_quantity",
        "json",
        one_bad(quantity=-5),
        NO_PARAMS,
        "row 2, quantity: -5 is out of range",
    ),
    Case(
        "latitude_as_list",
        "json",
        one_bad(latitude=[47.1]),
        NO_PARAMS,
        'row 2, latitude: "[47.1]" is not a number',
    ),
    Case(
        "quantity_as_object",
        "json",
        one_bad(quantity={"shells": 3}),
        NO_PARAMS,
        "row 2, quantity: \"{'shells': 3}\" is not a number",
    ),
    Case(
        "longitude_with_400_digits",
        "json",
        one_bad(longitude=10**400),
        NO_PARAMS,
        "file: the JSON is truncated or malformed: parse error: integer overflow",
    ),
    Case(
        "fractional_quantity",
        "json",
        one_bad(quantity=2.5),
        NO_PARAMS,
        "row 2, quantity: 2.5 is not a whole number",
    ),
    Case(
        "severity_off_the_scale",
        "json",
        one_bad(severity=9),
        NO_PARAMS,
        "row 2, severity: 9 is not 1-4",
    ),
    Case(
        "kind_is_a_number", "json", one_bad(kind=42), NO_PARAMS, 'row 2, kind: "42" is not one of'
    ),
    Case(
        "unknown_verification_status",
        "json",
        one_bad(verification_status="rumoured"),
        NO_PARAMS,
        'row 2, verification_status: "rumoured" is not one of',
    ),
    Case(
        "bad_grade",
        "json",
        one_bad(grade="Z9"),
        NO_PARAMS,
        'row 2, grade: "Z9" is not an Admiralty grade such as B2',
    ),
    Case(
        "unknown_party",
        "json",
        one_bad(party="Atlantis Liberation Front"),
        NO_PARAMS,
        'row 2, party: unknown party "Atlantis Liberation Front"',
    ),
    Case(
        "attributes_not_an_object",
        "json",
        one_bad(attributes=["a", "b"]),
        NO_PARAMS,
        "row 2, attributes: must be an object",
    ),
    # --- missing fields
    Case("no_mission", "json", report(mission=DROP), NO_PARAMS, "header, mission: is required"),
    Case(
        "mission_not_text",
        "json",
        report(mission=["mission-a"]),
        NO_PARAMS,
        "header, mission: must be text",
    ),
    Case(
        "no_external_id",
        "json",
        report(external_id=DROP),
        NO_PARAMS,
        "header, external_id: is required",
    ),
    Case(
        "no_observations_key",
        "json",
        report(observations=DROP),
        NO_PARAMS,
        'the report has no "observations" list',
    ),
    Case(
        "empty_observations",
        "json",
        report(observations=[]),
        NO_PARAMS,
        "file: the report has no observations",
    ),
    Case(
        "observation_without_kind",
        "json",
        one_bad(kind=DROP),
        NO_PARAMS,
        "row 2, kind: is required",
    ),
    Case(
        "observation_without_occurred_at",
        "json",
        one_bad(occurred_at=DROP),
        NO_PARAMS,
        "row 2, occurred_at: is required",
    ),
    Case(
        "compliance_without_clause",
        "json",
        one_bad(kind="compliance", clause=DROP),
        NO_PARAMS,
        "row 2, clause: a compliance must name the clause",
    ),
    Case(
        "observation_not_an_object",
        "json",
        report("shelling at dawn"),
        NO_PARAMS,
        "row 2, row: each observation must be a JSON object",
    ),
    Case(
        "unknown_observation_field",
        "json",
        one_bad(wind="NW"),
        NO_PARAMS,
        "row 2, row: unknown field(s) wind",
    ),
    # --- references the mission may not use
    Case(
        "unknown_mission",
        "json",
        report(mission="mission-z"),
        NO_PARAMS,
        'header, mission: unknown mission "mission-z"',
    ),
    Case(
        "mission_of_someone_else",
        "json",
        report(mission="mission-b"),
        NO_PARAMS,
        'you are not a member of mission "mission-b"',
    ),
    Case(
        "clause_of_another_agreement",
        "json",
        one_bad(clause="other-accord:1"),
        NO_PARAMS,
        'row 2, agreement: "other-accord" is not an agreement mission mission-a monitors',
    ),
    Case(
        "clause_not_watched_by_mission",
        "json",
        one_bad(clause="3"),
        NO_PARAMS,
        'row 2, clause: clause "3" of test-ceasefire is not watched by mission mission-a',
    ),
    Case(
        "clause_that_does_not_exist",
        "json",
        one_bad(clause="77"),
        NO_PARAMS,
        'row 2, clause: there is no clause "77" in test-ceasefire',
    ),
    # --- coordinates
    Case(
        "latitude_91",
        "json",
        one_bad(latitude=91),
        NO_PARAMS,
        "row 2, latitude: 91 is out of range (-90 to 90)",
    ),
    Case(
        "longitude_minus_181",
        "json",
        one_bad(longitude=-181),
        NO_PARAMS,
        "row 2, longitude: -181 is out of range (-180 to 180)",
    ),
    Case(
        "latitude_without_longitude",
        "json",
        one_bad(longitude=DROP),
        NO_PARAMS,
        "row 2, longitude: latitude and longitude come together",
    ),
    # --- dates
    Case(
        "impossible_date",
        "json",
        one_bad(occurred_at="31.02.2015"),
        NO_PARAMS,
        'row 2, occurred_at: "31.02.2015" is not a real calendar date',
    ),
    Case(
        "ambiguous_date",
        "json",
        one_bad(occurred_at="03/04/2025"),
        NO_PARAMS,
        'row 2, occurred_at: "03/04/2025" is ambiguous',
    ),
    Case(
        "date_in_words",
        "json",
        one_bad(occurred_at="yesterday"),
        NO_PARAMS,
        'row 2, occurred_at: "yesterday" is not a date in a known format',
    ),
    Case(
        "ambiguous_date_in_csv",
        "csv",
        csv_with("incident,,03/04/2025,HQ,"),
        UPLOAD,
        'row 3, occurred_at: "03/04/2025" is ambiguous',
    ),
    Case(
        "implausible_serial_in_xlsx",
        "xlsx",
        xlsx([["kind", "occurred_at"], ["incident", 45000], ["incident", 123]]),
        UPLOAD,
        "row 3, occurred_at: 123 is not a plausible spreadsheet date serial number",
    ),
    Case(
        "period_end_before_start",
        "json",
        report(period={"start": "2025-03-02", "end": "2025-03-01"}),
        NO_PARAMS,
        "header, period: the end is before the start",
    ),
    Case(
        "unknown_timezone",
        "json",
        report(timezone="Middle/Earth"),
        NO_PARAMS,
        'header, timezone: unknown time zone "Middle/Earth"',
    ),
    # --- broken files
    Case(
        "truncated_json",
        "json",
        report()[:-25],
        NO_PARAMS,
        "file: the JSON is truncated or malformed",
    ),
    Case(
        "html_instead_of_json",
        "json",
        b"<html><body>502 Bad Gateway</body></html>",
        NO_PARAMS,
        "file: the JSON is truncated or malformed",
    ),
    Case(
        "latin1_json",
        "json",
        '{"mission": "mission-a", "title": "Stra\u00dfe", "observations": []}'.encode("latin-1"),
        NO_PARAMS,
        "file: the body is not UTF-8 (byte 39 is invalid)",
    ),
    Case(
        "latin1_csv",
        "csv",
        csv_with("incident,,2025-03-01,Stra\u00dfe,").decode().encode("cp1252"),
        UPLOAD,
        "file: the file is not UTF-8 text",
    ),
    Case("empty_json_body", "json", b"", NO_PARAMS, "file: the body is empty"),
    Case("whitespace_json_body", "json", b" \r\n\t", NO_PARAMS, "file: the body is empty"),
    Case("empty_csv_file", "csv", b"", UPLOAD, "file: the file is empty"),
    Case("empty_xlsx_file", "xlsx", b"", UPLOAD, "file: the file is empty"),
    Case(
        "json_array_instead_of_object",
        "json",
        json.dumps([observation()]).encode(),
        NO_PARAMS,
        "file: the JSON must be an object",
    ),
    Case("json_scalar", "json", b"42", NO_PARAMS, "file: the JSON must be an object"),
    Case(
        "unknown_top_level_key",
        "json",
        report(colour="red"),
        NO_PARAMS,
        "file: unknown top-level field(s): colour",
    ),
    Case(
        "hxl_without_tag_row",
        "hxl",
        csv_with("incident,,2025-03-01,HQ,"),
        UPLOAD,
        "row 2 must hold the HXL hashtags",
    ),
    Case(
        "hxl_two_columns_one_field",
        "hxl",
        b"A,B\n#date +occurred,#date\n2025-03-01,2025-03-01\n",
        UPLOAD,
        'two columns map to "occurred_at"',
    ),
    Case(
        "xlsx_not_a_zip",
        "xlsx",
        b"kind,occurred_at\nincident,2025-03-01\n",
        UPLOAD,
        "file: the file is not a readable XLSX workbook",
    ),
    Case(
        "xlsx_with_damaged_sheet",
        "xlsx",
        damaged_xlsx,
        UPLOAD,
        "file: the workbook is damaged (ParseError",
    ),
    Case(
        "xlsx_cut_in_half",
        "xlsx",
        truncated_xlsx,
        UPLOAD,
        "file: the file is not a readable XLSX workbook",
    ),
    Case(
        "csv_row_with_extra_cells",
        "csv",
        csv_with("incident,,2025-03-01,HQ,x,surplus"),
        UPLOAD,
        "row 3, row: 6 cells but only 5 columns",
    ),
    Case(
        "unknown_column_profile",
        "csv",
        csv_with("incident,,2025-03-01,HQ,"),
        {**UPLOAD, "profile": "no-such-profile"},
        'unknown column profile "no-such-profile"',
    ),
    # --- oversized and hostile content
    Case(
        "huge_description",
        "json",
        one_bad(description="x" * 20_000),
        NO_PARAMS,
        "row 2, description: is 20000 characters long; the limit is 10000",
    ),
    Case(
        "formula_equals_in_csv",
        "csv",
        csv_with("incident,,2025-03-01,=cmd(),"),
        UPLOAD,
        'row 3, place_name: "=cmd()" looks like a spreadsheet formula',
    ),
    Case(
        "formula_hyperlink_in_csv",
        "csv",
        csv_with('incident,,2025-03-01,HQ,"-HYPERLINK(""http://evil.example"",""x"")"'),
        UPLOAD,
        'row 3, description: "-HYPERLINK("http://evil.exampl" looks like a spreadsheet formula',
    ),
    Case(
        "formula_in_unmapped_csv_column",
        "csv",
        csv_with(
            "incident,,2025-03-01,HQ,,@SUM(A1)",
            "kind,clause,occurred_at,place_name,description,notes",
        ),
        UPLOAD,
        'row 3, attributes: "@SUM(A1)" looks like a spreadsheet formula',
    ),
    Case(
        "formula_plus_in_json",
        "json",
        one_bad(place_name="+SUM(A1)"),
        NO_PARAMS,
        'row 2, place_name: "+SUM(A1)" looks like a spreadsheet formula',
    ),
    Case(
        "formula_at_in_json",
        "json",
        one_bad(source="@foo"),
        NO_PARAMS,
        'row 2, source: "@foo" looks like a spreadsheet formula',
    ),
    Case(
        "formula_hyperlink_in_json",
        "json",
        one_bad(description='-HYPERLINK("http://evil.example")'),
        NO_PARAMS,
        'row 2, description: "-HYPERLINK("http://evil.exampl" looks like a spreadsheet formula',
    ),
    Case(
        "javascript_evidence_url",
        "json",
        one_bad(evidence_urls=["javascript:alert(1)"]),
        NO_PARAMS,
        'row 2, evidence_urls: "javascript:alert(1)" is not an http(s) link',
    ),
    Case(
        "evidence_urls_not_a_list",
        "json",
        one_bad(evidence_urls={"a": "https://e.org"}),
        NO_PARAMS,
        "row 2, evidence_urls: must be a list",
    ),
]
