"""The explorer benchmark's own parts: its naive version (every matching row in Python), its
percentiles and its arguments; the HTTP part needs the explorer and a million rows."""

import datetime as dt
from collections import namedtuple

import pytest

from bench.explore import (
    command_for,
    first_page,
    grid_clusters,
    naive_explore,
    parse_args,
    percentile,
    weekly_counts,
)

Row = namedtuple("Row", "id latitude longitude kind occurred_on occurred_at")


def _row(pk, lat, lon, kind="violation", day=dt.date(2024, 1, 3), hour=0):
    at = dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)
    return Row(pk, lat, lon, kind, day, at)


def test_the_grid_groups_rows_by_cell_and_skips_rows_without_coordinates():
    rows = [
        _row(1, 47.1, 37.9),
        _row(2, 47.4, 37.6, kind="incident"),
        _row(3, 48.6, 38.2),
        _row(4, None, None),
    ]

    clusters = grid_clusters(rows, cell_degrees=1.0)

    assert [c["count"] for c in clusters] == [2, 1]
    pair, alone = clusters
    assert pair["kinds"] == {"violation": 1, "incident": 1}
    assert pair["bbox"] == [37.6, 47.1, 37.9, 47.4]
    assert pair["lat"] == pytest.approx(47.25) and pair["lon"] == pytest.approx(37.75)
    assert (pair["observation"], alone["observation"]) == (None, 3)


def test_cells_split_at_their_edges_south_and_west_of_zero_too():
    rows = [_row(1, 0.5, -0.5), _row(2, -0.5, -0.5), _row(3, 0.5, 0.5)]

    assert len(grid_clusters(rows, cell_degrees=1.0)) == 3
    assert len(grid_clusters(rows, cell_degrees=4.0)) == 3  # floor(-0.125) = -1, not 0


def test_weekly_counts_start_on_monday_and_keep_empty_weeks():
    rows = [
        _row(1, 1, 1, day=dt.date(2024, 1, 3)),  # a Wednesday
        _row(2, 1, 1, day=dt.date(2024, 1, 7), kind="incident"),  # the Sunday
        _row(3, 1, 1, day=dt.date(2024, 1, 22)),
    ]

    weeks = weekly_counts(rows, start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 28))

    assert weeks == [
        (dt.date(2024, 1, 1), {"violation": 1, "incident": 1}),
        (dt.date(2024, 1, 8), {}),
        (dt.date(2024, 1, 15), {}),
        (dt.date(2024, 1, 22), {"violation": 1}),
    ]
    assert weekly_counts(rows)[0][0] == dt.date(2024, 1, 1)  # no filter: the rows' weeks
    assert weekly_counts([]) == []


def test_the_first_page_is_the_newest_rows_then_the_highest_id():
    rows = [_row(pk, 1, 1, hour=pk % 3) for pk in range(1, 10)]

    page = first_page(rows, size=4)

    assert [r.id for r in page] == [8, 5, 2, 7]


def test_the_naive_version_gives_the_three_results():
    rows = [_row(1, 47.1, 37.9), _row(2, 47.2, 37.8)]

    result = naive_explore(
        rows, cell_degrees=0.5, start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 7)
    )

    assert [c["count"] for c in result["clusters"]] == [2]
    assert result["weeks"] == [(dt.date(2024, 1, 1), {"violation": 2})]
    assert [r.id for r in result["page"]] == [2, 1]


def test_percentiles_interpolate_between_ranks():
    values = [float(v) for v in range(1, 101)]

    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_the_arguments_default_to_a_million_rows_and_name_the_command():
    args = parse_args([])
    assert (args.observations, args.repeat, args.write) == (1_000_000, 30, False)
    assert command_for(args) == "python bench/explore.py"

    smoke = parse_args(["--observations", "20000", "--repeat", "5", "--write"])
    assert smoke.write
    assert command_for(smoke) == "python bench/explore.py --observations 20000 --repeat 5"
    with pytest.raises(SystemExit):
        parse_args(["--repeat", "0"])
