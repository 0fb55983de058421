"""Each report format read into a header and raw rows; whole-payload problems refused early."""

import datetime as dt
import io
import json

import pytest
from openpyxl import Workbook

from reports.models import ImportProfile
from reports.parsers import PARSERS, PayloadProblem, get_parser, register
from reports.parsers.csv_profile import parse_csv
from reports.parsers.hxl import parse_hxl
from reports.parsers.json_report import parse_json_report
from reports.parsers.tabular import hxl_field, is_hxl_row
from reports.parsers.xlsx import parse_xlsx

REPORT = {
    "format": "accord-monitor/report/v1",
    "mission": "mission-a",
    "external_id": "A-0001",
    "agreement": "test-ceasefire",
    "period": {"start": "2025-03-01T00:00:00Z", "end": "2025-03-01T23:59:59Z"},
    "title": "Daily report",
    "timezone": "Europe/Kyiv",
    "observations": [
        {"kind": "violation", "clause": "1", "occurred_at": "2025-03-01T09:00:00"},
        {"kind": "information", "occurred_at": "2025-03-01T10:00:00", "quantity": 3},
    ],
}


def _json(document) -> bytes:
    return json.dumps(document).encode()


def _rows(parsed) -> list:
    return list(parsed.rows)


# --- JSON ---------------------------------------------------------------------------------


def test_json_header_fields_are_read_and_period_split():
    parsed = parse_json_report(_json(REPORT), {})
    assert parsed.header == {
        "format": "accord-monitor/report/v1",
        "mission": "mission-a",
        "external_id": "A-0001",
        "agreement": "test-ceasefire",
        "period_start": "2025-03-01T00:00:00Z",
        "period_end": "2025-03-01T23:59:59Z",
        "title": "Daily report",
        "timezone": "Europe/Kyiv",
    }


def test_json_observations_stream_numbered_from_one():
    rows = _rows(parse_json_report(_json(REPORT), {}))
    assert [number for number, _ in rows] == [1, 2]
    assert rows[0][1] == REPORT["observations"][0]
    assert rows[1][1]["quantity"] == 3


def test_json_observations_before_header_fields_are_still_read():
    document = {"observations": REPORT["observations"], "mission": "mission-a", "title": "T"}
    parsed = parse_json_report(_json(document), {})
    assert parsed.header["title"] == "T"
    assert len(_rows(parsed)) == 2


def test_json_body_wins_over_params():
    parsed = parse_json_report(_json(REPORT), {"mission": "other", "external_id": "file-stem"})
    assert parsed.header["mission"] == "mission-a"
    assert parsed.header["external_id"] == "A-0001"


def test_json_unknown_top_level_field_is_refused():
    with pytest.raises(PayloadProblem, match="unknown top-level field.*colour"):
        parse_json_report(_json({**REPORT, "colour": "red"}), {})


def test_json_without_observations_is_refused():
    document = {k: v for k, v in REPORT.items() if k != "observations"}
    with pytest.raises(PayloadProblem, match='no "observations" list'):
        parse_json_report(_json(document), {})


def test_json_period_must_be_start_and_end():
    with pytest.raises(PayloadProblem, match='"period" must be an object'):
        parse_json_report(_json({**REPORT, "period": "March"}), {})


def test_json_non_object_observation_is_a_row_error():
    document = {**REPORT, "observations": [REPORT["observations"][0], "shelling", 42]}
    rows = _rows(parse_json_report(_json(document), {}))
    assert rows[1] == (2, {"__error__": "each observation must be a JSON object"})
    assert rows[2] == (3, {"__error__": "each observation must be a JSON object"})


def test_json_unknown_observation_field_is_a_row_error():
    document = {**REPORT, "observations": [{"kind": "incident", "wind": "strong"}]}
    assert _rows(parse_json_report(_json(document), {})) == [
        (1, {"__error__": "unknown field(s) wind"})
    ]


def test_truncated_json_is_a_payload_problem():
    body = _json(REPORT)[:-40]
    with pytest.raises(PayloadProblem, match="truncated or malformed"):
        parse_json_report(body, {})


def test_json_array_is_refused():
    with pytest.raises(PayloadProblem, match="must be an object"):
        parse_json_report(_json([REPORT]), {})


def test_non_utf8_json_is_refused_with_the_byte_position():
    body = '{"mission": "mission-a", "title": "Donezk Stra\u00dfe", "observations": []}'
    position = body.index("\u00df")
    with pytest.raises(PayloadProblem, match=rf"not UTF-8 \(byte {position} is invalid\)"):
        parse_json_report(body.encode("latin-1"), {})


def test_json_with_utf8_byte_order_mark_is_read():
    parsed = parse_json_report(b"\xef\xbb\xbf" + _json(REPORT), {})
    assert parsed.header["mission"] == "mission-a"
    assert len(_rows(parsed)) == 2


def test_empty_json_body_is_refused():
    with pytest.raises(PayloadProblem, match="empty"):
        parse_json_report(b"  \n", {})


# --- CSV ----------------------------------------------------------------------------------

IDENTITY_CSV = (
    b"kind,occurred_at,clause,latitude,longitude,weather\r\n"
    b"violation,2025-03-01T09:00:00,1,47.1,37.5,rain\r\n"
    b"\r\n"
    b"information,2025-03-01T10:00:00,,,,\r\n"
)


def test_csv_with_field_name_headers_maps_them_and_keeps_the_rest_as_attributes():
    parsed = parse_csv(IDENTITY_CSV, {"mission": "mission-a", "external_id": "c-1"})
    assert parsed.header == {"mission": "mission-a", "external_id": "c-1"}
    assert _rows(parsed) == [
        (
            2,
            {
                "kind": "violation",
                "occurred_at": "2025-03-01T09:00:00",
                "clause": "1",
                "latitude": "47.1",
                "longitude": "37.5",
                "attributes": {"weather": "rain"},
            },
        ),
        (4, {"kind": "information", "occurred_at": "2025-03-01T10:00:00"}),
    ]


def test_csv_with_utf8_bom_is_read():
    rows = _rows(parse_csv(b"\xef\xbb\xbf" + IDENTITY_CSV, {}))
    assert rows[0][1]["kind"] == "violation"


def test_csv_row_with_more_cells_than_columns_is_a_row_error():
    rows = _rows(parse_csv(b"kind,occurred_at\nincident,2025-03-01,surplus\n", {}))
    assert rows == [(2, {"__error__": "3 cells but only 2 columns"})]


def test_empty_csv_is_refused():
    with pytest.raises(PayloadProblem, match="empty"):
        parse_csv(b"", {})


def test_latin1_csv_is_refused():
    with pytest.raises(PayloadProblem, match="not UTF-8"):
        _rows(parse_csv("kind,place_name\nincident,Dnipro Stra\u00dfe\n".encode("latin-1"), {}))


@pytest.mark.django_db
def test_csv_through_column_profile_maps_columns_and_takes_its_date_settings():
    ImportProfile.objects.create(
        code="field-form",
        name="Field form",
        definition="columns: {Date: occurred_at, Type: kind, Clause: clause}\n"
        "time: {date_format: '%d/%m/%Y %H:%M', zone: Europe/Kyiv}\n",
    )
    body = b"Date,Type,Clause,Patrol\n03/04/2025 09:15,violation,1,P-7\n"
    parsed = parse_csv(body, {"mission": "mission-a", "profile": "field-form"})
    assert parsed.header["date_format"] == "%d/%m/%Y %H:%M"
    assert parsed.header["timezone"] == "Europe/Kyiv"
    assert _rows(parsed) == [
        (
            2,
            {
                "occurred_at": "03/04/2025 09:15",
                "kind": "violation",
                "clause": "1",
                "attributes": {"Patrol": "P-7"},
            },
        )
    ]


@pytest.mark.django_db
def test_timezone_sent_with_the_payload_wins_over_the_profile():
    ImportProfile.objects.create(
        code="kyiv",
        name="Kyiv",
        definition="columns: {Date: occurred_at}\ntime: {zone: Europe/Kyiv}\n",
    )
    parsed = parse_csv(b"Date\n2025-03-01\n", {"profile": "kyiv", "timezone": "UTC"})
    assert parsed.header["timezone"] == "UTC"


@pytest.mark.django_db
def test_unknown_column_profile_is_refused():
    with pytest.raises(PayloadProblem, match='unknown profile "nope"'):
        parse_csv(b"Date\n2025-03-01\n", {"profile": "nope"})


@pytest.mark.django_db
def test_column_profile_of_another_mission_is_refused(world):
    ImportProfile.objects.create(
        code="b-only",
        name="B only",
        definition="columns: {Date: occurred_at}\n",
        mission=world.mission_b,
    )
    with pytest.raises(PayloadProblem, match="belongs to another mission"):
        parse_csv(b"Date\n2025-03-01\n", {"profile": "b-only", "mission": "mission-a"})


# --- HXL ----------------------------------------------------------------------------------

HXL_TAGS = {
    "#date +occurred": "occurred_at",
    "#date +reported": "attributes.reported_at",
    "#date": "occurred_at",
    "#event +type": "kind",
    "#description": "description",
    "#loc +name": "place_name",
    "#adm1 +name": "admin_area",
    "#adm2 +name": "attributes.adm2",
    "#geo +lat": "latitude",
    "#geo +lon": "longitude",
    "#org +name": "party",
    "#meta +id": "id",
    "#meta +source": "source",
    "#affected +killed": "attributes.killed",
    "#affected +injured": "attributes.injured",
    "#indicator +num": "quantity",
    "#severity": "severity",
    "#x_weather +wind": "attributes.x_weather+wind",
    # What the exports write for a movement and a measured amount reads back (issue 15).
    "#loc +name +dest": "to_place_name",
    "#geo +lat +dest": "to_latitude",
    "#geo +lon +dest": "to_longitude",
    "#indicator +amount": "amount",
    "#indicator +unit": "unit",
    "#x_control_area": "control_area",
}


@pytest.mark.parametrize(("tag", "field"), HXL_TAGS.items())
def test_hxl_tag_maps_to_observation_field(tag, field):
    assert hxl_field(tag) == field


@pytest.mark.parametrize(
    ("tag", "field"),
    [
        ("#GEO +Lat", "latitude"),
        ("#date +utc +occurred", "occurred_at"),
        ("#date+occurred+utc", "occurred_at"),
        ("  #Event   +Type ", "kind"),
        ("#x_weather +wind +gust", "attributes.x_weather+gust+wind"),
        ("#x_weather +gust +wind", "attributes.x_weather+gust+wind"),
    ],
)
def test_hxl_attributes_are_case_and_order_insensitive(tag, field):
    assert hxl_field(tag) == field


@pytest.mark.parametrize("tag", ["#", "#9lives", "date +occurred", "#date +"])
def test_invalid_hxl_hashtag_is_refused(tag):
    with pytest.raises(PayloadProblem, match="not a valid HXL hashtag"):
        hxl_field(tag)


def test_hxl_row_detection():
    assert is_hxl_row(["#date", "#event +type", ""])
    assert not is_hxl_row(["2025-03-01", "violation"])
    assert not is_hxl_row([None, ""])


def _hxl_csv() -> bytes:
    headers = [tag for tag in HXL_TAGS if tag != "#date"]  # one column per field
    values = [
        "2025-03-01T09:00:00",
        "2025-03-02",
        "violation",
        "Shelling",
        "Shyrokyne",
        "Donetsk",
        "Volnovakha",
        "47.1",
        "37.5",
        "North",
        "EV-1",
        "patrol",
        "0",
        "2",
        "12",
        "3",
        "NW 20 km/h",
    ]
    lines = [",".join(f"Col {i}" for i in range(len(headers))), ",".join(headers), ",".join(values)]
    return ("\n".join(lines) + "\n").encode()


def test_hxl_csv_maps_every_tag():
    parsed = parse_hxl(_hxl_csv(), {"mission": "mission-a"})
    [(number, row)] = _rows(parsed)
    assert number == 3
    assert row == {
        "occurred_at": "2025-03-01T09:00:00",
        "kind": "violation",
        "description": "Shelling",
        "place_name": "Shyrokyne",
        "admin_area": "Donetsk",
        "latitude": "47.1",
        "longitude": "37.5",
        "party": "North",
        "id": "EV-1",
        "source": "patrol",
        "quantity": "12",
        "severity": "3",
        "attributes": {
            "reported_at": "2025-03-02",
            "adm2": "Volnovakha",
            "killed": "0",
            "injured": "2",
            "Col 16": "NW 20 km/h",  # an unmapped column is kept under its header text
        },
    }


def test_plain_csv_parser_detects_hxl_row_too():
    [(_, row)] = _rows(parse_csv(_hxl_csv(), {}))
    assert row["kind"] == "violation"


def test_hxl_without_hashtag_row_is_refused():
    with pytest.raises(PayloadProblem, match="row 2 must hold the HXL hashtags"):
        parse_hxl(b"Date,Type\n2025-03-01,violation\n", {})


def test_hxl_with_two_equally_specific_columns_for_one_field_is_refused():
    with pytest.raises(PayloadProblem) as refused:
        parse_hxl(b"A,B\n#date +departure,#date +inspection\n2025-03-01,2025-03-02\n", {})
    assert str(refused.value) == (
        "columns 1 (#date +departure) and 2 (#date +inspection) both map to occurred_at: add "
        '"#date+inspection: occurred_at" and "#date+departure: attributes.departure" to the '
        "profile's columns"
    )


def test_hxl_more_specific_column_takes_the_field_and_the_other_is_kept():
    [(_, row)] = _rows(parse_hxl(b"A,B\n#date +occurred,#date\n2025-03-01,2025-03-02\n", {}))
    assert row == {"occurred_at": "2025-03-01", "attributes": {"B": "2025-03-02"}}


# --- XLSX ---------------------------------------------------------------------------------


def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_with_field_headers_reads_datetime_and_serial_cells():
    body = _xlsx(
        [
            ["kind", "occurred_at", "quantity", "notes"],
            ["violation", dt.datetime(2025, 3, 1, 9, 30), 12, "heard"],
            ["information", 45000.5, None, None],
            [None, None, None, None],
        ]
    )
    rows = _rows(parse_xlsx(body, {"mission": "mission-a"}))
    assert rows == [
        (
            2,
            {
                "kind": "violation",
                "occurred_at": dt.datetime(2025, 3, 1, 9, 30),
                "quantity": 12,
                "attributes": {"notes": "heard"},
            },
        ),
        (3, {"kind": "information", "occurred_at": 45000.5}),
    ]


def test_xlsx_with_hxl_row():
    body = _xlsx(
        [
            ["When", "What", "Where"],
            ["#date +occurred", "#event +type", "#loc +name"],
            [dt.datetime(2025, 3, 1, 9, 30), "incident", "Shyrokyne"],
            [45000, "information", "Mariupol"],
        ]
    )
    rows = _rows(parse_xlsx(body, {}))
    assert [number for number, _ in rows] == [3, 4]
    assert rows[0][1]["occurred_at"] == dt.datetime(2025, 3, 1, 9, 30)
    assert rows[1][1] == {"occurred_at": 45000, "kind": "information", "place_name": "Mariupol"}


@pytest.mark.parametrize("body", [b"kind,occurred_at\n", b"PK\x03\x04 not really a zip"])
def test_file_that_is_not_a_workbook_is_refused(body):
    with pytest.raises(PayloadProblem, match="not a readable XLSX workbook"):
        parse_xlsx(body, {})


def test_empty_xlsx_is_refused():
    with pytest.raises(PayloadProblem, match="empty"):
        parse_xlsx(b"", {})


def test_workbook_without_rows_is_refused():
    with pytest.raises(PayloadProblem, match="empty"):
        parse_xlsx(_xlsx([]), {})


# --- registry -----------------------------------------------------------------------------


def test_registry_knows_every_format():
    assert {"json", "csv", "hxl", "xlsx"} <= set(PARSERS)
    assert get_parser("json") is parse_json_report


def test_registry_refuses_a_second_parser_for_one_format():
    with pytest.raises(ValueError, match="already registered"):
        register("json")(lambda body, params: None)
    assert PARSERS["json"] is parse_json_report


def test_unknown_format_is_a_payload_problem():
    with pytest.raises(PayloadProblem, match='unknown format "pdf"'):
        get_parser("pdf")
