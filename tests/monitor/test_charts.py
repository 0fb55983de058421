"""The scorecards' SVG charts read without hovering and without colour: a title, axes with
units, a legend, a text alternative, a scale that says "none", Okabe–Ito fills with textures,
and badges at WCAG AA contrast."""

import datetime as dt
import re
from pathlib import Path

from django.conf import settings
from django.utils.safestring import mark_safe
from lxml import etree, html

from monitor import charts
from monitor.scorecards.buckets import buckets_over
from monitor.status import STATUS_LABELS

CSS = Path(settings.BASE_DIR) / "monitor" / "static" / "scorecards" / "scorecards.css"


def _svg(markup) -> etree._Element:
    return etree.fromstring(str(markup).encode())


def _texts(svg) -> list[str]:
    return [t.text for t in _svg(svg).iter("{*}text")]


def _columns(start: str, end: str):
    buckets = buckets_over(dt.date.fromisoformat(start), dt.date.fromisoformat(end), most=60)
    return buckets, [(buckets.axis_label(i), buckets.label(i)) for i in range(len(buckets.starts))]


def test_party_bars_label_the_time_axis_evenly_and_keep_each_total():
    life, columns = _columns("2015-02-15", "2022-02-21")
    name = "Representatives of certain areas of the Donetsk and Luhansk oblasts"
    series = [(name, [145, 85] + [0] * (len(columns) - 2)), ("Ukraine", [100] * len(columns))]

    texts = _texts(charts.party_bars(series, columns=columns, unit=life.unit))

    assert life.unit == "quarter"
    assert texts[0] == "Violations per quarter"  # the title
    assert f"{name} (230 in all)" in texts and f"Ukraine ({100 * len(columns)} in all)" in texts
    axis = [t for t in texts if re.fullmatch(r"\d{4} Q\d", t)]
    assert axis[0] == "2015 Q1" and len(axis) >= 3
    assert all(label.endswith("Q1") for label in axis)  # whole years, not every third quarter
    assert "violations per quarter; time →" in texts  # the unit
    assert texts[-2:] == [name, "Ukraine"]  # the legend


def test_party_bars_give_each_series_a_scale_and_a_zero_series_reads_none():
    _, columns = _columns("2015-02-16", "2015-03-29")

    svg = charts.party_bars(
        [("North", [3, 0, 1, 0, 0, 0]), ("Unattributed", [0] * 6)],
        columns=columns,
        styles=[(charts.OKABE_ITO["blue"], "solid"), charts.UNATTRIBUTED_STYLE],
    )

    texts = _texts(svg)
    assert texts.count("0") == 2 and texts.count("3") == 2  # each row: 0 and the top of the scale
    assert "no violations" in texts
    assert _svg(svg).get("role") == "img" and "North: 4" in _svg(svg).get("aria-label")


def test_a_sparkline_has_a_baseline_and_its_highest_value_and_says_none_when_all_zero():
    busy = _svg(charts.sparkline([0, 4, 2], label="Violations per week"))
    quiet = _svg(charts.sparkline([0, 0, 0], label="Violations per week"))

    assert [t.text for t in busy.iter("{*}text")] == ["0", "4"]
    assert busy.find("{*}polyline") is not None
    assert [t.text for t in quiet.iter("{*}text")] == ["0", "none"]
    assert quiet.find("{*}polyline") is None  # no line that could pass for data
    assert quiet.get("aria-label") == "Violations per week: none (0 every time)"


def test_the_heatmap_leaves_room_for_its_last_axis_label_and_has_a_legend():
    _, columns = _columns("2015-02-15", "2015-06-30")

    svg = _svg(charts.heatmap([("1", [(1, 0)] * len(columns))], columns=columns))

    axis = [t for t in svg.iter("{*}text") if re.fullmatch(r"\d+ \w{3}", t.text or "")]
    last = axis[-1]
    assert float(last.get("x")) + 7 * len(last.text) <= float(svg.get("width"))
    assert min(int(t.get("font-size")) for t in svg.iter("{*}text")) >= 12
    legend = [t.text for t in svg.iter("{*}text")][-3:]
    assert legend == ["violations (darker: more, up to 1)", "compliance only", "no data"]


def test_the_line_chart_has_axes_in_percent_gaps_for_na_and_a_legend():
    points = [("Jan 2015", "January 2015", None), ("Feb 2015", "February 2015", 44.4)]
    points += [(f"{m} 2015", f"{m} 2015", 33.3) for m in ("Mar", "Apr")]

    svg = _svg(
        charts.line_chart(
            points, title="Implementation rate over time", series="Rate", unit="month"
        )
    )

    texts = [t.text for t in svg.iter("{*}text")]
    assert texts[0] == "Implementation rate over time"
    assert [t for t in texts if t.endswith(" %")] == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    assert "Jan 2015" in texts and "per month (as of its last day)" in texts and "Rate" in texts
    assert len(svg.findall("{*}circle")) == 3  # no marker where the rate is N/A
    assert "from 44.4 % (February 2015) to 33.3 % (Apr 2015)" in svg.get("aria-label")


def test_progress_bars_run_from_0_to_100_percent_and_write_na():
    svg = _svg(
        charts.progress_bars(
            [("Ceasefire", 33.3, "1 of 1 assessed"), ("Political", None, "0 of 6 assessed")],
            title="Implementation rate per category",
        )
    )

    texts = [t.text for t in svg.iter("{*}text")]
    assert "33.3 %" in texts and "N/A (0 of 6 assessed)" in texts
    assert {"0 %", "50 %", "100 %"} <= set(texts)


def test_stacked_bars_write_each_count_and_give_each_status_a_texture_and_legend():
    svg = _svg(
        charts.stacked_bars(
            [("Ceasefire", {"violated": 3, "stale": 2}), ("Political", {"complied": 1})],
            labels=STATUS_LABELS,
        )
    )

    texts = [t.text for t in svg.iter("{*}text")]
    assert {"3", "2", "1"} <= set(texts)
    assert texts[-3:] == ["Violated", "Monitoring stale", "Complied"]
    patterns = svg.findall(".//{*}pattern")
    assert len(patterns) == 3
    fills = {p.find("{*}rect").get("fill") for p in patterns}
    assert fills == {"#D55E00", "#F0E442", "#009E73"}  # Okabe–Ito


def test_every_status_looks_different_from_every_other_without_colour():
    styles = list(charts.STATUS_STYLES.values())

    assert len(set(styles)) == len(styles)
    fills = {fill for fill, _ in styles} - {"#FFFFFF", charts.GREY}
    assert fills <= set(charts.OKABE_ITO.values())
    # "Violated" and "Monitoring stale" were nearly the same colour for colour-blind readers.
    assert charts.STATUS_STYLES["violated"] != charts.STATUS_STYLES["stale"]
    assert charts.contrast(charts.STATUS_COLOURS["violated"], charts.STATUS_COLOURS["stale"]) > 2


def test_every_badge_reads_at_wcag_aa_contrast():
    css = CSS.read_text(encoding="utf-8")
    rules = dict(re.findall(r"\.s-([a-z_]+)[^{]*\{([^}]*)\}", css))
    for status in STATUS_LABELS:
        fill = charts.STATUS_COLOURS[status]
        declared = re.search(r"background: (#[0-9A-Fa-f]{6})", rules.get(status, ""))
        text = re.search(r"(?<!-)color: (#[0-9A-Fa-f]{3,6})", rules.get(status, ""))
        colour = text.group(1) if text else "#000000"
        colour = "#FFFFFF" if colour.lower() == "#fff" else colour
        if declared:
            assert declared.group(1).upper() == fill.upper(), status
        assert charts.contrast(fill, colour) >= 4.5, (status, fill, colour)


def test_a_figure_has_its_caption_a_keyboard_scroll_box_and_its_numbers_as_a_table():
    svg = charts.sparkline([1, 2], label="x")

    document = html.fromstring(
        str(
            charts.figure(
                svg,
                caption="Weekly violations",
                table=charts.data_table("Weekly violations", ["Week", "Violations"], [("1", 1)]),
                id="weekly",
            )
        )
    )

    assert document.get("id") == "weekly"
    assert document.xpath("//div[@class='chart-scroll']")[0].get("tabindex") == "0"
    assert document.xpath("//figcaption")[0].text_content() == "Weekly violations"
    assert document.xpath("//details//th/text()") == ["Week", "Violations"]
    assert document.xpath("//details//td/text()") == ["1", "1"]


def _ends(svg) -> list[float]:
    """Where each text ends (6.8 px a character, the charts' own measure), whatever its anchor."""
    ends = []
    for t in _svg(svg).iter("{*}text"):
        x, n = float(t.get("x")), len(t.text or "")
        anchor = t.get("text-anchor", "start")
        ends.append(x + 6.8 * n * {"start": 1, "middle": 0.5, "end": 0}[anchor])
    return ends


def test_phone_drawings_keep_their_names_axes_and_legend_inside_360_pixels():
    long = "Representatives of certain areas of the Donetsk and Luhansk oblasts"
    phone = charts.PHONE_WIDTH
    drawings = [
        charts.progress_bars(
            [("Heavy-weapons withdrawal", 66.7, "1 assessed"), ("Political", None, "0")],
            title="Implementation rate per category",
            width=phone,
        ),
        charts.stacked_bars(
            [("Humanitarian corridor / aid", {"violated": 2, "not_verifiable": 5})],
            labels=STATUS_LABELS,
            width=phone,
        ),
        charts.party_bars(
            [(long, [3, 1]), ("Ukraine", [2, 0])], columns=[("Q1", "q1"), ("Q2", "q2")], width=phone
        ),
    ]
    for svg in drawings:
        assert _svg(svg).get("width") == str(phone)
        assert max(_ends(svg)) <= phone + 2, _texts(svg)
        assert min(float(t.get("x")) for t in _svg(svg).iter("{*}text")) >= 0
    # The names sit above their bars, whole: none is cut to make room for a column.
    assert "Heavy-weapons withdrawal" in _texts(drawings[0])
    assert "Humanitarian corridor / aid" in _texts(drawings[1])


def test_a_figure_with_a_phone_drawing_holds_both_and_the_stylesheet_shows_one():
    markup = str(
        charts.figure(mark_safe("<svg></svg>"), caption="c", phone=mark_safe("<svg id='p'></svg>"))
    )
    assert 'class="chart-desk"' in markup and "class=\"chart-phone\"><svg id='p'>" in markup
    css = CSS.read_text()
    assert ".chart-phone { display: none; }" in css
    assert "@media (max-width: 640px) { .chart-desk { display: none; }" in css
