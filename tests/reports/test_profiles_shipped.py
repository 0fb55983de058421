"""The shipped profiles (reports/profiles/shipped/): each reads a file in its format
(tests/data/imports/) through the real pipeline, with the exact observations stored."""

import datetime as dt
from collections import Counter

import pytest

from agreements.models import Party
from reports.profiles.registry import profile_named, shipped_names
from tests.reports.import_support import DATA, import_file, observations

UTC = dt.UTC
CLAUSE_1 = {"clause": "1"}  # what these files do not say: --set clause=1


def test_the_four_profiles_are_shipped_and_valid(db):
    assert shipped_names() == ["acled", "hxl", "kobo", "odk"]
    for name in shipped_names():
        assert profile_named(name).code == name


@pytest.fixture
def parties(world):
    return {
        "ukraine": Party.objects.create(code="ua", name="Military Forces of Ukraine (2019-)"),
        "north": Party.objects.create(code="north", name="North Forces"),
    }


# --- acled ------------------------------------------------------------------------------


def _acled(world):
    body = (DATA / "acled-ukraine-2025.csv").read_bytes()
    spec = profile_named("acled")
    payload = import_file(
        body, "csv", mission=world.mission_a, spec=spec, constants={"clause": "1"}
    )
    return observations(payload)


def test_acled_events_become_observations_by_event_type(world, parties):
    stored = _acled(world)
    assert [(o.attributes["id"], o.kind, o.occurred_on, o.date_only) for o in stored] == [
        ("UKR201101", "violation", dt.date(2025, 2, 14), True),
        ("UKR201102", "violation", dt.date(2025, 2, 14), True),
        ("UKR201140", "violation", dt.date(2025, 2, 15), True),
        ("UKR201177", "information", dt.date(2025, 2, 16), True),
        ("UKR201201", "information", dt.date(2025, 2, 17), True),
    ]
    assert {o.clause_id for o in stored} == {world.clause_a.pk}
    assert Counter(o.attributes["event_type"] for o in stored) == {
        "Explosions/Remote violence": 1,
        "Battles": 1,
        "Violence against civilians": 1,
        "Protests": 1,
        "Strategic developments": 1,
    }


def test_acled_actor1_is_the_party_and_unknown_actors_are_kept_as_text(world, parties):
    stored = _acled(world)
    ukraine = parties["ukraine"].pk
    assert [(o.party_id, o.actor) for o in stored] == [
        (None, "Military Forces of Russia (2000-)"),
        (ukraine, "Military Forces of Ukraine (2019-)"),
        (None, "Military Forces of Russia (2000-)"),
        (None, "Protesters (Ukraine)"),
        (ukraine, "Military Forces of Ukraine (2019-)"),
    ]


def test_acled_place_and_every_other_column_are_kept(world, parties):
    first = _acled(world)[0]
    # The admin area is written in its one form, the spelling sent kept (docs/geography.md).
    assert (first.place_name, first.admin_area, first.latitude, first.longitude) == (
        "Pokrovsk",
        "Donetsk oblast",
        48.282,
        37.1757,
    )
    assert first.source == "Ukrinform; Suspilne"
    assert first.description.startswith("On 14 February 2025, Russian forces shelled")
    # The columns HDX leaves untagged (time_precision, inter1, ..., timestamp) used to be
    # dropped silently; they are kept with the tagged ones no field takes.
    assert first.attributes == {
        "id": "UKR201101",
        "year": "2025",
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Shelling/artillery/missile attack",
        "inter1": "8",
        "actor2": "Military Forces of Ukraine (2019-)",
        "inter2": "1",
        "interaction": "18",
        "iso": "804",
        "region": "Europe",
        "country": "Ukraine",
        "admin2": "Pokrovskyi",
        "admin3": "Pokrovska",
        "geo_precision": "1",
        "source_scale": "National",
        "fatalities": "0",
        "timestamp": "1739896412",
        "admin_area_as_sent": "Donetsk",
    }


def test_acled_export_without_hashtags_reads_the_same(world, parties):
    lines = (DATA / "acled-ukraine-2025.csv").read_bytes().splitlines(keepends=True)
    body = b"".join([lines[0], *lines[2:]])  # ACLED's own export: no HXL row
    spec = profile_named("acled")
    payload = import_file(
        body, "csv", mission=world.mission_a, spec=spec, constants={"clause": "1"}
    )
    assert [o.kind for o in observations(payload)] == [o.kind for o in _acled(world)]


# --- hxl --------------------------------------------------------------------------------


def test_generic_hxl_reads_tagged_columns_and_keeps_the_untagged_one(world, parties):
    body = (DATA / "hxl-access-incidents.csv").read_bytes()
    spec = profile_named("hxl")
    payload = import_file(
        body, "csv", mission=world.mission_a, spec=spec, constants={"clause": "1"}
    )
    stored = observations(payload)
    assert [
        (o.kind, o.occurred_on, o.place_name, o.admin_area, o.verification_status) for o in stored
    ] == [
        ("access_restricted", dt.date(2025, 3, 4), "Sloviansk", "Donetsk oblast", "confirmed"),
        ("incident", dt.date(2025, 3, 4), "Kostiantynivka", "Donetsk oblast", "corroborated"),
        ("violation", dt.date(2025, 3, 5), "Kupiansk", "Kharkiv oblast", "unverified"),
    ]
    assert [(o.party_id, o.actor) for o in stored] == [
        (parties["north"].pk, "North Forces"),
        (None, ""),
        (None, "South Forces"),
    ]
    assert stored[2].source == "Field office Kharkiv"
    assert stored[2].attributes == {
        "reported_at": "2025-03-05",
        "event_subtype": "Shelling",
        "second_actor": "North Forces",
        "adm2": "Kupianskyi",
        "killed": "0",
        "injured": "1",
        "Follow-up": "Follow-up patrol planned",  # no hashtag: kept under its header
        "admin_area_as_sent": "Kharkiv",
    }


# --- kobo -------------------------------------------------------------------------------


def test_kobo_export_maps_grouped_questions_uuid_and_gps(world, parties):
    body = (DATA / "kobo-ceasefire-observations.xlsx").read_bytes()
    payload = import_file(body, "xlsx", mission=world.mission_a, spec=profile_named("kobo"))
    stored = observations(payload)
    assert [
        (o.kind, o.occurred_at, o.clause_id, o.party_id, o.place_name, o.quantity) for o in stored
    ] == [
        (
            "violation",
            dt.datetime(2025, 3, 2, 5, 55, tzinfo=UTC),
            world.clause_a.pk,
            parties["north"].pk,
            "Shyrokyne",
            6,
        ),
        (
            "access_restricted",
            dt.datetime(2025, 3, 2, 10, 50, tzinfo=UTC),
            None,
            None,
            "Checkpoint Hnutove",
            None,
        ),
    ]
    assert [(o.latitude, o.longitude) for o in stored] == [(47.0912, 37.7927), (47.152, 37.731)]
    first = stored[0]
    assert first.attributes["id"] == "b7e8f9a0-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
    assert first.attributes["submitted_at"] == "2025-03-02T06:41:03"
    assert {k: first.attributes[k] for k in ("_id", "_index", "observation/location")} == {
        "_id": 401234567,
        "_index": 1,
        "observation/location": "47.0912 37.7927 11.0 5.0",
    }
    # Every Kobo column no field takes (empty cells aside), and the id.
    assert sorted(first.attributes) == [
        "__version__",
        "_id",
        "_index",
        "_observation/location_altitude",
        "_observation/location_precision",
        "_status",
        "_submitted_by",
        "deviceid",
        "end",
        "id",
        "observation/location",
        "start",
        "submitted_at",
        "today",
    ]


# --- odk --------------------------------------------------------------------------------


def test_odk_central_export_maps_dash_grouped_questions_and_instance_id(world):
    body = (DATA / "odk-ceasefire-observations.csv").read_bytes()
    payload = import_file(body, "csv", mission=world.mission_a, spec=profile_named("odk"))
    stored = observations(payload)
    assert [
        (o.kind, o.occurred_at, o.clause_id, o.latitude, o.longitude, o.quantity) for o in stored
    ] == [
        (
            "violation",
            dt.datetime(2025, 3, 3, 8, 45, tzinfo=UTC),
            world.clause_a.pk,
            47.0912,
            37.7927,
            14,
        ),
        ("information", dt.datetime(2025, 3, 3, 14, 30, tzinfo=UTC), None, 47.1183, 37.5561, None),
    ]
    assert stored[0].attributes["id"] == "uuid:3f1c2a4e-9b7d-4c1e-8a55-0d6f2b91c7a1"
    assert stored[0].attributes["submitted_at"] == "2025-03-03T09:31:12.345Z"
    assert stored[1].attributes["ReviewState"] == "approved"
    assert stored[0].attributes["observation-location-Accuracy"] == "4.8"
    assert sorted(stored[0].attributes) == [
        "AttachmentsExpected",
        "AttachmentsPresent",
        "DeviceID",
        "Edits",
        "FormVersion",
        "KEY",
        "ReviewState",
        "SubmitterID",
        "SubmitterName",
        "end",
        "id",
        "observation-location-Accuracy",
        "observation-location-Altitude",
        "start",
        "submitted_at",
    ]
