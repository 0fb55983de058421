"""The scorecards' SVG charts read without hovering: a time axis, totals that survive a long
party name."""

import datetime as dt

from lxml import etree

from monitor import charts
from monitor.scorecards.buckets import buckets_over


def _texts(svg: str) -> list[str]:
    return [t.text for t in etree.fromstring(svg.encode()).iter("{*}text", "text")]


def test_party_bars_label_the_time_axis_evenly_and_keep_each_total():
    life = buckets_over(dt.date(2015, 2, 15), dt.date(2022, 2, 21), most=60)
    columns = [(life.axis_label(i), life.label(i)) for i in range(len(life.starts))]
    name = "Representatives of certain areas of the Donetsk and Luhansk oblasts"
    series = [(name, [145, 85] + [0] * (len(columns) - 2)), ("Ukraine", [100] * len(columns))]

    texts = _texts(charts.party_bars(series, columns=columns, unit=life.unit))

    assert life.unit == "quarter"
    assert texts[0].endswith("… (230)") and texts[1] == f"Ukraine ({100 * len(columns)})"
    axis = texts[2:]
    assert axis[0] == "2015 Q1" and len(axis) >= 3
    assert all(label.endswith("Q1") for label in axis)  # whole years, not every six quarters


def test_the_heatmap_leaves_room_for_its_last_axis_label():
    weeks = buckets_over(dt.date(2015, 2, 15), dt.date(2015, 6, 30), most=60)
    columns = [(weeks.axis_label(i), weeks.label(i)) for i in range(len(weeks.starts))]

    svg = etree.fromstring(str(charts.heatmap([("1", [(1, 0)] * len(columns))], columns=columns)))

    last = [t for t in svg.iter("{*}text") if t.get("font-size") == "9"][-1]
    assert float(last.get("x")) + 5 * len(last.text) <= float(svg.get("width"))
