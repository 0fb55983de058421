"""The explorer's weekly series as a server-rendered SVG: bars stacked by kind, with a y axis
(observations per week), a time axis, Okabe–Ito colours each with its own pattern (never
colour alone), a title on every bar and the numbers in a table beside it (the template).

Two sizes are drawn, a desk one and a phone one, each at the scale it is shown, so the text is
12 px on a 390-pixel phone as on a desk: the stylesheet shows one of them.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from monitor.explore.selectors import KIND_LABELS, WeeklySeries

# Okabe & Ito (2008), the colour-blind-safe palette: one colour and one pattern per kind.
KIND_COLOURS = {
    "violation": "#D55E00",
    "compliance": "#009E73",
    "incident": "#E69F00",
    "access_restricted": "#CC79A7",
    "information": "#0072B2",
}
# The pattern drawn in white over the colour: solid, diagonal, dots, crosshatch, horizontal.
KIND_PATTERNS = {
    "violation": "",
    "compliance": '<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="#fff" stroke-width="1.2"/>',
    "incident": '<circle cx="3" cy="3" r="1.1" fill="#fff"/>',
    "access_restricted": '<path d="M0,0 L6,6 M6,0 L0,6" stroke="#fff" stroke-width="1"/>',
    "information": '<path d="M0,3 H6" stroke="#fff" stroke-width="1.2"/>',
}
FONT = 12
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class Size:
    name: str
    width: int
    height: int


DESK = Size("desk", 540, 300)
PHONE = Size("phone", 360, 260)


def day_label(day: dt.date, *, year: bool = True) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}" + (f" {day.year}" if year else "")


def nice_top(value: int) -> tuple[int, int]:
    """The y axis's top and its step: 1, 2 or 5 times a power of ten, at most 5 steps."""
    value = max(value, 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if step * 5 >= value:
                return -(-value // step) * step, step
        magnitude *= 10


def time_ticks(weeks: list[dt.date], *, room: float) -> list[tuple[int, str]]:
    """(index of the week, label) on the time axis: weeks (for a short span), months or
    years, whichever is the finest whose labels do not run into each other in ``room``."""
    if not weeks:
        return []
    bar = room / len(weeks)

    def width(label: str) -> float:
        return len(label) * FONT * 0.62 + 10

    def spaced(ticks: list[tuple[int, str]]) -> bool:
        apart = all((b - a) * bar >= width(label) for (a, label), (b, _) in pairs(ticks))
        return len(ticks) >= 2 and apart and ticks[-1][0] * bar + width(ticks[-1][1]) <= room + 30

    options: list[list[tuple[int, str]]] = []
    if len(weeks) <= 20:
        for step in (1, 2, 4):
            options.append(
                [(i, day_label(w, year=False)) for i, w in enumerate(weeks) if i % step == 0]
            )
    # A week holds the first of a month when its Sunday is one of the month's first 7 days.
    months = [
        (i, (w + dt.timedelta(days=6)).replace(day=1))
        for i, w in enumerate(weeks)
        if (w + dt.timedelta(days=6)).day <= 7
    ]
    for step in (1, 2, 3, 6):
        kept = [(i, m) for i, m in months if (m.month - 1) % step == 0]
        options.append(
            [
                (i, MONTHS[m.month - 1] + (f" {m.year}" if n == 0 or m.month == 1 else ""))
                for n, (i, m) in enumerate(kept)
            ]
        )
    years = [(i, m.year) for i, m in months if m.month == 1]
    for step in (1, 2, 5, 10):
        options.append([(i, str(year)) for i, year in years if year % step == 0])
    for ticks in options:
        if spaced(ticks):
            return ticks
    return [(0, day_label(weeks[0]))]


def pairs(items: list) -> list[tuple]:
    return list(zip(items, items[1:], strict=False))


def weekly_chart(series: WeeklySeries, *, size: Size) -> SafeString:
    """The series as stacked bars at ``size``, with axes, a title per bar and a text label."""
    if not series.weeks:
        return mark_safe("")
    weeks = [w for w, _ in series.weeks]
    totals = [sum(kinds.values()) for _, kinds in series.weeks]
    top_value, step = nice_top(max(totals))
    # Room for the longest count on the y axis ("20,000").
    left = round(len(f"{top_value:,}") * FONT * 0.62) + 12
    right, top, bottom = 12, 24, 28
    plot_w, plot_h = size.width - left - right, size.height - top - bottom
    bar_w = plot_w / len(weeks)
    gap = 1 if bar_w >= 4 else 0
    prefix = f"wk-{size.name}"
    parts = ["<defs>"]
    for kind, pattern in KIND_PATTERNS.items():
        if pattern:
            parts.append(
                f'<pattern id="{prefix}-{kind}" width="6" height="6" patternUnits="userSpaceOnUse">'
                f'<rect width="6" height="6" fill="{KIND_COLOURS[kind]}"/>{pattern}</pattern>'
            )
    parts.append("</defs>")
    # The y axis: gridlines and counts; its title above it.
    parts.append(
        format_html(
            '<text x="0" y="{}" font-size="{}" class="axis-title">Observations per week</text>',
            FONT,
            FONT,
        )
    )
    for value in range(0, top_value + 1, step):
        y = top + plot_h - plot_h * value / top_value
        parts.append(
            f'<line x1="{left}" x2="{size.width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{"#546e7a" if value == 0 else "#dde3e6"}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="{FONT}" text-anchor="end">'
            f"{value:,}</text>"
        )
    for i, (week, kinds) in enumerate(series.weeks):
        total = totals[i]
        if not total:
            continue
        x = left + i * bar_w
        y = top + plot_h
        what = ", ".join(
            f"{kinds[k]:,} {KIND_LABELS[k].lower()}" for k in series.kinds if kinds.get(k)
        )
        parts.append(
            format_html(
                "<g><title>Week of {}: {} observation{} ({})</title>",
                day_label(week),
                f"{total:,}",
                "" if total == 1 else "s",
                what,
            )
        )
        for kind in series.kinds:
            n = kinds.get(kind, 0)
            if not n:
                continue
            h = plot_h * n / top_value
            y -= h
            fill = f"url(#{prefix}-{kind})" if KIND_PATTERNS[kind] else KIND_COLOURS[kind]
            parts.append(
                f'<rect x="{x:.2f}" y="{y:.2f}" width="{max(bar_w - gap, 0.6):.2f}" '
                f'height="{h:.2f}" fill="{fill}"/>'
            )
        parts.append("</g>")
    for i, label in time_ticks(weeks, room=plot_w):
        x = left + i * bar_w
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#546e7a"/>'
                '<text x="{}" y="{}" font-size="{}">{}</text>',
                f"{x:.1f}",
                f"{x:.1f}",
                top + plot_h,
                top + plot_h + 4,
                f"{x:.1f}",
                top + plot_h + 4 + FONT + 2,
                FONT,
                label,
            )
        )
    return _svg(size, chart_label(series), "".join(parts))


def chart_label(series: WeeklySeries) -> str:
    """The chart in a sentence (its text alternative; the table gives every number)."""
    first, last = series.first_day, series.last_day
    if first is None or last is None:
        return "Observations per week: none"
    totals = [(sum(kinds.values()), week) for week, kinds in series.weeks]
    most, busiest = max(totals, key=lambda t: (t[0], -t[1].toordinal()))
    kinds = ", ".join(KIND_LABELS[k].lower() for k in series.kinds)
    return (
        f"Observations per week by kind ({kinds}), {day_label(first)} to {day_label(last)}: "
        f"{series.total:,} in all; the busiest week, of {day_label(busiest)}, had {most:,}."
    )


def _svg(size: Size, label: str, body: str) -> SafeString:
    return format_html(
        '<svg class="weekly weekly-{}" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}"><title>{}</title>{}</svg>',
        size.name,
        size.width,
        size.height,
        size.width,
        size.height,
        label,
        label,
        mark_safe(body),  # noqa: S308 - built above from numbers, our labels and format_html
    )
