"""The explorer's downloads: CSV (with its HXL row), GeoJSON and XLSX of the rows the filters
match, the same columns in each; bounded by the reader's missions and by a row cap."""

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitor.explore import exports
from monitor.explore.filters import ExploreFilters
from reports.models import Observation, ReportStatus
from tests.factories import ObservationFactory, PartyFactory, ReportFactory

URL = "/explore/export.{}"
FILTER = {"agreement": "test-ceasefire", "from": "2015-02-15", "to": "2015-03-31"}
KYIV = "Europe/Kyiv"
PARTY_NAME = "Збройні формування «Схід»"


@dataclass
class Rows:
    shelling: Observation  # mission A, in Kyiv the next day
    convoy: Observation  # mission A, a movement with a destination
    formula: Observation  # mission A, no coordinates, a description that looks like a formula
    other: Observation  # mission B


def _at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def rows(world) -> Rows:
    world.agreement.time_zone = KYIV
    world.agreement.save()
    east = PartyFactory(code="party-east", name=PARTY_NAME)

    def filed(mission, external_id):
        return ReportFactory(
            mission=mission,
            external_id=external_id,
            status=ReportStatus.ACCEPTED,
            period_start=_at(2015, 2, 15),
            period_end=_at(2015, 3, 31),
            filed_at=_at(2015, 4, 1, 9),
        )

    report_a, report_b = filed(world.mission_a, "A-0001"), filed(world.mission_b, "B-0001")
    shelling = ObservationFactory(
        report=report_a,
        clause=world.clause_a,
        party=east,
        occurred_at=_at(2015, 2, 19, 22, 30),  # 00:30 on the 20th in Kyiv
        occurred_on=dt.date(2015, 2, 20),
        place_name="Широкине",
        latitude=47.1,
        longitude=37.9,
        quantity=12,
        source="patrol",
        description="Shelling from the east",
    )
    convoy = ObservationFactory(
        report=report_a,
        clause=world.clause_a,
        kind=Observation.Kind.INCIDENT,
        occurred_at=_at(2015, 3, 1, 8),
        occurred_on=dt.date(2015, 3, 1),
        place_name="Mariupol",
        latitude=47.1,
        longitude=37.5,
        to_place_name="Berdiansk",
        to_latitude=46.75,
        to_longitude=36.8,
        amount=Decimal("12.5"),
        unit="t",
        description="Grain convoy",
    )
    formula = ObservationFactory(
        report=report_a,
        clause=world.clause_a,
        kind=Observation.Kind.INFORMATION,
        occurred_at=_at(2015, 3, 10, 12),
        occurred_on=dt.date(2015, 3, 10),
        place_name="",
        description='=HYPERLINK("http://example.org","x")',
    )
    other = ObservationFactory(
        report=report_b,
        clause=world.clause_b,
        occurred_at=_at(2015, 2, 25, 6),
        occurred_on=dt.date(2015, 2, 25),
        place_name="Zolote",
        latitude=48.7,
        longitude=38.5,
        source="mission B's own source",
        description="Seen by mission B only",
    )
    ObservationFactory(  # before the period: left out by from=
        report=report_a, clause=world.clause_a, occurred_at=_at(2015, 1, 2)
    )
    return Rows(shelling, convoy, formula, other)


def _get(client, fmt: str, params=FILTER):
    return client.get(URL.format(fmt), params)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _csv(response) -> list[dict[str, str]]:
    header, tags, *lines = list(csv.reader(io.StringIO(_body(response).decode("utf-8"))))
    assert tags == [tag for _, _, tag in exports.CSV_COLUMNS]
    assert header == [name for _, name, _ in exports.CSV_COLUMNS]
    return [dict(zip(header, line, strict=True)) for line in lines]


def _workbook(response) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(_body(response)))


def _sheet_rows(workbook: openpyxl.Workbook) -> list[dict]:
    sheet = workbook["Observations"]
    header, tags, *lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert tags[0] == "#meta +id"
    return [dict(zip(header, line, strict=True)) for line in lines]


def test_csv_has_the_header_then_the_hxl_row_then_each_row_oldest_first(client_for, analyst, rows):
    response = _get(client_for(analyst), "csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="accord-observations-test-ceasefire-2015-02-15-2015-03-31.csv"'
    )
    lines = _csv(response)
    assert [int(line["id"]) for line in lines] == [
        rows.shelling.pk,
        rows.other.pk,
        rows.convoy.pk,
        rows.formula.pk,
    ]
    shelling = lines[0]
    assert shelling["occurred at (UTC)"] == "2015-02-19T22:30:00Z"
    assert shelling["day (agreement's time zone)"] == "2015-02-20"
    assert shelling["agreement's time zone"] == KYIV
    assert shelling["attributed party"] == PARTY_NAME
    assert shelling["party code"] == "party-east"
    assert (shelling["clause"], shelling["clause title"]) == ("1", "Ceasefire")
    assert (shelling["kind"], shelling["place"]) == ("Violation", "Широкине")
    assert (shelling["mission"], shelling["mission code"]) == ("Mission A", "mission-a")
    assert (shelling["report"], shelling["report filed at (UTC)"]) == (
        "A-0001",
        "2015-04-01T09:00:00Z",
    )
    assert (shelling["latitude"], shelling["longitude"], shelling["quantity"]) == (
        "47.1",
        "37.9",
        "12",
    )
    assert (shelling["verification"], shelling["severity"]) == ("Unverified", "Moderate")
    convoy = lines[2]
    assert (convoy["to place"], convoy["amount"], convoy["unit"]) == ("Berdiansk", "12.5", "t")


def test_a_formula_in_a_description_comes_out_as_text_in_csv_and_xlsx(client_for, analyst, rows):
    client = client_for(analyst)
    expected = "'" + rows.formula.description

    assert _csv(_get(client, "csv"))[-1]["description"] == expected
    response = _get(client, "xlsx")
    sheet = _workbook(response)["Observations"]
    cell = sheet.cell(row=6, column=[k for k, *_ in exports.COLUMNS].index("description") + 1)
    assert (cell.value, cell.data_type) == (expected, "s")


def test_geojson_gives_points_a_line_for_a_movement_and_null_without_coordinates(
    client_for, analyst, rows
):
    response = _get(client_for(analyst), "geojson")

    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Disposition"].endswith('test-ceasefire-2015-02-15-2015-03-31.geojson"')
    collection = json.loads(_body(response))
    assert collection["type"] == "FeatureCollection"
    by_id = {feature["id"]: feature for feature in collection["features"]}
    assert list(by_id) == [rows.shelling.pk, rows.other.pk, rows.convoy.pk, rows.formula.pk]
    assert by_id[rows.shelling.pk]["geometry"] == {"type": "Point", "coordinates": [37.9, 47.1]}
    assert by_id[rows.convoy.pk]["geometry"] == {
        "type": "LineString",
        "coordinates": [[37.5, 47.1], [36.8, 46.75]],
    }
    assert by_id[rows.formula.pk]["geometry"] is None
    properties = by_id[rows.shelling.pk]["properties"]
    assert list(properties) == [key for key, *_ in exports.COLUMNS]
    assert properties["party"] == PARTY_NAME
    assert properties["occurred_at"] == "2015-02-19T22:30:00Z"
    assert properties["occurred_on"] == "2015-02-20"
    assert properties["quantity"] == 12


def test_xlsx_has_typed_cells_a_frozen_header_and_an_about_sheet(client_for, analyst, rows):
    response = _get(client_for(analyst), "xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    assert response["Content-Disposition"] == (
        'attachment; filename="accord-observations-test-ceasefire-2015-02-15-2015-03-31.xlsx"'
    )
    workbook = _workbook(response)
    assert workbook.sheetnames == ["Observations", "About"]
    sheet = workbook["Observations"]
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["A"].width == 9
    assert sheet.cell(row=1, column=1).font.bold
    lines = _sheet_rows(workbook)
    assert [line["id"] for line in lines] == [
        rows.shelling.pk,
        rows.other.pk,
        rows.convoy.pk,
        rows.formula.pk,
    ]
    shelling, convoy = lines[0], lines[2]
    assert shelling["occurred at (UTC)"] == dt.datetime(2015, 2, 19, 22, 30)
    assert shelling["day (agreement's time zone)"] == dt.datetime(2015, 2, 20)  # a date cell
    assert shelling["report filed at (UTC)"] == dt.datetime(2015, 4, 1, 9)
    assert (shelling["latitude"], shelling["quantity"]) == (47.1, 12)
    assert shelling["attributed party"] == PARTY_NAME
    assert shelling["place mismatch"] is False
    assert convoy["amount"] == 12.5
    day_cell = sheet.cell(row=3, column=[k for k, *_ in exports.COLUMNS].index("occurred_on") + 1)
    assert day_cell.number_format == "yyyy-mm-dd"

    about = dict(workbook["About"].iter_rows(values_only=True))
    assert about["Rows"] == "4"
    assert about["Exported by"] == "analyst (analyst)"
    assert about["Exported at"].endswith(" UTC")
    assert about["Agreement"] == "Test ceasefire (test-ceasefire)"
    assert about["Days"].startswith("2015-02-15 to 2015-03-31")
    assert about["Reading"] == "every mission's filed reports"
    assert "Licence" in about and "Source" in about


def test_xlsx_leaves_out_characters_a_spreadsheet_cannot_hold(client_for, analyst, rows):
    rows.shelling.description = "bell\x07 here"
    rows.shelling.save()

    lines = _sheet_rows(_workbook(_get(client_for(analyst), "xlsx")))

    assert lines[0]["description"] == "bell here"


def _ids(response, fmt: str) -> set[int]:
    if fmt == "csv":
        return {int(line["id"]) for line in _csv(response)}
    if fmt == "geojson":
        return {feature["id"] for feature in json.loads(_body(response))["features"]}
    return {line["id"] for line in _sheet_rows(_workbook(response))}


@pytest.mark.parametrize("fmt", ["csv", "geojson", "xlsx"])
def test_an_observer_downloads_only_its_missions_rows(
    client_for, observer_a, observer_b, rows, fmt
):
    mission_b_file = _get(client_for(observer_b), fmt)
    assert _ids(mission_b_file, fmt) == {rows.other.pk}
    mission_a_file = _get(client_for(observer_a), fmt)
    assert _ids(mission_a_file, fmt) == {rows.shelling.pk, rows.convoy.pk, rows.formula.pk}
    if fmt != "xlsx":  # a zip: its ids are read above
        text = _body(_get(client_for(observer_b), fmt)).decode()
        assert "A-0001" not in text and "Широкине" not in text


def test_observer_b_reads_that_its_file_is_bounded_by_its_missions(client_for, observer_b, rows):
    workbook = _workbook(_get(client_for(observer_b), "xlsx"))
    about = dict(workbook["About"].iter_rows(values_only=True))

    assert about["Rows"] == "1"
    assert about["Reading"] == "the filed reports of your missions only"


def test_over_the_cap_the_answer_says_how_many_matched_and_sends_no_file(
    client_for, analyst, rows, monkeypatch
):
    monkeypatch.setattr(exports, "MOST_ROWS", 3)

    response = _get(client_for(analyst), "xlsx")

    assert response.status_code == 400
    assert "Content-Disposition" not in response
    page = response.content.decode()
    assert "4 observations match these filters" in page and "at most 3" in page
    assert "/explore/?agreement=test-ceasefire" in page
    monkeypatch.setattr(exports, "MOST_ROWS", 4)
    assert _get(client_for(analyst), "csv").status_code == 200


def test_an_unknown_format_is_not_found(client_for, analyst, rows):
    assert _get(client_for(analyst), "pdf").status_code == 404


def test_a_bad_filter_is_answered_with_the_400_page(client_for, analyst, rows):
    response = _get(client_for(analyst), "csv", {"from": "15 February"})

    assert response.status_code == 400
    assert b"from" in response.content


def test_the_anonymous_are_sent_to_log_in(client, rows):
    response = _get(client, "csv")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["api_consumer", "outsider"])
def test_roles_without_pages_are_refused(client_for, request, rows, persona):
    response = _get(client_for(request.getfixturevalue(persona)), "csv")

    assert response.status_code == 403


def test_a_filename_without_agreement_or_days_says_all():
    day = dt.date(2015, 2, 15)

    assert exports.export_filename(ExploreFilters(), "csv") == "accord-observations-all.csv"
    assert (
        exports.export_filename(ExploreFilters(start=day), "xlsx")
        == "accord-observations-all-from-2015-02-15.xlsx"
    )
    assert (
        exports.export_filename(ExploreFilters(agreement="Minsk II/../x", end=day), "geojson")
        == "accord-observations-minsk-iix-to-2015-02-15.geojson"
    )


@pytest.mark.parametrize("fmt", ["csv", "geojson", "xlsx"])
def test_a_download_takes_as_many_queries_for_many_rows_as_for_few(
    client_for, analyst, rows, world, fmt
):
    client = client_for(analyst)
    _body(_get(client, fmt))  # the session and roles, loaded once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _body(_get(client, fmt))
        return len(captured)

    few = queries()
    for day in range(1, 26):
        ObservationFactory(
            report=rows.shelling.report,
            clause=world.clause_b,
            occurred_at=_at(2015, 3, day, 9),
            occurred_on=dt.date(2015, 3, day),
        )
    assert queries() == few
