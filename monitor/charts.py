"""Server-side SVG charts: no script, no network, and they print as crisply as the text.

Every chart carries a text alternative (``role="img"`` with ``aria-label``) and every mark a
``<title>``; status colours always come with a text label elsewhere on the page.
"""

from html import escape as html_escape  # Django's escape, without its lazy wrapper

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# The same colours as the badges in scorecards.css, dark enough for the white counts on them.
STATUS_COLOURS = {
    "complied": "#2e7d32",
    "violated": "#c62828",
    "deadline_missed": "#ad1457",
    "not_verifiable": "#6a1b9a",
    "unmonitored": "#ef6c00",
    "stale": "#8d6e00",
    "prerequisite_breached": "#8e24aa",
    "single_source": "#5d4037",
    "not_in_force": "#607d8b",
    "no_data": "#78909c",
    "violated_before_end": "#8e1b1b",
}


def sparkline(values: list[int], *, width: int = 120, height: int = 28, label: str = "") -> str:
    if not values:
        return ""
    top = max(values) or 1
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - v / top * (height - 4):.1f}" for i, v in enumerate(values)
    )
    description = f"{label}: " + ", ".join(str(v) for v in values)
    return format_html(
        '<svg class="spark" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}"><title>{}</title><polyline fill="none" stroke="#c62828" '
        'stroke-width="1.5" points="{}"/></svg>',
        width,
        height,
        width,
        height,
        description,
        description,
        points,
    )


def stacked_bars(
    rows: list[tuple[str, dict[str, int]]], *, labels: dict[str, str], width: int = 520
) -> str:
    """One horizontal bar per row (e.g. a clause category), segments by status."""
    bar_h, gap, label_w = 18, 8, 190
    used = {s for _, counts in rows for s, n in counts.items() if n}
    # The legend wraps: seven statuses side by side are wider than the chart.
    legend, line = [], 0
    x: float = 0
    for status in STATUS_COLOURS:
        if status in used:
            text = labels.get(status, status)
            item_w = 13 + 7 * len(text) + 10
            if x and x + item_w > width:
                x, line = 0, line + 1
            legend.append((status, text, x, len(rows) * (bar_h + gap) + 12 + 16 * line))
            x += item_w
    height = len(rows) * (bar_h + gap) + 14 + 16 * (line + 1)
    parts = []
    for i, (name, counts) in enumerate(rows):
        total = sum(counts.values()) or 1
        y = i * (bar_h + gap)
        parts.append(format_html('<text x="0" y="{}" font-size="12">{}</text>', y + 13, name))
        x = label_w
        for status, n in counts.items():
            if not n:
                continue
            w = round((width - label_w - 40) * n / total, 1)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {} {}</title></rect>",
                    x,
                    y,
                    w,
                    bar_h,
                    STATUS_COLOURS.get(status, "#999"),
                    name,
                    n,
                    labels.get(status, status),
                )
            )
            if w > 14:
                parts.append(
                    format_html(
                        '<text x="{}" y="{}" font-size="11" fill="#fff">{}</text>',
                        x + 3,
                        y + 13,
                        n,
                    )
                )
            x = round(x + w, 1)
    for status, text, x, legend_y in legend:
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>'
                '<text x="{}" y="{}" font-size="11">{}</text>',
                x,
                legend_y,
                STATUS_COLOURS[status],
                x + 13,
                legend_y + 9,
                text,
            )
        )
    return _svg(width, height, "Clause statuses per category", "".join(parts))


# Steps between labelled columns on a time axis, by unit, so the labels fall evenly.
AXIS_STEPS = {
    "week": (1, 2, 4, 8, 13, 26, 52),
    "month": (1, 2, 3, 6, 12, 24, 60),
    "quarter": (1, 2, 4, 8, 12, 20, 40),
    "year": (1, 2, 5, 10, 20, 50, 100),
}


def party_bars(
    series: list[tuple[str, list[int]]],
    *,
    columns: list[tuple[str, str]],
    unit: str = "week",
    width: int = 520,
) -> str:
    """Violations attributed per party and ``unit`` (week, month...): one row of columns per
    party on a common scale, a time axis under the last row. ``columns``: (axis label, title
    label) of each column ("16 Feb", "week of 16 February 2015")."""
    if not series:
        return ""
    row_h, axis_h = 42, 16
    # Room for the longest "party (total)" label, up to half the chart; a longer name is cut,
    # never its total.
    totals = [f" ({sum(values)})" for _, values in series]
    names = [f"{party}{total}" for (party, _), total in zip(series, totals, strict=True)]
    fits = int((width // 2 - 12) / 6.6)
    label_w = min(max(150, round(6.6 * max(map(len, names))) + 12), width // 2)
    col_w = round((width - label_w) / max(len(columns), 1), 1)
    top = max((max(values) for _, values in series if values), default=1) or 1
    parts = []
    for i, (party, values) in enumerate(series):
        y = i * row_h
        name = names[i]
        if len(name) > fits:
            name = party[: fits - len(totals[i]) - 1].rstrip() + "…" + totals[i]
        parts.append(format_html('<text x="0" y="{}" font-size="12">{}</text>', y + 24, name))
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#90a4ae" stroke-width="1"/>',
                label_w,
                y + row_h - 5.5,
                width,
                y + row_h - 5.5,
            )
        )
        for w, n in enumerate(values):
            h = round((row_h - 10) * n / top, 1)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="#c62828">'
                    "<title>{}, {}: {} violation(s)</title></rect>",
                    round(label_w + w * col_w, 1),
                    round(y + row_h - 6 - h, 1),
                    round(max(col_w - 2, 1), 1),
                    h,
                    party,
                    columns[w][1],
                    n,
                )
            )
    # The time axis: a label every ``step`` columns, a step that reads evenly for the unit
    # (every year of quarters, not every six quarters) and leaves the labels room.
    axis_y = len(series) * row_h + 8
    room = 5.5 * max(len(axis) for axis, _ in columns) + 8
    step = next(
        (k for k in AXIS_STEPS.get(unit, AXIS_STEPS["week"]) if k * col_w >= room), len(columns)
    )
    for w in range(0, len(columns), step):
        axis, x = columns[w][0], label_w + w * col_w
        if x + room - 8 <= width:
            parts.append(
                format_html('<text x="{}" y="{}" font-size="9">{}</text>', x, axis_y, axis)
            )
    return _svg(
        width,
        len(series) * row_h + axis_h,
        f"Violations per party per {unit}; the tallest bar is {top}",
        "".join(parts),
    )


def heatmap(
    rows: list[tuple[str, list[tuple[int, int]]]],
    *,
    columns: list[tuple[str, str]],
    unit: str = "week",
) -> str:
    """Clauses x weeks (or months...): red for violations, green for compliance only,
    hatched for no data. ``columns``: (axis label, title label) of each column.

    Built with plain string formatting: a 1,000-clause agreement has 13,000 cells, and only
    the labels need escaping (the numbers are ours).
    """
    cell, label_w = 14, 70
    # Room on the right for the last axis label ("29 Jun", "2022 Q1").
    width = label_w + cell * len(columns) + 10 + 5 * max((len(a) for a, _ in columns), default=0)
    height = cell * len(rows) + 40
    top = max((v for _, cells in rows for v, _ in cells), default=1) or 1
    titles = [html_escape(title) for _, title in columns]
    axis_labels = [html_escape(axis) for axis, _ in columns]
    parts = [
        '<defs><pattern id="nodata" width="4" height="4" patternUnits="userSpaceOnUse">'
        '<path d="M0,4 L4,0" stroke="#b0bec5" stroke-width="1"/></pattern></defs>'
    ]
    for i, (label, cells) in enumerate(rows):
        y = i * cell + 14
        name = html_escape(label)
        parts.append(f'<text x="0" y="{y + 10}" font-size="10">{html_escape(label[:12])}</text>')
        for w, (violations, compliance) in enumerate(cells):
            if violations:
                fill = f"rgba(198,40,40,{0.25 + 0.75 * violations / top:.2f})"
                what = f"{violations} violation(s), {compliance} compliance"
            elif compliance:
                fill, what = "#66bb6a", f"{compliance} compliance observation(s)"
            else:
                fill, what = "url(#nodata)", "no data"
            parts.append(
                f'<rect x="{label_w + w * cell}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="{fill}"><title>{name}, {titles[w]}: {what}</title></rect>'
            )
    for w, axis in enumerate(axis_labels):
        if w % 4 == 0:
            parts.append(f'<text x="{label_w + w * cell}" y="10" font-size="9">{axis}</text>')
    # The cells' white grid lines come from the stylesheet (.heatmap rect), not 13,000
    # stroke attributes.
    return _svg(width, height, f"Timeline of clauses by {unit}", "".join(parts), css="heatmap")


def _svg(width: float, height: float, label: str, body: str, css: str = "") -> SafeString:
    return mark_safe(  # noqa: S308 - every part above is built with format_html
        f'<svg class="chart{" " + css if css else ""}" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )
