"""Exports: CSV (with an optional HXL row, formulas neutralised) and GeoJSON (longitude
first), for observations and alerts; the bounding-box filter."""

import csv
import io
import json

import pytest

from tests.api.conftest import assert_error_shape, make_alert
from tests.factories import AreaFactory, ObservationFactory

OBSERVATIONS = "/api/v1/observations/"
ALERTS = "/api/v1/alerts/"


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_body(response))))


@pytest.fixture
def analyst_client(client_for, analyst):
    return client_for(analyst)


@pytest.fixture
def located(filed_a):
    """A point whose order is unmistakable: latitude 47.1 (north), longitude 37.9 (east)."""
    return filed_a.observation


def test_observations_csv_has_a_header_row_then_one_row_per_observation(
    analyst_client, located, filed_b
):
    response = analyst_client.get(OBSERVATIONS, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "observations.csv" in response["Content-Disposition"]
    header, *rows = _rows(response)
    assert header[:3] == ["id", "report", "mission"]
    assert not header[0].startswith("#")
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_id) == {str(located.pk), str(filed_b.observation.pk)}
    first = by_id[str(located.pk)]
    assert (first["latitude"], first["longitude"]) == ("47.1", "37.9")
    assert first["report"] == "A-SECRET-0001" and first["mission"] == "mission-a"


def test_observations_csv_with_hxl_has_the_hashtag_row_second(analyst_client, located):
    header, tags, *rows = _rows(analyst_client.get(OBSERVATIONS, {"format": "csv", "hxl": "1"}))

    assert header[0] == "id"
    assert all(tag.startswith("#") for tag in tags)
    assert dict(zip(header, tags, strict=True))["latitude"] == "#geo +lat"
    assert [row[0] for row in rows] == [str(located.pk)]


@pytest.mark.parametrize("formula", ["=cmd()", "+1+1", "@SUM(A1)", "-2+3"])
def test_a_formula_in_a_csv_cell_comes_out_as_text(analyst_client, located, formula):
    located.description = formula
    located.save()

    header, *rows = _rows(analyst_client.get(OBSERVATIONS, {"format": "csv"}))

    assert dict(zip(header, rows[0], strict=True))["description"] == "'" + formula


def test_observations_geojson_is_a_feature_collection_with_longitude_first(analyst_client, located):
    response = analyst_client.get(OBSERVATIONS, {"format": "geojson"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(_body(response))
    assert collection["type"] == "FeatureCollection"
    (feature,) = collection["features"]
    assert feature["type"] == "Feature" and feature["id"] == located.pk
    assert feature["geometry"] == {"type": "Point", "coordinates": [37.9, 47.1]}
    assert feature["properties"]["place_name"] == "Place of A-SECRET-0001"


def test_an_observation_without_coordinates_is_a_feature_without_geometry(analyst_client, located):
    unplaced = ObservationFactory(report=located.report, latitude=None, longitude=None)

    collection = json.loads(_body(analyst_client.get(OBSERVATIONS, {"format": "geojson"})))

    geometry = {f["id"]: f["geometry"] for f in collection["features"]}
    assert geometry[unplaced.pk] is None


def test_exports_keep_the_observer_scope(client_for, observer_b, located, filed_b):
    client = client_for(observer_b)
    csv_text = _body(client.get(OBSERVATIONS, {"format": "csv"}))
    geojson = json.loads(_body(client.get(OBSERVATIONS, {"format": "geojson"})))

    assert "A-SECRET-0001" not in csv_text and "B-SECRET-0001" in csv_text
    assert [f["id"] for f in geojson["features"]] == [filed_b.observation.pk]


@pytest.mark.parametrize(
    ("bbox", "inside"),
    [
        ("37.5,46.9,38.2,47.3", True),  # around the point
        ("37.9,47.1,37.9,47.1", True),  # the point itself: bounds are inclusive
        ("47.0,37.8,47.2,38.0", False),  # latitude and longitude swapped: elsewhere
        ("38.0,46.9,39.0,47.3", False),  # east of it
        ("37.5,47.2,38.2,48.0", False),  # north of it
    ],
)
def test_bbox_filter_includes_and_excludes_by_position(analyst_client, located, bbox, inside):
    ids = {o["id"] for o in analyst_client.get(OBSERVATIONS, {"bbox": bbox}).json()["results"]}
    collection = json.loads(
        _body(analyst_client.get(OBSERVATIONS, {"bbox": bbox, "format": "geojson"}))
    )

    assert (located.pk in ids) is inside
    assert (located.pk in {f["id"] for f in collection["features"]}) is inside


@pytest.mark.parametrize(
    "bbox",
    ["1,2,3", "a,b,c,d", "38,47,37,48", "37,48,38,47", "-200,0,10,10", "0,-91,10,10", "nan,0,1,1"],
)
@pytest.mark.parametrize("fmt", ["json", "csv", "geojson"])
def test_a_bad_bbox_is_a_400_in_the_json_error_shape(analyst_client, located, bbox, fmt):
    response = analyst_client.get(OBSERVATIONS, {"bbox": bbox, "format": fmt})

    assert response.status_code == 400
    assert "bbox" in assert_error_shape(response, "invalid")["details"]


# --- alerts ---------------------------------------------------------------------------------


@pytest.fixture
def exported_alerts(world):
    area = AreaFactory(code="front", min_lon=37.0, min_lat=47.0, max_lon=38.0, max_lat=48.0)
    world.clause_b.areas.add(area)
    return {
        "formula": make_alert(world.clause_a, explanation='=HYPERLINK("http://x")'),
        "in_area": make_alert(world.clause_b, severity=4),
    }


def test_alerts_csv_with_and_without_hxl(analyst_client, exported_alerts):
    plain = analyst_client.get(ALERTS, {"format": "csv"})
    tagged = analyst_client.get(ALERTS, {"format": "csv", "hxl": "1"})

    assert plain["Content-Type"].startswith("text/csv")
    header, *rows = _rows(plain)
    assert header[0] == "id" and len(rows) == 2
    t_header, tags, *t_rows = _rows(tagged)
    assert t_header == header and tags[0] == "#meta +id" and t_rows == rows
    explanation = {row[0]: dict(zip(header, row, strict=True))["explanation"] for row in rows}
    assert explanation[str(exported_alerts["formula"].pk)] == '\'=HYPERLINK("http://x")'


def test_alerts_csv_follows_the_filters(analyst_client, exported_alerts):
    header, *rows = _rows(analyst_client.get(ALERTS, {"format": "csv", "min_severity": "4"}))
    assert [row[0] for row in rows] == [str(exported_alerts["in_area"].pk)]


def test_alerts_geojson_draws_the_area_box_longitude_first(analyst_client, exported_alerts):
    response = analyst_client.get(ALERTS, {"format": "geojson"})

    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(_body(response))
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert features[exported_alerts["formula"].pk]["geometry"] is None
    box = features[exported_alerts["in_area"].pk]["geometry"]
    assert box["type"] == "Polygon"
    assert box["coordinates"][0][:3] == [[37.0, 47.0], [38.0, 47.0], [38.0, 48.0]]
    assert features[exported_alerts["in_area"].pk]["properties"]["severity"] == 4


def test_a_single_alert_as_csv_is_a_400(analyst_client, exported_alerts):
    response = analyst_client.get(f"{ALERTS}{exported_alerts['in_area'].pk}/", {"format": "csv"})
    assert response.status_code == 400
    assert "format" in assert_error_shape(response, "invalid")["details"]


def test_alerts_as_cap_are_cap_xml(analyst_client, exported_alerts):
    many = analyst_client.get(ALERTS, {"format": "cap"})
    one = analyst_client.get(f"{ALERTS}{exported_alerts['in_area'].pk}/", {"format": "cap"})

    for response in (many, one):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/cap+xml")


def test_an_unknown_format_is_a_404(analyst_client, exported_alerts):
    response = analyst_client.get(ALERTS, {"format": "pdf"})
    assert response.status_code == 404
    assert_error_shape(response, "not_found")


@pytest.mark.parametrize(
    ("query", "inside"),
    [
        ({"occurred_after": "2025-03-01T09:00:00Z"}, True),
        ({"occurred_after": "2025-03-01T11:00:00Z"}, False),
        # The same instants with offsets PostgreSQL would refuse as they are.
        ({"occurred_after": "2025-03-01T30:33:00+21:33"}, None),
        ({"occurred_after": "2025-03-02T06:33:00+21:33"}, True),
        ({"occurred_before": "2025-03-02T07:33:00+21:33"}, False),  # 10:00 UTC, exclusive
    ],
)
def test_time_filters_compare_in_utc_whatever_the_offset(analyst_client, located, query, inside):
    # located occurred at 10:00 UTC on 1 March 2025.
    response = analyst_client.get(OBSERVATIONS, {**query, "format": "geojson"})
    if inside is None:
        assert response.status_code == 400
        assert_error_shape(response, "invalid")
        return
    collection = json.loads(_body(response))
    assert (located.pk in {f["id"] for f in collection["features"]}) is inside


@pytest.mark.parametrize(("page_size", "expected"), [("1", 200), ("-5", 200), ("many", 400)])
def test_the_cap_list_takes_a_page_size(analyst_client, exported_alerts, page_size, expected):
    response = analyst_client.get(ALERTS, {"format": "cap", "page_size": page_size})
    assert response.status_code == expected
    if expected == 400:
        assert "page_size" in assert_error_shape(response, "invalid")["details"]
