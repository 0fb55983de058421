"""Scorecard pages for analysts (and observers, for the agreements their missions serve).

Every page reads on two clocks: ``as_of`` (the moment its statuses describe) and ``known_at``
(what had been filed by then, default now); an agreement's page also takes a period
(``from``/``to``), by default its active life once it has ended (monitor.scorecards.picture).
"""

import datetime as dt
import functools
from html import escape as html_escape  # the same as Django's escape, without its lazy wrapper
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

from accounts.access import reach_of
from agreements.models import Agreement, Clause, Party
from agreements.selectors import agreements_with_figures_for
from core.params import DateWindow, ParameterError, clocks_from_params
from monitor import charts
from monitor.explore.filters import ExploreFilters
from monitor.models import Severity
from monitor.scorecards import page_charts
from monitor.scorecards.agreement import agreement_scorecard
from monitor.scorecards.buckets import Buckets, buckets_over
from monitor.scorecards.cards import AgreementScorecard
from monitor.scorecards.clause import clause_figures
from monitor.scorecards.history import rate_history
from monitor.scorecards.links import Counted, alerts_url
from monitor.scorecards.overview import agreements_overview
from monitor.scorecards.party import party_scorecard
from monitor.scorecards.picture import (
    Picture,
    agreements_active_periods,
    period_from_params,
    picture_from_params,
)
from monitor.scorecards.watchers import clause_watchers
from monitor.selectors import alerts_visible_to, alerts_with_evidence_for
from monitor.status import STATUS_LABELS, clause_status
from reports.formats import csv_stream
from reports.models import Observation
from reports.selectors import observations_visible_to, observations_withheld_from

# Columns of the timeline before weeks are grouped into months (then quarters, years).
TIMELINE_MOST = 60
# The clause page lists the latest rows; the explorer has them all.
CLAUSE_ROWS_SHOWN = 20
UNATTRIBUTED = "Unattributed"


def agreements_visible_to(user) -> QuerySet[Agreement]:
    """The agreements whose scorecards the user reads (the access policy decides); a
    logged-in user with no such role gets the project's 403 page."""
    reach = reach_of(user)
    if reach.role == "api consumer":
        raise PermissionDenied(
            "API consumers read scorecards through the API (/api/v1/scorecards/) with a token."
        )
    if not reach.uses_pages or reach.figures == "none":
        raise PermissionDenied(
            "Scorecards are for analysts and observers. Ask an administrator for a role."
        )
    return agreements_with_figures_for(user=user)


def page(view):
    """A page view that answers a bad query parameter with 400 in the site's layout,
    naming the parameter and what it expects, instead of a 404 or a server error."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ParameterError as bad:
            context = {"parameter": bad.name, "expected": bad.expected, "given": bad.given}
            return render(request, "scorecards/bad_request.html", context, status=400)

    return login_required(wrapped)


def _day(moment: dt.datetime | None) -> str:
    return moment.date().isoformat() if moment else ""


@page
def overview(request):
    as_of, known_at = clocks_from_params(request.GET)
    visible = set(agreements_visible_to(request.user).values_list("pk", flat=True))
    known = request.GET.get("known_at", "") if known_at else ""
    rows = []
    for row in agreements_overview(as_of=as_of, known_at=known_at):
        if row.agreement.pk not in visible:
            continue
        buckets = row.buckets
        unit = buckets.unit if buckets else "week"
        spark = ""
        if buckets:
            span = f"{buckets.label(0)} to {buckets.label(len(buckets.starts) - 1)}"
            spark = charts.sparkline(list(row.trend), label=f"Violations per {unit}, {span}")
        code = row.agreement.code
        alerts = [
            (
                Severity(severity).label,
                row.open_alerts_by_severity[severity],
                alerts_url(agreement=code, severity=severity),
            )
            for severity in (4, 3, 2, 1)
        ]
        rows.append(
            {
                "row": row,
                "sparkline": spark,
                "peak": max(row.trend, default=0),
                "alerts": alerts,
                "alerts_url": alerts_url(agreement=code),
                "violations_url": Counted(period=row.period, known_at=known).violations(
                    agreement=code
                )
                if row.period
                else "",
            }
        )
    today = timezone.now().date()
    since = today - dt.timedelta(days=7)
    context = {
        "rows": rows,
        "now": as_of or timezone.now(),
        "as_of_day": _day(as_of),
        "known_at_day": _day(known_at),
        "known_at": known_at or timezone.now(),
        "changes_url": reverse("changes:changes") + "?" + urlencode({"since": since.isoformat()}),
    }
    return render(request, "scorecards/overview.html", context)


CSV_COLUMNS = [
    ("reference", "clause", "#x_clause"),
    ("title", "title", "#description +title"),
    ("category", "category", "#sector"),
    ("status", "status", "#status"),
    ("level", "implementation level (0-3)", "#indicator +level"),
    ("deadline", "deadline", "#date +deadline"),
    ("violations", "violations in period", "#indicator +violations"),
    ("compliance", "compliance in period", "#indicator +compliance"),
    ("outside", "outside the clause's period / area", "#indicator +outside"),
]


def _picture_query(picture: Picture, **extra: str) -> str:
    """The query string that shows ``picture`` again (defaults spelled out)."""
    params = {"from": picture.period.start.isoformat(), "to": picture.period.end.isoformat()}
    if picture.as_of_given:
        params["as_of"] = _day(picture.as_of)
    if picture.known_at_given:
        params["known_at"] = _day(picture.known_at)
    return urlencode({**params, **extra})


def _presets(picture: Picture) -> list[tuple[str, str, bool]]:
    """(label, query, current) of the periods one click away."""
    life, today = picture.life, timezone.now().date()
    if life is None or life.start > today:
        return []
    whole = life.so_far(today)
    ended = life.ended_by(today)
    last = DateWindow(start=max(whole.start, whole.end - dt.timedelta(days=84)), end=whole.end)
    presets = [
        (
            "Whole active life" if ended else "Since entry into force",
            urlencode({"from": whole.start.isoformat(), "to": whole.end.isoformat()}),
            picture.period == whole and not picture.as_of_given,
        ),
        (
            "Last 12 weeks of it" if ended else "Last 12 weeks",
            urlencode({"from": last.start.isoformat(), "to": last.end.isoformat()}),
            picture.period == last and not picture.as_of_given,
        ),
    ]
    return presets


def _timeline(card: AgreementScorecard) -> tuple[Buckets, list[int]]:
    """The timeline's columns: the period's weeks, or months (quarters, years) when there
    are more than ``TIMELINE_MOST``; and the column of each week."""
    return _weeks_shown(card.weeks, card.period)


def _regroup(values: list, of_week: list[int], size: int, zero):
    """``values`` per week summed into the timeline's columns (as they are for weeks)."""
    if size == len(values):
        return values
    cells = [zero] * size
    for week, value in enumerate(values):
        cells[of_week[week]] = _add(cells[of_week[week]], value)
    return cells


def _add(a, b):
    return a + b if isinstance(a, int) else (a[0] + b[0], a[1] + b[1])


@page
def agreement(request, code: str):
    target = get_object_or_404(agreements_visible_to(request.user), code=code)
    life = agreements_active_periods([target])[target.pk]
    picture = picture_from_params(request.GET, life=life)
    card = agreement_scorecard(agreement=target, picture=picture)
    if request.GET.get("format") == "csv":
        return _csv(card, hxl=request.GET.get("hxl") in ("1", "true", "yes"))
    buckets, of_week = _timeline(card)
    size = len(buckets.starts)
    counted = Counted(
        period=card.period,
        known_at=request.GET.get("known_at", "") if picture.known_at_given else "",
    )
    parties = _parties(card, counted)
    # In the table's order (most violations first), then the violations of no known party.
    series = [
        (name, _regroup(list(values), of_week, size, 0))
        for name, values in [(p["name"], card.party_weeks.get(p["code"], ())) for p in parties]
        if values
    ]
    if card.violations_unattributed:
        series.append((UNATTRIBUTED, _regroup(list(card.unattributed_weeks), of_week, size, 0)))
    styles = page_charts.series_styles([name for name, _ in series])
    known_at = None if picture.knows_everything else picture.known_at
    context = {
        "card": card,
        "picture": picture,
        "clause_rows": _clause_rows(card, picture, counted),
        "parties": parties,
        "violations_url": counted.violations(agreement=target.code),
        "unattributed": {
            "n": card.violations_unattributed,
            "url": counted.violations(agreement=target.code, party="unattributed"),
            "categories": _unattributed_categories(card, counted),
        },
        "outside_url": counted.flagged(agreement=target.code),
        "agreement": target,
        "status_labels": STATUS_LABELS,
        "presets": _presets(picture),
        "as_of_day": _day(picture.as_of) if picture.as_of_given else "",
        "known_at_day": _day(picture.known_at) if picture.known_at_given else "",
        "query": _picture_query(picture),
        "print": "print" in request.GET,
        "generated": timezone.now(),
        "severities": {s.value: s.label for s in Severity},
        "timeline_unit": buckets.unit,
        "rate_chart": page_charts.rate_over_time(
            rate_history(
                agreement=target,
                clauses=[r.clause for r in card.rows],
                period=card.period,
                known_at=known_at,
            )
        ),
        "category_progress": page_charts.category_progress(card),
        "category_chart": page_charts.category_statuses(card, STATUS_LABELS),
        "party_chart": page_charts.by_party(
            [(name, values, style) for (name, values), style in zip(series, styles, strict=True)],
            buckets=buckets,
            caption=f"Violations per {buckets.unit} of the period, one row per party and one "
            "for those attributed to no party, on one scale: the rows add up to every "
            "violation counted.",
            id="party-chart",
        )
        if series
        else "",
        "heatmap": page_charts.timeline(
            [
                (r.clause.reference, _regroup(list(r.weekly), of_week, size, (0, 0)))
                if r.weekly
                else (r.clause.reference, [(0, 0)] * size)
                for r in card.rows
            ],
            buckets=buckets,
        ),
    }
    return render(request, "scorecards/agreement.html", context)


def _parties(card: AgreementScorecard, counted: Counted) -> list[dict]:
    """Each party with violations: code, name, count, its explorer link, and its violations
    by category (label, count, link)."""
    codes = [p.party for p in card.violations_by_party]
    names = dict(Party.objects.filter(code__in=codes).values_list("code", "name"))
    categories = dict(Clause.Category.choices)
    agreement = card.agreement.code
    return [
        {
            "code": p.party,
            "name": names.get(p.party, p.party),
            "n": p.violations,
            "url": counted.violations(agreement=agreement, party=p.party),
            "categories": [
                (
                    categories.get(c, c),
                    n,
                    counted.violations(agreement=agreement, party=p.party, category=c),
                )
                for c, n in sorted(
                    card.party_categories.get(p.party, {}).items(), key=lambda i: -i[1]
                )
                if n
            ],
        }
        for p in card.violations_by_party
    ]


def _unattributed_categories(card: AgreementScorecard, counted: Counted) -> list:
    """(label, count, link) of the violations attributed to no party, by category: every
    violation of the category's clauses minus the attributed ones."""
    totals: dict[str, int] = {}
    for row in card.rows:
        if row.weekly:
            totals[row.clause.category] = totals.get(row.clause.category, 0) + row.violations
    for by_category in card.party_categories.values():
        for category, n in by_category.items():
            totals[category] = totals.get(category, 0) - n
    labels = dict(Clause.Category.choices)
    agreement = card.agreement.code
    return [
        (
            labels.get(c, c),
            n,
            counted.violations(agreement=agreement, party="unattributed", category=c),
        )
        for c, n in sorted(totals.items(), key=lambda i: -i[1])
        if n > 0
    ]


def _clause_rows(card: AgreementScorecard, picture: Picture, counted: Counted) -> str:
    """The clause table's rows, pre-rendered: a 1,000-clause table rendered through template
    loops costs most of the page's time."""
    labels = {s.value: s.label for s in Severity}
    watchers = clause_watchers(
        agreement=card.agreement, moment=picture.as_of, known_at=picture.known_at
    )
    clause_url = reverse("scorecards:clause", args=[0])[:-2]
    # The clause pages open on the same period and moment as this card.
    moment = "?" + _picture_query(picture)
    # One explorer link per kind, the clause's number spliced in: a thousand reverse() and
    # urlencode() calls would cost more than the rest of the table.
    links = {
        kind: html_escape(counted.url(agreement=card.agreement.code, clause=999_999_999, **extra))
        for kind, extra in (
            ("violation", {"kind": "violation"}),
            ("compliance", {"kind": "compliance"}),
            ("outside", {"outside": "any"}),
        )
    }
    table = []
    for row in card.rows:
        c = row.clause
        alerts = "".join(
            f'<div class="sev-{alert.severity}">{labels[alert.severity]}: '
            f"{html_escape(alert.explanation)}</div>"
            for alert in row.open_alerts
        )
        names = "; ".join(sorted(watchers.get(c.pk, [])))
        pk = str(c.pk)
        violations = links["violation"].replace("999999999", pk)
        compliance = links["compliance"].replace("999999999", pk)
        outside = (
            f'<a href="{links["outside"].replace("999999999", pk)}">{row.outside}</a>'
            if row.outside
            else "—"
        )
        table.append(
            f'<tr><td class="indent-{row.depth}" data-sort="{c.position:06d}" data-label="Clause">'
            f'<a href="{clause_url}{c.pk}/{moment}">'
            f"{html_escape(c.reference)}</a> {html_escape(c.title)}"
            f'<div class="muted">{html_escape(c.get_category_display())}</div></td>'
            f'<td data-label="Status"><span class="status s-{row.status}" '
            f'data-status="{row.status}">'
            f"{html_escape(row.status_label)}</span></td>"
            f'<td data-label="Level (0–3)">{"N/A" if row.level is None else row.level}</td>'
            f'<td data-label="Deadline" data-sort="{c.deadline.isoformat() if c.deadline else ""}">'
            f"{date_format(c.deadline, 'j M Y') if c.deadline else '—'}</td>"
            f'<td class="watchers" data-label="Monitored by">'
            f"{html_escape(names) if names else '<em>nobody</em>'}</td>"
            f'<td class="findings" data-label="Rule findings">{alerts or "—"}</td>'
            f'<td class="outside" data-label="Outside the clause\'s period / area" '
            f'data-sort="{row.outside}">{outside}</td>'
            f'<td data-label="Violations / compliance" data-sort="{row.violations:09d}">'
            f'<a href="{violations}" '
            f'aria-label="{row.violations} violations of clause {html_escape(c.reference)} '
            f'on the explorer">{row.violations}</a> / <a href="{compliance}" '
            f'aria-label="{row.compliance} compliance observations of clause '
            f'{html_escape(c.reference)} on the explorer">{row.compliance}</a></td></tr>'
        )
    return mark_safe("".join(table))  # noqa: S308 - every value above is escaped


def _csv(card: AgreementScorecard, *, hxl: bool) -> StreamingHttpResponse:
    rows = (
        {
            "reference": r.clause.reference,
            "title": r.clause.title,
            "category": r.clause.category,
            "status": r.status_label,
            "level": r.level,
            "deadline": r.clause.deadline,
            "violations": r.violations,
            "compliance": r.compliance,
            "outside": r.outside,
        }
        for r in card.rows
    )
    response = StreamingHttpResponse(
        csv_stream(rows, CSV_COLUMNS, hxl=hxl), content_type="text/csv; charset=utf-8"
    )
    name = f"{card.agreement.code}-scorecard-{card.period.start}-{card.period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@page
def party(request, code: str):
    visible = agreements_visible_to(request.user)
    target = get_object_or_404(Party, code=code)
    as_of, known_at = clocks_from_params(request.GET)
    period = period_from_params(request.GET, as_of=as_of)
    card = party_scorecard(
        party=target, agreements=visible, as_of=as_of, known_at=known_at, period=period
    )
    known = {"known_at": _day(known_at)} if known_at else {}
    known_text = request.GET.get("known_at", "") if known_at else ""
    agreements = []
    for a in card.agreements:
        # Its scorecard over the same days and moment as this row.
        shown = (
            {"from": a.period.start.isoformat(), "to": a.period.end.isoformat()} if a.period else {}
        )
        moment = {} if a.live else {"as_of": _day(a.as_of)}
        counted = Counted(period=a.period, known_at=known_text)
        agreements.append(
            {
                "a": a,
                "query": urlencode(shown | moment | known),
                "violations_url": counted.violations(agreement=a.agreement.code, party=code)
                if a.period
                else "",
            }
        )
    moments = {a.agreement.pk: {} if a.live else {"as_of": _day(a.as_of)} for a in card.agreements}
    periods = [a.period for a in card.agreements if a.period is not None]
    # The days of every agreement's row at once: the explorer counts the same violations
    # (those outside an agreement's own days are flagged, so outside=none leaves them out).
    span = (
        DateWindow(start=min(p.start for p in periods), end=max(p.end for p in periods))
        if periods
        else None
    )
    everywhere = Counted(period=span, known_at=known_text)
    context = {
        "card": card,
        "agreements": agreements,
        "obligations": [
            (o, urlencode(moments.get(o.clause.agreement_id, {}) | known)) for o in card.obligations
        ],
        "categories": [
            (v, everywhere.violations(party=code, category=v.category))
            for v in card.violations_by_category
        ],
        "violations_url": everywhere.violations(party=code) if span else "",
        "span": span,
        "party": target,
        "period": period,
        "as_of_day": _day(as_of),
        "known_at_day": _day(known_at),
    }
    return render(request, "scorecards/party.html", context)


@page
def clause(request, pk: int):
    visible = agreements_visible_to(request.user)
    target = get_object_or_404(
        Clause.objects.select_related("agreement", "parent").filter(agreement__in=visible), pk=pk
    )
    life = agreements_active_periods([target.agreement])[target.agreement_id]
    # The same picture as the agreement's card: an agreement whose life is over opens on it.
    picture = picture_from_params(request.GET, life=life)
    known_at = picture.known_at if picture.known_at_given else None
    moment = None if picture.live else picture.as_of
    status = clause_status(clause=target, as_of=moment, known_at=known_at)
    figures = clause_figures(clause=target, period=picture.period, known_at=known_at)
    known_text = request.GET.get("known_at", "") if known_at else ""
    counted = Counted(period=picture.period, known_at=known_text)
    code = target.agreement.code
    filters = ExploreFilters.from_params(
        {
            k: v
            for k, v in (
                ("agreement", code),
                ("clause", str(target.pk)),
                # Every date up to as_of, flagged rows included: the counts above are the
                # period's; the list keeps what was filed about other days in sight too.
                ("to", as_of_day(picture) if picture.as_of_given else ""),
                ("known_at", known_text),
            )
            if v
        }
    )
    on_clause = Observation.objects.filter(clause=target, report__status="accepted")
    rows = filters.apply(observations_visible_to(user=request.user))
    alerts = alerts_with_evidence_for(
        user=request.user,
        alerts=alerts_visible_to(user=request.user).filter(clause=target),
    )
    buckets, of_week = _weeks_shown(figures.weeks, picture.period)
    kinds = dict(Observation.Kind.choices)
    # Observations read on their calendar day, at their time in the agreement's zone.
    zone = target.agreement.time_zone or "UTC"
    place = zone.rsplit("/", 1)[-1].replace("_", " ")
    context = {
        "clause": target,
        "picture": picture,
        "query": _picture_query(picture),
        "zone": zone,
        "zone_label": "UTC" if zone == "UTC" else f"{place} time",
        "status": status,
        "status_label": STATUS_LABELS[status],
        "status_moment": moment,
        "life": life,
        "as_of_day": _day(picture.as_of) if picture.as_of_given else "",
        "known_at_day": _day(known_at),
        "known_at": known_at,
        "figures": figures,
        "by_kind": [
            (kinds[k], n, counted.url(agreement=code, clause=target.pk, kind=k))
            for k, n in figures.by_kind.items()
        ],
        "outside_url": counted.flagged(agreement=code, clause=target.pk),
        "by_party": [
            (p, n, counted.violations(agreement=code, clause=target.pk, party=p.code))
            for p, n in figures.by_party
        ],
        "unattributed_url": counted.violations(
            agreement=code, clause=target.pk, party="unattributed"
        ),
        "violations_url": counted.violations(agreement=code, clause=target.pk),
        "weekly_chart": page_charts.clause_weeks(figures, buckets, of_week),
        "assessments": target.assessments.select_related("assessed_by"),
        "mechanisms": [
            (m, _every(m.reporting_interval))
            for m in target.mechanisms.select_related("responsible_party")
        ],
        "alerts": alerts.filter(describes__isnull=True).order_by("state", "-last_seen"),
        "retrospective": alerts.filter(describes__isnull=False).order_by("-describes"),
        "observations": rows.select_related("report__mission", "party").order_by(
            "-occurred_at", "-id"
        )[:CLAUSE_ROWS_SHOWN],
        "observations_total": rows.count(),
        "observations_url": reverse("explore:explore") + "?" + filters.query(),
        "withheld": observations_withheld_from(user=request.user, observations=on_clause),
        "obliged": target.obliged_parties.all(),
        "alerts_url": alerts_url(agreement=code, clause=target.pk),
    }
    return render(request, "scorecards/clause.html", context)


def as_of_day(picture: Picture) -> str:
    """The day of a picture's as_of in its agreement's zone (as the reader gave it)."""
    zone = picture.life.zone if picture.life else dt.UTC
    return picture.as_of.astimezone(zone).date().isoformat()


def _weeks_shown(weeks: tuple[dt.date, ...], period: DateWindow) -> tuple[Buckets, list[int]]:
    """A clause chart's columns: its weeks, or months (quarters, years) over a long period."""
    if len(weeks) <= TIMELINE_MOST:
        return Buckets(unit="week", starts=weeks), list(range(len(weeks)))
    buckets = buckets_over(period.start, period.end, most=TIMELINE_MOST)
    return buckets, [buckets.index(w) for w in weeks]


def _every(interval: dt.timedelta) -> str:
    """A reporting interval in words: "every day", "every 14 days", "every 12 hours"."""
    hours = interval.total_seconds() / 3600
    if hours and hours % 24 == 0:
        days = int(hours // 24)
        return "every day" if days == 1 else f"every {days} days"
    return f"every {hours:g} hours"
