"""Place names to one key, point in polygon, and the pure period and area checks."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from agreements.geo import Shape, shape_of
from agreements.places import place_key, place_keys
from agreements.scope import (
    KnownArea,
    Places,
    area_problem,
    area_scope_of,
    period_of,
    period_problem,
)

KYIV = ZoneInfo("Europe/Kyiv")


@pytest.mark.parametrize(
    "spelling",
    [
        "Donetsk",
        "donetsk",
        "Donetsk oblast",
        "Donetsk Oblast",
        "Donetsk oblast'",
        "Donetsk Oblast’",
        "Donetska oblast",
        "Donets'ka oblast",
        "Donetskaya oblast",
        "Donetskaya Oblast",
        "Donetsk region",
        "Donetsk Province",
        "Donetsk obl.",
        "City of Donetsk",
        "the Donetsk region",
        "  DONETSK   OBLAST ",
        "donetsk-oblast",
    ],
)
def test_spellings_of_donetsk_oblast_are_one_name(spelling):
    assert place_key(spelling) == place_key("Donetsk oblast") != ""


@pytest.mark.parametrize(
    "spelling",
    ["Luhansk", "Luhansk Oblast", "Luhanska oblast", "Luhansk oblast'", "Luhansk region"],
)
def test_spellings_of_luhansk_oblast_are_one_name(spelling):
    assert place_key(spelling) == place_key("Luhansk oblast")


@pytest.mark.parametrize(
    "spelling", ["Zaporizhzhia Oblast", "Zaporizhzhia oblast'", "Zaporizhzhia region"]
)
def test_spellings_of_zaporizhzhia_oblast_are_one_name(spelling):
    assert place_key(spelling) == place_key("Zaporizhzhia oblast")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Донецька область", "Донецкая обл."),
        ("Донецк", "Донецкая область"),
        ("Луганська область", "Луганская область"),
    ],
)
def test_cyrillic_spellings_meet_within_their_script(one, other):
    assert place_key(one) == place_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Lugansk", "Luhansk"),  # another transliteration: an alias, not a guess
        ("Zaporozhye", "Zaporizhzhia"),
        ("Donetsk", "Luhansk"),
        ("Kharkiv oblast", "Donetsk oblast"),
        ("Донецька область", "Donetsk oblast"),  # another script: an alias
    ],
)
def test_other_transliterations_and_places_stay_apart(one, other):
    assert place_key(one) != place_key(other)


def test_adjective_and_noun_of_a_place_meet():
    assert place_key("Kharkivska oblast") == place_key("Kharkiv oblast")


def test_a_generic_word_alone_names_nothing():
    assert place_key("Oblast") == ""
    assert place_keys(["Region", "", "Donetsk"]) == {place_key("Donetsk")}


SQUARE_WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [
        [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
        [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
    ],
}


def test_point_in_polygon_honours_its_hole():
    shape = Shape(SQUARE_WITH_HOLE)

    assert shape.contains(2, 2)
    assert not shape.contains(5, 5)  # in the hole
    assert shape.contains(5, 7)
    assert not shape.contains(11, 5)
    assert not shape.contains(-1, -1)


def test_point_in_multipolygon_is_in_any_of_its_parts():
    shape = Shape(
        {
            "type": "MultiPolygon",
            "coordinates": [
                [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
                [[[5, 5], [6, 5], [5.5, 6], [5, 5]]],
            ],
        }
    )

    assert shape.contains(0.5, 0.5)
    assert shape.contains(5.5, 5.4)
    assert not shape.contains(5.9, 5.9)  # inside the parts' box, outside the triangle
    assert not shape.contains(3, 3)


def test_unusable_geometry_gives_no_shape():
    assert shape_of(None) is None
    assert shape_of({"type": "Point", "coordinates": [1, 2]}) is None


def _period(**overrides) -> object:
    values = {
        "clause_label": "clause 1",
        "clause_start": dt.date(2015, 2, 15),
        "agreement_label": "Minsk II",
        "in_force_on": dt.date(2015, 2, 15),
        "signed_on": dt.date(2015, 2, 12),
        "in_force_time": dt.time(0, 0),
        "expires_on": dt.date(2022, 2, 21),
        "time_zone": "Europe/Kyiv",
        **overrides,
    }
    return period_of(**values)


def _when(period, moment: dt.datetime, *, day: dt.date | None = None) -> str:
    return period_problem(period, occurred_at=moment, occurred_on=day, date_only=day is not None)


def test_row_before_the_clause_took_effect_says_so_in_plain_words():
    moment = dt.datetime(2014, 1, 3, 12, 0, tzinfo=KYIV)

    assert _when(_period(), moment) == (
        "dated 3 January 2014, before clause 1 took effect (15 February 2015)"
    )


def test_row_minutes_before_entry_into_force_gives_the_times():
    period = _period(in_force_time=dt.time(6, 0))
    moment = dt.datetime(2015, 2, 15, 5, 30, tzinfo=KYIV)

    assert _when(period, moment) == (
        "dated 15 February 2015 at 05:30 (Kyiv time), before clause 1 took effect "
        "(15 February 2015 at 06:00)"
    )
    assert _when(period, moment.replace(hour=6)) == ""


def test_the_agreements_last_day_counts_whole_in_its_zone():
    period = _period()
    last_evening = dt.datetime(2022, 2, 21, 23, 30, tzinfo=KYIV)

    assert _when(period, last_evening) == ""
    assert _when(period, last_evening + dt.timedelta(hours=1)) == (
        "dated 22 February 2022, after Minsk II ended (21 February 2022)"
    )


def test_a_date_without_time_is_compared_by_its_day():
    period = _period(in_force_time=dt.time(18, 0))
    midnight_utc = dt.datetime(2015, 2, 15, tzinfo=dt.UTC)

    assert _when(period, midnight_utc, day=dt.date(2015, 2, 15)) == ""
    assert _when(period, midnight_utc, day=dt.date(2015, 2, 14)) == (
        "dated 14 February 2015, before clause 1 took effect (15 February 2015)"
    )


def test_without_a_clause_start_the_agreements_entry_into_force_counts():
    period = _period(clause_start=None, in_force_on=None)  # then its signature

    assert "(12 February 2015)" in _when(period, dt.datetime(2015, 2, 11, tzinfo=KYIV))
    assert _when(period, dt.datetime(2015, 2, 12, 1, tzinfo=KYIV)) == ""


def _places() -> Places:
    areas = [
        (KnownArea(1, "Donetsk oblast", None, (36.5, 46.8, 40.3, 49.3), True), ["Donetsk oblast"]),
        (KnownArea(2, "Luhansk oblast", None, None, True), ["Luhansk oblast", "Lugansk"]),
        (KnownArea(3, "Kharkiv oblast", None, None, True), ["Kharkiv oblast"]),
        (KnownArea(4, "Debaltseve", 1, None, False), ["Debaltseve"]),
        (KnownArea(5, "Ukraine", None, None, True), ["Ukraine"]),
    ]
    return Places.build((area, place_keys(names)) for area, names in areas)


def _scope(places: Places, area_ids, geometry=None):
    keys = {pk: place_keys([area.name]) for pk, area in places.areas.items()}
    keys[2] = place_keys(["Luhansk oblast", "Lugansk"])
    return area_scope_of(
        area_ids=area_ids,
        geometry_shape=shape_of(geometry),
        area_shapes={},
        area_keys=keys,
        places=places,
    )


def _where(scope, places, **row) -> str:
    values = {
        "latitude": None,
        "longitude": None,
        "area_id": None,
        "admin_area": "",
        "place_name": "",
        **row,
    }
    return area_problem(scope, places, **values)


def test_names_inside_the_clauses_areas_pass():
    places = _places()
    scope = _scope(places, [1, 2])

    assert _where(scope, places, admin_area="Donetska oblast") == ""
    assert _where(scope, places, place_name="Donetsk") == ""
    assert _where(scope, places, admin_area="Lugansk region") == ""  # by the alias
    assert _where(scope, places, place_name="Debaltseve") == ""  # an area below Donetsk oblast
    assert _where(scope, places, area_id=4) == ""


def test_a_known_oblast_elsewhere_is_outside():
    places = _places()
    scope = _scope(places, [1, 2])

    assert _where(scope, places, admin_area="Kharkiv oblast") == (
        "placed in Kharkiv oblast, outside the clause's areas (Donetsk oblast, Luhansk oblast)"
    )


def test_an_unknown_region_is_outside_oblasts_but_undecided_for_smaller_areas():
    places = _places()

    assert _where(_scope(places, [1]), places, admin_area="Sumy oblast") == (
        "placed in Sumy oblast, outside the clause's area (Donetsk oblast)"
    )
    assert _where(_scope(places, [4]), places, admin_area="Sumy oblast") == ""


def test_a_larger_area_around_the_clauses_is_undecided():
    places = _places()
    scope = _scope(places, [4])  # Debaltseve, under Donetsk oblast

    assert _where(scope, places, admin_area="Donetsk oblast") == ""


def test_a_row_without_any_place_is_not_flagged():
    places = _places()

    assert _where(_scope(places, [1, 2]), places) == ""


def test_a_clause_without_areas_checks_nothing():
    assert _scope(_places(), []) is None


def test_coordinates_fall_back_to_the_bounding_box():
    places = _places()
    scope = _scope(places, [1])  # Donetsk oblast: a box, no geometry

    assert _where(scope, places, latitude=48.0, longitude=37.8) == ""
    assert _where(scope, places, latitude=49.99, longitude=36.23, place_name="Kharkiv") == (
        "placed at Kharkiv (49.99, 36.23), outside the clause's area (Donetsk oblast)"
    )


def test_coordinates_decide_only_when_every_area_has_a_shape():
    places = _places()
    scope = _scope(places, [1, 2])  # Luhansk oblast has no shape here

    # Outside Donetsk's box, and Luhansk cannot be told: the names decide.
    assert _where(scope, places, latitude=50.0, longitude=39.0, admin_area="Luhansk") == ""
    assert "Kharkiv oblast" in _where(
        scope, places, latitude=50.0, longitude=36.2, admin_area="Kharkiv oblast"
    )


def test_the_clauses_own_geometry_counts_with_its_hole():
    places = _places()
    scope = _scope(places, [], geometry=SQUARE_WITH_HOLE)

    assert _where(scope, places, latitude=2, longitude=2) == ""
    assert _where(scope, places, latitude=5, longitude=5) == (
        "placed at 5, 5, outside the clause's area (the area drawn for it)"
    )


# --- the shipped Minsk II and the loader ---------------------------------------------------


@pytest.mark.django_db
def test_minsk_ii_clause_1_knows_its_oblasts_by_their_spellings():
    from agreements.loader import agreement_load_file
    from agreements.models import Clause
    from agreements.scope import scope_check
    from agreements.selectors import clause_scopes
    from tests.agreements.test_loader import MINSK

    agreement_load_file(path=MINSK)
    clause = Clause.objects.get(agreement__code="minsk-ii", reference="1")
    scopes, places = clause_scopes(clause_ids=[clause.pk])

    def check(moment: dt.datetime, admin_area: str):
        return scope_check(
            scopes[clause.pk],
            places,
            occurred_at=moment,
            occurred_on=None,
            date_only=False,
            latitude=None,
            longitude=None,
            area_id=None,
            admin_area=admin_area,
            place_name="",
        )

    in_force = dt.datetime(2015, 3, 2, 21, 40, tzinfo=KYIV)
    for spelling in ("Donetsk", "Donetska oblast", "Донецкая область", "Lugansk", "Луганська обл."):
        assert check(in_force, spelling).note == "", spelling
    assert check(in_force, "Kharkiv oblast").note == (
        "placed in Kharkiv oblast, outside the clause's areas (Donetsk oblast, Luhansk oblast)"
    )
    assert check(dt.datetime(2014, 1, 3, 12, tzinfo=KYIV), "Donetsk").note == (
        "dated 3 January 2014, before clause 1 took effect (15 February 2015)"
    )


@pytest.mark.django_db
def test_loader_stores_area_aliases_and_geometry():
    from agreements.loader import AgreementFileError, agreement_load_text
    from agreements.models import Area

    text = (
        "format: accord-monitor/agreement/v1\ncode: shapes\ntitle: Shapes\nkind: ceasefire\n"
        "parties:\n  - {code: side-a, name: Side A, kind: belligerent, role: signatory}\n"
        "areas:\n  - code: square\n    name: Square region\n    aliases: [Quadrat]\n"
        "    geometry:\n      type: Polygon\n"
        "      coordinates: [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]\n"
        "clauses:\n  - {ref: '1', title: Stop, text: Stop., category: ceasefire, "
        "areas: [square]}\n"
    )

    agreement_load_text(text=text, source="shapes.yaml")

    area = Area.objects.get(code="square")
    assert area.aliases == ["Quadrat"]
    assert area.geometry["type"] == "Polygon"
    with pytest.raises(AgreementFileError, match="aliases: expected names as text"):
        agreement_load_text(text=text.replace("[Quadrat]", "[7]"), source="shapes.yaml")
