"""The scorecard pages' charts, each in a figure with its caption and its numbers as a table
(monitor.charts draws them)."""

from django.utils.safestring import SafeString

from monitor import charts
from monitor.scorecards.buckets import Buckets
from monitor.scorecards.cards import AgreementScorecard
from monitor.scorecards.clause import ClauseFigures
from monitor.scorecards.history import RatePoint

DESK, PHONE = 640, charts.PHONE_WIDTH

# A series of violations per bucket: (name, values, (fill, texture)).
Series = tuple[str, list[int], tuple[str, str]]


def series_styles(names: list[str], *, unattributed: str = "Unattributed") -> list[tuple[str, str]]:
    """The palette in order; the "Unattributed" series grey and hatched."""
    colours = iter(charts.SERIES_COLOURS * 4)
    return [
        charts.UNATTRIBUTED_STYLE if name == unattributed else (next(colours), "solid")
        for name in names
    ]


def rate_over_time(points: list[RatePoint]) -> SafeString:
    unit = points[0].unit if points else "month"
    known = [p for p in points if p.rate is not None]
    values = [(p.axis_label, p.label, p.rate) for p in points]
    title = "Implementation rate over time"
    svg = charts.line_chart(
        values, title=title, series="Implementation rate (PAM, % of full implementation)", unit=unit
    )
    phone = charts.line_chart(
        values, title=title, series="Implementation rate (PAM, %)", unit=unit, width=PHONE
    )
    # The table lists the points where the rate changes (and the last): the rest repeat.
    rows, last = [], object()
    for i, p in enumerate(points):
        if p.rate != last or i == len(points) - 1:
            rows.append((p.label, "N/A" if p.rate is None else f"{p.rate:g} %", p.assessed))
            last = p.rate
    caption = (
        f"Implementation rate at the end of each {unit} of the period, from the assessment "
        "history: 0–100 %, the clauses in force then at their latest level by then"
        + ("" if known else "; no assessed clause in force in the period (N/A)")
        + "."
    )
    return charts.figure(
        svg,
        caption=caption,
        table=charts.data_table(
            "Implementation rate over time, where it changes",
            [f"At the end of the {unit}", "Rate", "Clauses assessed and in force"],
            rows,
        ),
        id="rate-history",
        phone=phone,
    )


def category_progress(card: AgreementScorecard) -> SafeString:
    rows = [
        (c.label, c.implementation_rate, f"{c.assessed} of {c.clauses} assessed")
        for c in card.by_category.values()
    ]
    title = "Implementation rate per category"
    return charts.figure(
        charts.progress_bars(rows, title=title),
        phone=charts.progress_bars(rows, title=title, width=PHONE),
        caption="Implementation rate per category (PAM method), as of the card's date; "
        "N/A where no clause in force is assessed. The table above has the numbers.",
        id="category-progress",
    )


def category_statuses(card: AgreementScorecard, labels: dict[str, str]) -> SafeString:
    used = [
        s for s in charts.STATUS_STYLES if any(c.statuses.get(s) for c in card.by_category.values())
    ]
    rows = [(c.label, dict(c.statuses)) for c in card.by_category.values()]
    return charts.figure(
        charts.stacked_bars(rows, labels=labels),
        phone=charts.stacked_bars(rows, labels=labels, width=PHONE),
        caption="Clause statuses per category: the count is written on each segment; each "
        "status has its own colour and texture (see the legend).",
        table=charts.data_table(
            "Clause statuses per category",
            ["Category", *(labels.get(s, s) for s in used)],
            [(c.label, *(c.statuses.get(s, 0) for s in used)) for c in card.by_category.values()],
        ),
        id="category-statuses",
    )


def by_party(series: list[Series], *, buckets: Buckets, caption: str, id: str) -> SafeString:
    columns = [(buckets.axis_label(i), buckets.label(i)) for i in range(len(buckets.starts))]
    drawn = {
        width: charts.party_bars(
            [(name, values) for name, values, _ in series],
            columns=columns,
            unit=buckets.unit,
            styles=[style for *_, style in series],
            title=f"Violations per {buckets.unit}, by party",
            width=width,
        )
        for width in (DESK, PHONE)
    }
    return charts.figure(
        drawn[DESK],
        phone=drawn[PHONE],
        caption=caption,
        table=charts.data_table(
            f"Violations per {buckets.unit}, by party",
            [buckets.unit.capitalize(), *(name for name, *_ in series)],
            [
                (columns[i][1], *(values[i] for _, values, _ in series))
                for i in range(len(columns))
                if any(values[i] for _, values, _ in series)
            ]
            or [("No violation in the period", *("0" for _ in series))],
        ),
        id=id,
    )


def clause_weeks(figures: ClauseFigures, buckets: Buckets, of_week: list[int]) -> SafeString:
    size = len(buckets.starts)

    def regroup(values: tuple[int, ...]) -> list[int]:
        cells = [0] * size
        for week, n in enumerate(values):
            cells[of_week[week]] += n
        return cells

    series: list[Series] = [
        ("Violations", regroup(figures.violation_weeks), (charts.OKABE_ITO["vermillion"], "solid")),
        (
            "Compliance",
            regroup(figures.compliance_weeks),
            (charts.OKABE_ITO["bluish_green"], "dots"),
        ),
    ]
    columns = [(buckets.axis_label(i), buckets.label(i)) for i in range(size)]
    drawn = {
        width: charts.party_bars(
            [(name, values) for name, values, _ in series],
            columns=columns,
            unit=buckets.unit,
            measure="observations",
            styles=[style for *_, style in series],
            title=f"Violations and compliance per {buckets.unit}",
            width=width,
        )
        for width in (DESK, PHONE)
    }
    return charts.figure(
        drawn[DESK],
        phone=drawn[PHONE],
        caption=f"Violations and compliance observed on this clause per {buckets.unit} of the "
        "period, on one scale (flagged observations not counted).",
        table=charts.data_table(
            f"Observations per {buckets.unit}",
            [buckets.unit.capitalize(), "Violations", "Compliance"],
            [
                (columns[i][1], series[0][1][i], series[1][1][i])
                for i in range(size)
                if series[0][1][i] or series[1][1][i]
            ]
            or [("Nothing observed in the period", 0, 0)],
        ),
        id="clause-weeks",
    )


def timeline(rows: list[tuple[str, list[tuple[int, int]]]], *, buckets: Buckets) -> SafeString:
    columns = [(buckets.axis_label(i), buckets.label(i)) for i in range(len(buckets.starts))]
    unit = buckets.unit
    grouped = "" if unit == "week" else f" (weeks grouped by the {unit} they start in)"
    return charts.figure(
        charts.heatmap(rows, columns=columns, unit=unit),
        caption=f"Clauses × {unit}s{grouped}: vermillion = violations (darker = more), green "
        "= compliance observed only, hatched = no data. The clause table above has the numbers.",
        id="heatmap",
    )
