"""Server-side SVG charts: no script, no network, and they print as crisply as the text.

Every chart has a visible title, axes with tick labels and units, a legend, ``role="img"``
with an ``aria-label`` that sums it up, and a ``<title>`` on every mark; ``figure`` adds the
numbers as a table (the text alternative). Colours come from the Okabe–Ito palette, which
colour-blind readers tell apart, and never carry meaning alone: statuses also have a texture
(SVG patterns, so a black-and-white print still tells them apart) and every series a label.
"""

from collections.abc import Sequence
from html import escape as html_escape  # Django's escape, without its lazy wrapper
from itertools import count

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
GREY = "#BBBBBB"

# Status: (fill, texture). The badges in scorecards.css use the same fills.
STATUS_STYLES = {
    "violated": (OKABE_ITO["vermillion"], "solid"),
    "violated_before_end": (OKABE_ITO["vermillion"], "diagonal"),
    "deadline_missed": (OKABE_ITO["reddish_purple"], "crosshatch"),
    "prerequisite_breached": (OKABE_ITO["reddish_purple"], "vertical"),
    "not_verifiable": (OKABE_ITO["sky_blue"], "horizontal"),
    "unmonitored": (OKABE_ITO["orange"], "backdiagonal"),
    "stale": (OKABE_ITO["yellow"], "dots"),
    "single_source": (OKABE_ITO["blue"], "grid"),
    "complied": (OKABE_ITO["bluish_green"], "solid"),
    "not_in_force": (GREY, "solid"),
    "no_data": ("#FFFFFF", "diagonal"),
}
STATUS_COLOURS = {status: fill for status, (fill, _) in STATUS_STYLES.items()}
# Series of a chart by party, in order; "Unattributed" is grey and hatched.
SERIES_COLOURS = [
    OKABE_ITO[name]
    for name in ("blue", "vermillion", "bluish_green", "reddish_purple", "orange", "sky_blue")
]
UNATTRIBUTED_STYLE = ("#8C8C8C", "diagonal")
TEXTURES = {
    "solid": "",
    "diagonal": "M-2,2 L2,-2 M0,8 L8,0 M6,10 L10,6",
    "backdiagonal": "M-2,6 L2,10 M0,0 L8,8 M6,-2 L10,2",
    "crosshatch": "M0,8 L8,0 M0,0 L8,8",
    "horizontal": "M0,4 H8",
    "vertical": "M4,0 V8",
    "grid": "M0,4 H8 M4,0 V8",
    "dots": "",
}
FONT = 12  # the smallest text on a chart: legible at its natural size on a phone
# A chart drawn for a 390-pixel phone (its page's margins taken off); narrower than
# NAMES_ABOVE, the bars' names go above their bars, not in a column beside them.
PHONE_WIDTH = 360
NAMES_ABOVE = 480
AXIS = "#37474F"
GRIDLINE = "#CFD8DC"


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#RRGGBB``."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#RRGGBB`` colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``."""
    return "#000000" if contrast(fill, "#000000") >= contrast(fill, "#FFFFFF") else "#FFFFFF"


def _pattern(pid: str, fill: str, texture: str) -> str:
    ink = "#FFFFFF" if text_on(fill) == "#FFFFFF" else "#000000"
    if texture == "dots":
        mark = f'<circle cx="4" cy="4" r="1.6" fill="{ink}" fill-opacity=".6"/>'
    elif TEXTURES.get(texture):
        mark = (
            f'<path d="{TEXTURES[texture]}" stroke="{ink}" stroke-opacity=".6" stroke-width="1.4"/>'
        )
    else:
        mark = ""
    return (
        f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{fill}"/>{mark}</pattern>'
    )


class _Ids:
    """Pattern ids unique in the page (several charts share one document)."""

    _counter = count(1)

    def __init__(self) -> None:
        self.prefix = f"c{next(self._counter)}"

    def __call__(self, name: str) -> str:
        return f"{self.prefix}-{name}"


def _text(
    x: float, y: float, text: str, *, size: int = FONT, anchor: str = "start", **attrs
) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{html_escape(str(v))}"' for k, v in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>'
        f"{html_escape(text)}</text>"
    )


def _legend(items: Sequence[tuple[str, str]], *, y: float, width: float) -> tuple[str, float]:
    """Swatches (``fill`` may be a ``url(#pattern)``) with their labels, wrapping; returns the
    markup and the height used."""
    parts, x, line = [], 0.0, 0
    fits = int((width - 34) / 7)
    for fill, label in items:
        label = label if len(label) <= fits else label[: fits - 1] + "…"
        item_w = 20 + 7 * len(label) + 14
        if x and x + item_w > width:
            x, line = 0.0, line + 1
        top = y + 18 * line
        parts.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="14" height="14" fill="{fill}" '
            f'stroke="{AXIS}" stroke-width=".6"/>' + _text(x + 19, top + 11.5, label)
        )
        x += item_w
    return "".join(parts), 18 * (line + 1) if items else 0


# Steps between labelled columns on a time axis, by unit, so the labels fall evenly (every
# year of quarters, not every third quarter).
AXIS_STEPS = {
    "week": (1, 2, 4, 8, 13, 26, 52),
    "month": (1, 2, 3, 6, 12, 24, 60),
    "quarter": (1, 2, 4, 8, 12, 20, 40),
    "year": (1, 2, 5, 10, 20, 50, 100),
}


def _time_ticks(
    columns: Sequence[tuple[str, str]],
    *,
    x0: float,
    col_w: float,
    y: float,
    right: float,
    unit: str = "week",
) -> str:
    """Tick marks and labels under a time axis: every ``step`` columns, a step that reads
    evenly for the unit and leaves the labels room, never a label cut at the right edge."""
    if not columns:
        return ""
    room = 7 * max(len(axis) for axis, _ in columns) + 10
    steps = AXIS_STEPS.get(unit, AXIS_STEPS["week"])
    step = next((k for k in steps if k * col_w >= room), len(columns))
    parts = []
    for i in range(0, len(columns), step):
        x = x0 + i * col_w
        if x + room - 10 > right:
            break
        parts.append(
            f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y + 4:.1f}" stroke="{AXIS}"/>'
            + _text(x, y + 4 + FONT, columns[i][0])
        )
    return "".join(parts)


def _svg(width: float, height: float, label: str, body: str, css: str = "") -> SafeString:
    return mark_safe(  # noqa: S308 - every part is escaped where it is built
        f'<svg class="chart{" " + css if css else ""}" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(label)}" '
        f'font-family="system-ui, sans-serif"><title>{escape(label)}</title>{body}</svg>'
    )


def sparkline(
    values: list[int], *, width: int = 150, height: int = 40, label: str = ""
) -> SafeString | str:
    """A small trend with its scale: a zero baseline, the highest value printed at the top
    left, and "none" written across when every value is zero."""
    if not values:
        return ""
    top = max(values)
    left, plot_w, plot_h, base = 30, width - 34, height - 12, height - 4
    parts = [
        f'<line x1="{left}" y1="{base}" x2="{width - 2}" y2="{base}" stroke="{AXIS}"/>',
        _text(left - 4, base, "0", anchor="end"),
    ]
    if top == 0:
        parts.append(_text(left + plot_w / 2, base - 8, "none", anchor="middle"))
        description = f"{label}: none (0 every time)"
    else:
        step = plot_w / max(len(values) - 1, 1)
        points = " ".join(
            f"{left + i * step:.1f},{base - v / top * plot_h:.1f}" for i, v in enumerate(values)
        )
        parts += [
            f'<line x1="{left}" y1="{base - plot_h}" x2="{width - 2}" y2="{base - plot_h}" '
            f'stroke="{GRIDLINE}" stroke-dasharray="2 2"/>',
            _text(left - 4, base - plot_h + 4, str(top), anchor="end"),
            f'<polyline fill="none" stroke="{OKABE_ITO["vermillion"]}" stroke-width="2" '
            f'points="{points}"/>',
        ]
        description = f"{label}; highest {top}: " + ", ".join(str(v) for v in values)
    return _svg(width, height, description, "".join(parts), css="spark")


def stacked_bars(
    rows: list[tuple[str, dict[str, int]]],
    *,
    labels: dict[str, str],
    width: int = 640,
    title: str = "Clause statuses per category",
) -> SafeString:
    """One horizontal bar per row (e.g. a clause category), one segment per status with its
    count written on it; an axis of clauses under the bars."""
    ids = _Ids()
    above = width < NAMES_ABOVE
    label_w, bar_h, gap, top_y = (14, 20, 24, 40) if above else (200, 20, 8, 24)
    plot_w = width - label_w - 10
    most = max((sum(c.values()) for _, c in rows), default=0) or 1
    used = [s for s in STATUS_STYLES if any(c.get(s) for _, c in rows)]
    defs = "".join(_pattern(ids(s), *STATUS_STYLES[s]) for s in used)
    parts = [f"<defs>{defs}</defs>", _text(0, 14, title, size=13, font_weight="600")]
    for i, (name, counts) in enumerate(rows):
        y = top_y + i * (bar_h + gap)
        parts.append(
            _text(0, y - 6, _fit(name, width))
            if above
            else _text(0, y + 15, name[:30] + ("…" if len(name) > 30 else ""))
        )
        x = float(label_w)
        for status in used:
            n = counts.get(status, 0)
            if not n:
                continue
            w = plot_w * n / most
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="url(#{ids(status)})" stroke="#FFFFFF" stroke-width="1">'
                f"<title>{html_escape(name)}: {n} {html_escape(labels.get(status, status))}"
                "</title></rect>"
            )
            if w >= 14:
                parts.append(_label_on_mark(x + w / 2, y + 15, str(n)))
            x += w
    axis_y = top_y + len(rows) * (bar_h + gap)
    parts.append(_axis_line(label_w, axis_y, width - 10, axis_y))
    for tick in _nice_ticks(most):
        x = label_w + plot_w * tick / most
        parts.append(
            f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 4}" stroke="{AXIS}"/>'
            + _text(x, axis_y + 4 + FONT, str(tick), anchor="middle")
        )
    parts.append(_text(width - 10, axis_y + 34, "clauses", anchor="end"))
    legend, legend_h = _legend(
        [(f"url(#{ids(s)})", labels.get(s, s)) for s in used], y=axis_y + 44, width=width
    )
    parts.append(legend)
    summary = "; ".join(
        f"{name}: " + ", ".join(f"{n} {labels.get(s, s)}" for s, n in c.items() if n)
        for name, c in rows
    )
    return _svg(width, axis_y + 48 + legend_h, f"{title}. {summary}", "".join(parts))


def _fit(text: str, width: float) -> str:
    """``text`` cut with an ellipsis to the characters that fit ``width`` pixels."""
    fits = int(width / 6.8)
    return text if len(text) <= fits else text[: fits - 1] + "…"


def _label_on_mark(x: float, y: float, text: str) -> str:
    """A figure written on a coloured or textured mark: black with a white halo reads on any."""
    return _text(
        x,
        y,
        text,
        anchor="middle",
        font_weight="600",
        stroke="#FFFFFF",
        stroke_width=3,
        paint_order="stroke",
    )


def _axis_line(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{AXIS}"/>'


def _nice_ticks(top: float) -> list[int]:
    """0, top and a few round values between (integers)."""
    if top <= 0:
        return [0]
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top / step <= 5:
            break
    ticks = list(range(0, int(top) + 1, step))
    return ticks


def party_bars(
    series: list[tuple[str, list[int]]],
    *,
    columns: list[tuple[str, str]],
    unit: str = "week",
    width: int = 640,
    measure: str = "violations",
    styles: list[tuple[str, str]] | None = None,
    title: str = "",
) -> SafeString | str:
    """Small multiples: one row of columns per series (a party, "Unattributed"...) on one
    common scale with its name and total written above it, a y scale (0 and the tallest
    column) and one time axis under the last row. ``columns``: (axis label, title label) of
    each column ("16 Feb", "week of 16 February 2015"); ``styles``: (fill, texture) of each
    series (default: the palette in order)."""
    if not series:
        return ""
    ids = _Ids()
    styles = styles or [
        (SERIES_COLOURS[i % len(SERIES_COLOURS)], "solid") for i in range(len(series))
    ]
    title = title or f"{measure.capitalize()} per {unit}"
    left, right, name_h, bars_h, gap, top_y = 44, width - 6, 18, 44, 10, 26
    col_w = (right - left) / max(len(columns), 1)
    top = max((max(values) for _, values in series if values), default=0)
    scale = top or 1
    defs = "".join(_pattern(ids(str(i)), *style) for i, style in enumerate(styles))
    parts = [f"<defs>{defs}</defs>", _text(0, 14, title, size=13, font_weight="600")]
    fits = int((right - 0) / 6.8)
    for i, (name, values) in enumerate(series):
        y = top_y + i * (name_h + bars_h + gap)
        total = f" ({sum(values)} in all)"
        shown = name if len(name) + len(total) <= fits else name[: fits - len(total) - 1] + "…"
        parts.append(_text(0, y + 13, shown + total, font_weight="600"))
        base = y + name_h + bars_h
        parts += [
            _axis_line(left, base, right, base),
            _axis_line(left, base - bars_h, left, base),
            _text(left - 5, base, "0", anchor="end"),
            _text(left - 5, base - bars_h + 9, str(top), anchor="end"),
            f'<line x1="{left}" y1="{base - bars_h}" x2="{right}" y2="{base - bars_h}" '
            f'stroke="{GRIDLINE}" stroke-dasharray="2 2"/>',
        ]
        if not any(values):
            parts.append(_text((left + right) / 2, base - 14, f"no {measure}", anchor="middle"))
        for w, n in enumerate(values):
            if not n:
                continue
            h = bars_h * n / scale
            parts.append(
                f'<rect x="{left + w * col_w:.1f}" y="{base - h:.1f}" '
                f'width="{max(col_w - 1, 1):.1f}" height="{h:.1f}" fill="url(#{ids(str(i))})">'
                f"<title>{html_escape(name)}, {html_escape(columns[w][1])}: {n} {measure}"
                "</title></rect>"
            )
    axis_y = top_y + len(series) * (name_h + bars_h + gap) - gap
    parts.append(_time_ticks(columns, x0=left, col_w=col_w, y=axis_y, right=right, unit=unit))
    parts.append(_text(right, axis_y + 34, f"{measure} per {unit}; time →", anchor="end"))
    legend, legend_h = _legend(
        [(f"url(#{ids(str(i))})", name) for i, (name, _) in enumerate(series)],
        y=axis_y + 44,
        width=width,
    )
    parts.append(legend)
    summary = "; ".join(f"{name}: {sum(values)}" for name, values in series)
    label = f"{title}, one row per series on one scale (the tallest column: {top}). {summary}"
    return _svg(width, axis_y + 48 + legend_h, label, "".join(parts))


def line_chart(
    points: list[tuple[str, str, float | None]],
    *,
    title: str,
    series: str,
    unit: str,
    y_max: float = 100,
    y_label: str = "%",
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """One series over time on a fixed scale 0..``y_max`` (a rate in %): axes with ticks, a
    marker on each value, gaps where there is none (N/A). ``points``: (axis label, title
    label, value or None) of each period end."""
    left, right, top_y, bottom = 48, width - 10, 30, height - 70
    plot_h = bottom - top_y
    col_w = (right - left) / max(len(points) - 1, 1)
    colour = OKABE_ITO["blue"]
    parts = [_text(0, 14, title, size=13, font_weight="600")]
    for tick in range(0, int(y_max) + 1, int(y_max // 4) or 1):
        y = bottom - plot_h * tick / y_max
        parts += [
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRIDLINE}"/>',
            _text(left - 6, y + 4, f"{tick} {y_label}", anchor="end"),
        ]
    parts += [_axis_line(left, top_y, left, bottom), _axis_line(left, bottom, right, bottom)]
    segments: list[list[str]] = [[]]
    markers = []
    for i, (_, full, value) in enumerate(points):
        x = left + i * col_w
        if value is None:
            segments.append([])
            continue
        y = bottom - plot_h * value / y_max
        segments[-1].append(f"{x:.1f},{y:.1f}")
        markers.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
            f"<title>{html_escape(full)}: {value:g} {y_label}</title></circle>"
        )
    parts += [
        f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(s)}"/>'
        for s in segments
        if len(s) > 1
    ]
    parts += markers
    columns = [(axis, full) for axis, full, _ in points]
    # The ticks sit on the points (period ends); labels start there.
    parts.append(_time_ticks(columns, x0=left, col_w=col_w, y=bottom, right=right + 20, unit=unit))
    parts.append(_text(right, bottom + 34, f"per {unit} (as of its last day)", anchor="end"))
    legend, legend_h = _legend([(colour, series)], y=bottom + 44, width=width)
    parts.append(legend)
    if points and all(v is None for *_, v in points):
        parts.append(
            _text((left + right) / 2, top_y + plot_h / 2, "N/A: nothing assessed", anchor="middle")
        )
    known = [(full, v) for _, full, v in points if v is not None]
    summary = (
        f"from {known[0][1]:g} {y_label} ({known[0][0]}) to {known[-1][1]:g} {y_label} "
        f"({known[-1][0]})"
        if known
        else "no value (N/A)"
    )
    return _svg(width, bottom + 48 + legend_h, f"{title}: {summary}", "".join(parts))


def progress_bars(
    rows: list[tuple[str, float | None, str]], *, title: str, width: int = 640
) -> SafeString:
    """One bar per row on a 0-100 % axis, its value written beside it, "N/A" for a row with
    none. ``rows``: (label, percent or None, note such as "3 assessed")."""
    above = width < NAMES_ABOVE
    label_w, bar_h, gap, top_y = (14, 18, 26, 42) if above else (200, 18, 10, 26)
    right = width - (60 if above else 110)
    plot_w = right - label_w
    colour = OKABE_ITO["blue"]
    parts = [_text(0, 14, title, size=13, font_weight="600")]
    for i, (name, value, note) in enumerate(rows):
        y = top_y + i * (bar_h + gap)
        parts += [
            _text(0, y - 6, _fit(name, width))
            if above
            else _text(0, y + 14, name[:30] + ("…" if len(name) > 30 else "")),
            f'<rect x="{label_w}" y="{y}" width="{plot_w}" height="{bar_h}" fill="#FFFFFF" '
            f'stroke="{AXIS}" stroke-width=".6"/>',
        ]
        if value is None:
            parts.append(_text(label_w + 6, y + 14, f"N/A ({note})"))
            continue
        parts += [
            f'<rect x="{label_w}" y="{y}" width="{plot_w * value / 100:.1f}" height="{bar_h}" '
            f'fill="{colour}"><title>{html_escape(name)}: {value:g} % ({html_escape(note)})'
            "</title></rect>",
            _text(right + 6, y + 14, f"{value:g} %"),
        ]
    axis_y = top_y + len(rows) * (bar_h + gap)
    parts.append(_axis_line(label_w, axis_y, right, axis_y))
    for tick in (0, 25, 50, 75, 100):
        x = label_w + plot_w * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 4}" stroke="{AXIS}"/>'
            + _text(x, axis_y + 4 + FONT, f"{tick} %", anchor="middle")
        )
    legend, legend_h = _legend(
        [(colour, "implemented (PAM rate)"), ("#FFFFFF", "not yet")], y=axis_y + 28, width=width
    )
    parts.append(legend)
    summary = "; ".join(
        f"{name}: {'N/A' if value is None else f'{value:g} %'}" for name, value, _ in rows
    )
    return _svg(width, axis_y + 32 + legend_h, f"{title}. {summary}", "".join(parts))


def heatmap(
    rows: list[tuple[str, list[tuple[int, int]]]],
    *,
    columns: list[tuple[str, str]],
    unit: str = "week",
) -> SafeString:
    """Clauses x weeks (or months...): vermillion for violations (darker: more), bluish green
    for compliance only, hatched for no data, with a legend. ``columns``: (axis label, title
    label) of each column.

    Built with plain string formatting: a 1,000-clause agreement has 13,000 cells, and only
    the labels need escaping (the numbers are ours).
    """
    ids = _Ids()
    cell, label_w, top_y = 16, 80, 22
    last = max((len(a) for a, _ in columns), default=0)
    width = max(label_w + cell * len(columns) + 7 * last + 10, 420)
    top = max((v for _, cells in rows for v, _ in cells), default=1) or 1
    titles = [html_escape(title) for _, title in columns]
    nodata = ids("nodata")
    vermillion, green = OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"]
    parts = [
        f'<defs><pattern id="{nodata}" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" fill="#FFFFFF"/>'
        '<path d="M0,6 L6,0" stroke="#90A4AE" stroke-width="1"/></pattern></defs>'
    ]
    for i, (label, cells) in enumerate(rows):
        y = i * cell + top_y
        name = html_escape(label)
        parts.append(_text(0, y + 12, label[:11]))
        for w, (violations, compliance) in enumerate(cells):
            if violations:
                fill = f'{vermillion}" fill-opacity="{0.3 + 0.7 * violations / top:.2f}'
                what = f"{violations} violation(s), {compliance} compliance"
            elif compliance:
                fill, what = green, f"{compliance} compliance observation(s)"
            else:
                fill, what = f"url(#{nodata})", "no data"
            parts.append(
                f'<rect x="{label_w + w * cell}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="{fill}"><title>{name}, {titles[w]}: {what}</title></rect>'
            )
    # Axis labels above the grid, where the eye starts.
    room = 7 * last + 10
    steps = AXIS_STEPS.get(unit, AXIS_STEPS["week"])
    step = next((k for k in steps if k * cell >= room), len(columns))
    for w in range(0, len(columns), step or 1):
        parts.append(_text(label_w + w * cell, top_y - 6, columns[w][0]))
    bottom = top_y + cell * len(rows) + 10
    legend, legend_h = _legend(
        [
            (vermillion, f"violations (darker: more, up to {top})"),
            (green, "compliance only"),
            (f"url(#{nodata})", "no data"),
        ],
        y=bottom,
        width=width,
    )
    parts.append(legend)
    # The cells' white grid lines come from the stylesheet (.heatmap rect), not 13,000
    # stroke attributes.
    return _svg(
        width,
        bottom + legend_h + 4,
        f"Timeline of clauses by {unit}",
        "".join(parts),
        css="heatmap",
    )


def data_table(
    caption: str, headers: Sequence[str], rows: Sequence[Sequence[object]]
) -> SafeString:
    """The numbers of a chart as a table, folded in a ``<details>`` under it."""
    head = format_html_join("", "<th scope='col'>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),) for row in rows),
    )
    return format_html(
        '<details class="chart-data"><summary>{} (table)</summary><div class="table-scroll" '
        'tabindex="0" role="region" aria-label="{}"><table><thead><tr>{}</tr></thead>'
        "<tbody>{}</tbody></table></div></details>",
        caption,
        caption,
        head,
        body,
    )


def figure(
    svg: SafeString | str,
    *,
    caption: str,
    table: SafeString | str = "",
    id: str = "",
    phone: SafeString | str = "",
) -> SafeString:
    """A chart in a figure: its caption, a scroll box on a narrow screen (reachable from the
    keyboard), and its numbers as a table (the text alternative). With ``phone``, that
    drawing (PHONE_WIDTH wide) is the one a phone shows, the stylesheet choosing."""
    if not svg:
        return SafeString("")
    if phone:
        svg = format_html(
            '<div class="chart-desk">{}</div><div class="chart-phone">{}</div>', svg, phone
        )
    return format_html(
        '<figure class="chart-figure"{}><div class="chart-scroll" tabindex="0" role="region" '
        'aria-label="{} (scrolls sideways on a narrow screen)">{}</div>'
        '<figcaption class="muted">{}</figcaption>{}</figure>',
        format_html(' id="{}"', id) if id else "",
        caption,
        svg,
        caption,
        table,
    )
