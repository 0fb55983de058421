"""The shipped geography: which admin-1 a point lies in, which one a name means, where a
named place is, and the files' sources and licences."""

import csv
import json

import pytest

from agreements.gazetteer import (
    GEO_DIR,
    Gazetteer,
    admin1,
    admin1_at,
    admin1_named,
    distance_km,
    places_named,
)


@pytest.mark.parametrize(
    ("latitude", "longitude", "code", "name"),
    [
        (48.0159, 37.8029, "UA-14", "Donetsk oblast"),  # Donetsk
        (47.0951, 37.5413, "UA-14", "Donetsk oblast"),  # Mariupol
        (49.9935, 36.2304, "UA-63", "Kharkiv oblast"),  # Kharkiv
        (48.5740, 39.3078, "UA-09", "Luhansk oblast"),  # Luhansk
        (46.4857, 30.7438, "UA-51", "Odesa oblast"),  # Odesa
        (50.4501, 30.5234, "UA-30", "Kyiv"),  # the city, not Kyiv oblast around it
        (41.0138, 28.9497, "TR-34", "Istanbul province"),  # the European shore
        (41.0214, 29.0650, "TR-34", "Istanbul province"),  # Üsküdar, across the Bosporus
        (39.9334, 32.8597, "TR-06", "Ankara province"),
    ],
)
def test_a_point_lies_in_its_admin1(latitude, longitude, code, name):
    found = admin1_at(latitude, longitude)

    assert found is not None
    assert (found.code, found.name) == (code, name)


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (43.5, 34.0),  # the middle of the Black Sea
        (41.2, 29.6),  # the Black Sea off the Bosporus
        (47.2357, 39.7015),  # Rostov-on-Don: abroad, no shipped boundary
        (48.8566, 2.3522),  # Paris
        (-33.86, 151.21),  # Sydney
    ],
)
def test_a_point_at_sea_or_abroad_lies_in_none(latitude, longitude):
    assert admin1_at(latitude, longitude) is None


def test_a_point_gets_the_same_answer_from_the_cache():
    index = Gazetteer()

    first = index.admin1_at(48.01591, 37.80291)
    again = index.admin1_at(48.01589, 37.80289)  # the same 4-decimal cell

    assert first is again is index.areas["UA-14"]


@pytest.mark.parametrize(
    "spelling",
    [
        "Donetsk oblast",
        "Donetsk",
        "Donetska oblast",
        "Donetskaya oblast",
        "Donetsk Oblast'",
        "DONETSK REGION",
        "Донецька область",
        "Донецька обл.",
        "Донецкая область",
        "Донецкая обл",
        "UA-14",
        "UA14",  # an OCHA P-code
    ],
)
def test_every_spelling_and_script_names_donetsk_oblast(spelling):
    named = admin1_named(spelling)

    assert named is not None and named.code == "UA-14"


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("Kharkiv oblast", "UA-63"),
        ("Харківська область", "UA-63"),
        ("Харьковская область", "UA-63"),
        ("Odessa", "UA-51"),
        ("Одеська область", "UA-51"),
        ("Kyiv", "UA-30"),  # the city's own name wins over the oblast's short form
        ("Kyiv oblast", "UA-32"),
        ("Київська область", "UA-32"),
        ("Crimea", "UA-43"),
        ("İstanbul", "TR-34"),
        ("Istanbul province", "TR-34"),
        ("Стамбул", "TR-34"),
        ("Afyon", "TR-03"),
    ],
)
def test_names_in_latin_ukrainian_and_russian_spelling(spelling, code):
    named = admin1_named(spelling)

    assert named is not None and named.code == code


@pytest.mark.parametrize("text", ["", "  ", "Narnia", "Port of Odesa", "Zaporozhye oblast"])
def test_a_name_of_no_admin1_names_none(text):
    # "Zaporozhye" is a transliteration the data does not carry: not guessed.
    assert admin1_named(text) is None


def test_an_admin1_carries_its_names_in_four_languages():
    donetsk = admin1("UA-14")

    assert (donetsk.name, donetsk.name_uk, donetsk.name_ru, donetsk.country) == (
        "Donetsk oblast",
        "Донецька область",
        "Донецкая область",
        "UA",
    )


@pytest.mark.parametrize("spelling", ["Horlivka", "Gorlovka", "Горлівка", "Горловка"])
def test_a_place_is_found_by_its_names_in_several_scripts(spelling):
    places = places_named(spelling, countries=["UA"])

    assert [(p.name, p.admin1) for p in places] == [("Horlivka", "UA-14")]
    assert distance_km(places[0].latitude, places[0].longitude, 48.30, 38.02) < 2


def test_places_of_one_name_in_several_admin1s_are_all_found():
    admin1s = {place.admin1 for place in places_named("Avdiivka")}

    assert {"UA-14", "UA-74"} <= admin1s  # the Donetsk town and Chernihiv villages


def test_places_are_limited_to_the_countries_asked():
    assert places_named("Istanbul", countries=["UA"]) == []
    assert [p.admin1 for p in places_named("Istanbul", countries=["TR"])] == ["TR-34"]


def test_distance_is_great_circle_kilometres():
    # Kharkiv to Donetsk is about 250 km as the crow flies.
    assert 240 < distance_km(49.9935, 36.2304, 48.0159, 37.8029) < 260


def test_the_shipped_files_carry_their_licences_and_stay_small():
    sizes = sum(path.stat().st_size for path in GEO_DIR.iterdir())
    sources = (GEO_DIR / "SOURCES.md").read_text(encoding="utf-8")
    licence = (GEO_DIR / "LICENSE-amcharts.md").read_text(encoding="utf-8")

    assert sizes < 3_000_000
    assert "Creative Commons Attribution 4.0" in sources and "GeoNames" in sources
    assert "linkware" in licence and "Antanas Marcelionis" in licence


def test_every_boundary_has_an_iso_code_and_every_place_an_admin1_of_its_country():
    features = json.loads((GEO_DIR / "admin1.geojson").read_text(encoding="utf-8"))["features"]
    codes = {f["properties"]["code"] for f in features}
    with (GEO_DIR / "places.csv").open(encoding="utf-8", newline="") as handle:
        places = list(csv.DictReader(handle))

    assert len([c for c in codes if c.startswith("UA-")]) == 27
    assert len([c for c in codes if c.startswith("TR-")]) == 81
    assert all(p["admin1"] in codes and p["admin1"][:2] == p["country"] for p in places)
