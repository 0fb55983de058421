"""The explorer's reads, against hand-computed answers: clusters grouped on a grid in SQL, the
weekly series (weeks from Monday), the table's sort and pages (SQLite and PostgreSQL)."""

import datetime as dt

import pytest

from monitor.explore import selectors
from monitor.explore.filters import ExploreFilters
from monitor.explore.selectors import (
    MOST_CELLS,
    PAGE_SIZE,
    cell_degrees,
    explore_observations,
    grid_cell,
    observation_clusters,
    observations_by_area,
    observations_table_page,
    observations_weekly,
)
from reports.selectors import observations_visible_to
from tests.factories import PartyFactory
from tests.monitor.explore_data import filed, seen

# --- clusters --------------------------------------------------------------------------------


def test_the_cell_halves_with_each_zoom_and_doubles_until_the_box_holds_few_enough():
    assert cell_degrees(5) == 2.8125
    assert cell_degrees(6) == cell_degrees(5) / 2
    assert grid_cell(zoom=5, bbox=(30, 45, 40, 50)) == 2.8125
    whole_world = grid_cell(zoom=18, bbox=None)
    assert (360 / whole_world) * (180 / whole_world) <= MOST_CELLS
    assert (360 / (whole_world / 2)) * (180 / (whole_world / 2)) > MOST_CELLS


@pytest.fixture
def located(world):
    """At zoom 5 (cells of 2.8125°): three near Donetsk in one cell, one a cell south, one
    near Kyiv, two either side of the prime meridian, one without coordinates, and one of
    mission B (in the first cell)."""
    report = filed(world.mission_a)
    made = {
        "d1": seen(report, latitude=48.0, longitude=37.8),
        "d2": seen(report, latitude=48.1, longitude=37.9),
        "d3": seen(report, latitude=48.2, longitude=38.0, kind="compliance"),
        "south": seen(report, latitude=47.0, longitude=37.5, kind="incident"),
        "kyiv": seen(report, latitude=50.45, longitude=30.52, kind="information"),
        "west": seen(report, latitude=51.5, longitude=-0.5, kind="access_restricted"),
        "east": seen(report, latitude=51.5, longitude=0.5),
        "nowhere": seen(report),
    }
    made["b"] = seen(filed(world.mission_b), latitude=48.05, longitude=37.85)
    return made


def _clusters(user, query: str = "", **kwargs):
    from django.http import QueryDict

    observations = explore_observations(
        user=user, filters=ExploreFilters.from_params(QueryDict(query))
    )
    return observation_clusters(observations=observations, **kwargs)


def test_clusters_count_by_kind_with_mean_position_and_box(observer_a, located):
    found = _clusters(observer_a, zoom=5)

    assert found.cell == 2.8125 and found.total == 7
    biggest = found.clusters[0]
    assert biggest.count == 3
    assert biggest.kinds == {"violation": 2, "compliance": 1}
    assert biggest.dominant == "violation"
    assert biggest.lat == pytest.approx(48.1) and biggest.lon == pytest.approx(37.9)
    assert biggest.bbox == pytest.approx((37.8, 48.0, 38.0, 48.2))
    assert biggest.observation is None
    singles = {c.observation: c for c in found.clusters[1:]}
    assert set(singles) == {located[k].pk for k in ("south", "kyiv", "west", "east")}
    assert singles[located["west"].pk].kinds == {"access_restricted": 1}
    assert singles[located["kyiv"].pk].bbox == pytest.approx((30.52, 50.45, 30.52, 50.45))


def test_an_analyst_sees_every_missions_points(analyst, located):
    found = _clusters(analyst, zoom=5)
    assert found.total == 8
    assert found.clusters[0].count == 4


def test_clusters_keep_to_the_box_and_the_filters(observer_a, located):
    boxed = _clusters(observer_a, zoom=5, bbox=(37.0, 47.5, 39.0, 49.0))
    assert [c.count for c in boxed.clusters] == [3]
    kinds = _clusters(observer_a, "kind=compliance", zoom=5)
    assert [c.observation for c in kinds.clusters] == [located["d3"].pk]


def test_a_closer_zoom_splits_a_cluster(observer_a, located):
    found = _clusters(observer_a, zoom=11, bbox=(37.0, 47.5, 39.0, 49.0))
    assert found.cell == pytest.approx(360 / 2**13)
    assert sorted(c.count for c in found.clusters) == [1, 1, 1]


def test_clusters_as_json_have_the_documented_shape(observer_a, located):
    body = _clusters(observer_a, zoom=5).as_json()
    assert set(body) == {"zoom", "cell_degrees", "total", "clusters"}
    assert set(body["clusters"][0]) == {"lat", "lon", "count", "kinds", "bbox", "observation"}
    assert len(body["clusters"][0]["bbox"]) == 4


# --- the weekly series -----------------------------------------------------------------------


def test_weeks_start_on_monday_and_empty_weeks_are_zero(world, analyst):
    report = filed(world.mission_a)
    seen(report, day=dt.date(2015, 2, 15))  # a Sunday: the week of Monday 9 February
    seen(report, day=dt.date(2015, 2, 16))  # Monday 16 February
    seen(report, day=dt.date(2015, 2, 22), kind="compliance")  # Sunday, same week
    seen(report, day=dt.date(2015, 3, 4), kind="incident")  # the week of 2 March
    seen(report, occurred_on=None)  # no calendar day: in the total, in no week

    series = observations_weekly(observations=observations_visible_to(user=analyst))

    assert series.weeks == [
        (dt.date(2015, 2, 9), {"violation": 1}),
        (dt.date(2015, 2, 16), {"violation": 1, "compliance": 1}),
        (dt.date(2015, 2, 23), {}),
        (dt.date(2015, 3, 2), {"incident": 1}),
    ]
    assert series.undated == 1 and series.total == 5
    assert series.kinds == ["violation", "compliance", "incident"]
    assert (series.first_day, series.last_day) == (dt.date(2015, 2, 9), dt.date(2015, 3, 8))


def test_a_week_across_new_year_is_one_week(world, analyst):
    report = filed(world.mission_a)
    seen(report, day=dt.date(2014, 12, 29))
    seen(report, day=dt.date(2015, 1, 4))
    series = observations_weekly(observations=observations_visible_to(user=analyst))
    assert series.weeks == [(dt.date(2014, 12, 29), {"violation": 2})]


def test_no_rows_no_weeks(analyst):
    series = observations_weekly(observations=observations_visible_to(user=analyst))
    assert series.weeks == [] and series.total == 0 and series.first_day is None


# --- the table -------------------------------------------------------------------------------


@pytest.fixture
def many(world):
    report = filed(world.mission_a)
    east = PartyFactory(code="party-east", name="East")
    rows = [
        seen(
            report,
            day=dt.date(2015, 2, 1) + dt.timedelta(days=i),
            kind="compliance" if i % 2 else "violation",
            party=east if i % 3 == 0 else None,
            severity=1 + i % 4,
        )
        for i in range(PAGE_SIZE + 3)
    ]
    return rows


def _page(user, sort: str, number: int):
    observations = observations_visible_to(user=user)
    return observations_table_page(
        observations=observations, total=observations.count(), sort=sort, number=number
    )


def test_pages_of_fifty_newest_first_by_default(analyst, many):
    first = _page(analyst, "-occurred", 1)
    second = _page(analyst, "-occurred", 2)
    assert first.pages == 2 and len(first.rows) == PAGE_SIZE and len(second.rows) == 3
    assert first.rows[0] == many[-1]
    assert [o.pk for o in second.rows] == [o.pk for o in reversed(many[:3])]
    assert (second.first_row, second.last_row) == (51, 53)


def test_a_page_past_the_last_is_the_last(analyst, many):
    assert _page(analyst, "-occurred", 99).number == 2
    assert _page(analyst, "-occurred", 0).number == 1


@pytest.mark.parametrize(
    "sort, key",
    [
        ("occurred", lambda o: (o.occurred_at, o.pk)),
        ("kind", lambda o: (o.kind, o.occurred_at, o.pk)),
        ("-severity", lambda o: (-o.severity, -o.occurred_at.timestamp(), -o.pk)),
    ],
)
def test_each_sort_orders_the_whole_set_before_paging(analyst, many, sort, key):
    expected = sorted(many, key=key)
    got = list(_page(analyst, sort, 1).rows) + list(_page(analyst, sort, 2).rows)
    assert [o.pk for o in got] == [o.pk for o in expected]


def test_sorting_by_party_puts_the_named_together(analyst, many):
    rows = list(_page(analyst, "party", 1).rows) + list(_page(analyst, "party", 2).rows)
    named = [o.party_id is not None for o in rows]
    # One block of named rows and one of unattributed ones (where NULLs go is the database's).
    assert sum(1 for a, b in zip(named, named[1:], strict=False) if a != b) == 1


@pytest.mark.parametrize("sort", sorted(selectors.SORTS))
def test_every_sort_runs(analyst, many, sort):
    for direction in ("", "-"):
        assert len(_page(analyst, direction + sort, 1).rows) == PAGE_SIZE


def test_areas_with_most_first(world, analyst):
    report = filed(world.mission_a)
    for _ in range(3):
        seen(report, admin_area="Donetsk oblast")
    seen(report, admin_area="Luhansk oblast")
    seen(report, admin_area="")
    found = observations_by_area(observations=observations_visible_to(user=analyst))
    assert found == [("Donetsk oblast", 3), ("", 1), ("Luhansk oblast", 1)]
