"""Geography at ingest (docs/geography.md): a row's admin area filled from its coordinates or
a place only one admin-1 has, its spelling made the one form, and a row whose coordinates
lie in another admin-1 than the one it names kept, flagged in words and filterable."""

import json
from pathlib import Path

import pytest

import agreements
from agreements.loader import agreement_load_file
from agreements.models import Area, VerificationMechanism
from reports.ledger import ledger_verify
from reports.models import Observation
from tests.reports.pipeline_support import State, _ingest

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
MINSK = Path(agreements.__file__).parent / "data" / "minsk-ii.yaml"
MISGEOCODED = "coordinates 49.9935, 36.2304 lie in Kharkiv oblast, not Donetsk oblast as named"
FAR_FROM_HORLIVKA = (
    "Horlivka is in Donetsk oblast, 229 km from the coordinates 49.9935, 36.2304 in Kharkiv oblast"
)


@pytest.fixture
def minsk(world, observer_a):
    """Mission A also watches Minsk II through the OSCE monitoring mission."""
    agreement_load_file(path=MINSK)
    smm = VerificationMechanism.objects.get(agreement__code="minsk-ii", code="osce-smm")
    world.mission_a.mechanisms.add(smm)
    return world


def _import(name: str, sender, **params) -> object:
    params = {"mission": "mission-a", "external_id": name, "agreement": "minsk-ii", **params}
    return _ingest((DATA / name).read_bytes(), sender=sender, fmt="csv", params=params)


def _rows() -> dict[str, Observation]:
    return {o.attributes["event_id"]: o for o in Observation.objects.select_related("area")}


@pytest.fixture
def imported(minsk, observer_a):
    payload = _import("geo_misgeocoded.csv", observer_a)
    assert payload.state == State.DONE, payload.errors
    return _rows()


def test_a_mis_geocoded_row_is_kept_and_flagged_in_words(imported):
    row = imported["SMM-2"]

    assert (row.place_mismatch, row.place_note) == (True, MISGEOCODED)
    assert row.admin_area == "Donetsk oblast"  # as named: the flag says where it lies
    assert row.area.code == "donetsk-oblast"


def test_a_place_far_from_its_coordinates_in_another_oblast_is_flagged(imported):
    row = imported["SMM-4"]

    assert (row.place_mismatch, row.place_note) == (True, FAR_FROM_HORLIVKA)
    assert row.admin_area == "Kharkiv oblast"  # blank as sent: filled from the coordinates


def test_rows_whose_place_and_coordinates_agree_are_not_flagged(imported):
    flagged = {key for key, row in imported.items() if row.place_mismatch}

    assert flagged == {"SMM-2", "SMM-4"}
    assert all(row.place_note == "" for key, row in imported.items() if key not in flagged)


def test_a_blank_admin_area_is_filled_from_the_coordinates(imported):
    row = imported["SMM-3"]

    assert (row.admin_area, row.area.code) == ("Donetsk oblast", "donetsk-oblast")
    assert "admin_area_as_sent" not in row.attributes


def test_an_admin_area_in_another_spelling_is_stored_in_its_one_form(imported):
    row = imported["SMM-5"]

    assert (row.admin_area, row.area.code) == ("Luhansk oblast", "luhansk-oblast")
    assert row.attributes["admin_area_as_sent"] == "Луганська обл."
    assert not row.place_mismatch


def test_a_place_name_alone_fills_the_admin_area_but_not_the_coordinates(imported):
    row = imported["SMM-6"]

    assert row.admin_area == "Donetsk oblast"
    assert (row.latitude, row.longitude) == (None, None)


def test_a_point_at_sea_gets_no_admin_area_and_no_flag(imported):
    row = imported["SMM-7"]

    assert (row.admin_area, row.area, row.place_mismatch) == ("", None, False)


def test_the_ledger_still_verifies(imported):
    assert ledger_verify() == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", {"SMM-2", "SMM-4"}),
        ("false", {"SMM-1", "SMM-3", "SMM-5", "SMM-6", "SMM-7"}),
    ],
)
def test_analysts_filter_the_flagged_rows_in_the_api(
    imported, client_for, analyst, value, expected
):
    response = client_for(analyst).get("/api/v1/observations/", {"place_mismatch": value})

    assert response.status_code == 200
    results = response.json()["results"]
    assert {o["attributes"]["event_id"] for o in results} == expected
    if value == "true":
        notes = {o["attributes"]["event_id"]: o["place_note"] for o in results}
        assert notes == {"SMM-2": MISGEOCODED, "SMM-4": FAR_FROM_HORLIVKA}


def test_the_csv_export_carries_the_flag_and_its_reason(imported, client_for, analyst):
    response = client_for(analyst).get(
        "/api/v1/observations/", {"format": "csv", "hxl": "true", "place_mismatch": "true"}
    )

    header, tags, *lines = b"".join(response.streaming_content).decode().splitlines()
    assert header.endswith("place mismatch,why the place is flagged")
    assert tags.endswith("#x_place_mismatch,#x_place_mismatch +reason")
    assert len(lines) == 2
    assert all(MISGEOCODED in line or "Horlivka is in" in line for line in lines)


def test_the_admin_list_narrows_to_flagged_rows(imported, client_for, analyst):
    client = client_for(analyst)

    flagged = client.get("/admin/reports/observation/", {"place_mismatch": "true"})
    agreeing = client.get("/admin/reports/observation/", {"place_mismatch": "false"})

    assert MISGEOCODED in flagged.content.decode()
    assert "Sea of Azov" in agreeing.content.decode()
    assert MISGEOCODED not in agreeing.content.decode()


def test_the_clause_page_marks_a_flagged_row_with_its_note(imported, client_for, analyst):
    clause = imported["SMM-2"].clause

    page = client_for(analyst).get(f"/scorecards/clauses/{clause.pk}/").content.decode()

    assert page.count("coordinates elsewhere</div>") == 2
    assert f"Check the place: {MISGEOCODED}." in page


def test_an_area_the_agreements_do_not_name_is_still_written_in_its_one_form(minsk, observer_a):
    body = (
        "kind,occurred_at,admin_area,latitude,longitude\n"
        "incident,2016-03-01T08:00:00Z,Харківська область,49.99,36.23\n"
    ).encode()
    params = {"mission": "mission-a", "external_id": "K-1", "agreement": "minsk-ii"}

    payload = _ingest(body, sender=observer_a, fmt="csv", params=params)

    assert payload.state == State.DONE, payload.errors
    row = Observation.objects.get()
    assert (row.admin_area, row.area, row.place_mismatch) == ("Kharkiv oblast", None, False)
    assert row.attributes["admin_area_as_sent"] == "Харківська область"
    assert not Area.objects.filter(name="Kharkiv oblast").exists()


def test_a_movement_exports_as_a_line_and_a_lone_end_as_a_point(minsk, observer_a, client_for):
    body = (
        b"kind,occurred_at,place_name,latitude,longitude,to_place_name,to_latitude,to_longitude,"
        b"amount,unit\n"
        b"information,2016-03-01T08:00:00Z,Odesa,46.4857,30.7438,Istanbul,41.0138,28.9497,"
        b"31250.5,t\n"
        b"information,2016-03-01T09:00:00Z,,,,Istanbul,41.0138,28.9497,12,t\n"
    )
    params = {"mission": "mission-a", "external_id": "V-1", "agreement": "minsk-ii"}
    assert _ingest(body, sender=observer_a, fmt="csv", params=params).state == State.DONE

    response = client_for(observer_a).get("/api/v1/observations/", {"format": "geojson"})

    features = json.loads(b"".join(response.streaming_content))["features"]
    assert [f["geometry"] for f in features] == [
        {"type": "LineString", "coordinates": [[30.7438, 46.4857], [28.9497, 41.0138]]},
        {"type": "Point", "coordinates": [28.9497, 41.0138]},
    ]
    first = features[0]["properties"]
    assert (first["amount"], first["unit"], first["to_place_name"]) == ("31250.5", "t", "Istanbul")
    assert first["admin_area"] == "Odesa oblast"


def test_a_row_wrong_both_ways_says_each_thing_once():
    from reports.ingest.rows import _place

    check = _place(49.9935, 36.2304, "Donetsk oblast", "Horlivka")
    assert check.mismatch
    assert check.note == f"{MISGEOCODED}; Horlivka (Donetsk oblast) is 229 km from them"
