"""The weekly series' SVG (monitor.explore.chart): axes, units, labels at 12 px, a pattern per
kind besides its colour, a title per bar and a sentence for a screen reader."""

import datetime as dt
import re

import pytest

from monitor.explore.chart import (
    DESK,
    KIND_COLOURS,
    PHONE,
    chart_label,
    nice_top,
    time_ticks,
    weekly_chart,
)
from monitor.explore.selectors import WeeklySeries

MINSK_WEEK = dt.date(2015, 2, 16)  # the first week of the Minsk II ceasefire


def weeks_from(start: dt.date, n: int, counts=None) -> WeeklySeries:
    return WeeklySeries(
        weeks=[
            (start + dt.timedelta(weeks=i), counts(i) if counts else {"violation": i % 5})
            for i in range(n)
        ]
    )


@pytest.mark.parametrize(
    "value, top, step", [(0, 1, 1), (1, 1, 1), (7, 8, 2), (23, 25, 5), (87, 100, 20)]
)
def test_the_y_axis_ends_on_a_round_number(value, top, step):
    assert nice_top(value) == (top, step)


def test_a_short_span_is_labelled_by_week():
    weeks = [MINSK_WEEK + dt.timedelta(weeks=i) for i in range(6)]
    ticks = time_ticks(weeks, room=480)
    assert ticks[0] == (0, "16 Feb") and len(ticks) == 6


def test_a_year_is_labelled_by_month_and_seven_years_by_year():
    year = [MINSK_WEEK + dt.timedelta(weeks=i) for i in range(52)]
    labels = [label for _, label in time_ticks(year, room=480)]
    assert labels[0] == "Mar 2015" and "Jan 2016" in labels
    life = [MINSK_WEEK + dt.timedelta(weeks=i) for i in range(366)]
    labels = [label for _, label in time_ticks(life, room=480)]
    assert labels[:2] == ["2016", "2017"] or labels[:2] == ["2016", "2018"]


def test_labels_never_run_into_each_other_on_a_phone():
    for n in (3, 10, 30, 60, 150, 400):
        weeks = [MINSK_WEEK + dt.timedelta(weeks=i) for i in range(n)]
        ticks = time_ticks(weeks, room=300)
        bar = 300 / n
        for (a, label), (b, _) in zip(ticks, ticks[1:], strict=False):
            assert (b - a) * bar >= len(label) * 12 * 0.62 + 10


def test_the_chart_has_axes_units_patterns_and_a_text_alternative():
    series = weeks_from(
        MINSK_WEEK, 8, lambda i: {"violation": 10 + i, "compliance": 2, "incident": i % 2}
    )
    svg = str(weekly_chart(series, size=DESK))
    assert 'role="img"' in svg and "Observations per week" in svg
    assert "<title>Week of 16 Feb 2015: 12 observations (10 violation, 2 compliance)</title>" in svg
    assert 'fill="url(#wk-desk-compliance)"' in svg and KIND_COLOURS["violation"] in svg
    assert set(re.findall(r'font-size="(\d+)"', svg)) == {"12"}
    assert ">20<" in svg  # the y axis's top: the busiest week
    label = chart_label(series)
    assert label.startswith("Observations per week by kind (violation, compliance, incident)")
    assert (
        "16 Feb 2015 to 12 Apr 2015" in label and "the busiest week, of 6 Apr 2015, had 20" in label
    )


def test_the_phone_chart_is_drawn_at_its_own_size():
    svg = str(weekly_chart(weeks_from(MINSK_WEEK, 300), size=PHONE))
    assert 'viewBox="0 0 360 260"' in svg and "wk-phone-" not in svg.split("<defs>")[0]


def test_no_weeks_no_chart():
    assert weekly_chart(WeeklySeries(weeks=[]), size=DESK) == ""
