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
from monitor.models import Severity
from monitor.scorecards.agreement import agreement_scorecard
from monitor.scorecards.buckets import Buckets, buckets_over
from monitor.scorecards.cards import AgreementScorecard
from monitor.scorecards.overview import agreements_overview
from monitor.scorecards.party import party_scorecard
from monitor.scorecards.picture import (
    Picture,
    agreements_active_periods,
    end_of_day,
    period_from_params,
    picture_from_params,
)
from monitor.scorecards.watchers import clause_watchers
from monitor.selectors import alerts_visible_to, alerts_with_evidence_for
from monitor.status import STATUS_LABELS, clause_status
from reports.formats import csv_stream
from reports.models import Observation
from reports.selectors import (
    observations_known,
    observations_visible_to,
    observations_withheld_from,
)

# Columns of the timeline before weeks are grouped into months (then quarters, years).
TIMELINE_MOST = 60


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
        rows.append((row, spark, max(row.trend, default=0)))
    context = {
        "rows": rows,
        "now": as_of or timezone.now(),
        "as_of_day": _day(as_of),
        "known_at_day": _day(known_at),
        "known_at": known_at or timezone.now(),
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
    weeks = list(card.weeks)
    if len(weeks) <= TIMELINE_MOST:
        return Buckets(unit="week", starts=tuple(weeks)), list(range(len(weeks)))
    buckets = buckets_over(card.period.start, card.period.end, most=TIMELINE_MOST)
    return buckets, [buckets.index(w) for w in weeks]


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
    columns = [(buckets.axis_label(i), buckets.label(i)) for i in range(size)]
    parties = _parties(card)
    # In the table's order (most violations first).
    party_series = [
        (name, _regroup(list(card.party_weeks[code]), of_week, size, 0))
        for code, name, *_ in parties
        if code in card.party_weeks
    ]
    context = {
        "card": card,
        "picture": picture,
        "clause_rows": _clause_rows(card, picture),
        "parties": parties,
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
        "category_chart": charts.stacked_bars(
            [(c.label, dict(c.statuses)) for c in card.by_category.values()],
            labels=STATUS_LABELS,
        ),
        "party_top": max((max(values, default=0) for _, values in party_series), default=0),
        "party_chart": charts.party_bars(
            party_series,
            columns=columns,
            unit=buckets.unit,
        ),
        "heatmap": charts.heatmap(
            [
                (r.clause.reference, _regroup(list(r.weekly), of_week, size, (0, 0)))
                if r.weekly
                else (r.clause.reference, [(0, 0)] * size)
                for r in card.rows
            ],
            columns=columns,
            unit=buckets.unit,
        ),
    }
    return render(request, "scorecards/agreement.html", context)


def _parties(card: AgreementScorecard) -> list[tuple[str, str, int, str]]:
    """(code, name, violations, by category in words) of each party with violations."""
    codes = [p.party for p in card.violations_by_party]
    names = dict(Party.objects.filter(code__in=codes).values_list("code", "name"))
    categories = dict(Clause.Category.choices)
    return [
        (
            p.party,
            names.get(p.party, p.party),
            p.violations,
            ", ".join(
                f"{categories.get(c, c)}: {n}"
                for c, n in sorted(
                    card.party_categories.get(p.party, {}).items(), key=lambda i: -i[1]
                )
            ),
        )
        for p in card.violations_by_party
    ]


def _clause_rows(card: AgreementScorecard, picture: Picture) -> str:
    """The clause table's rows, pre-rendered: a 1,000-clause table rendered through template
    loops costs most of the page's time."""
    labels = {s.value: s.label for s in Severity}
    watchers = clause_watchers(
        agreement=card.agreement, moment=picture.as_of, known_at=picture.known_at
    )
    clause_url = reverse("scorecards:clause", args=[0])[:-2]
    # The clause pages open on the same moment as this card (unless it is the present).
    moment = (
        ""
        if picture.live
        else "?"
        + urlencode(
            {"as_of": _day(picture.as_of)}
            | ({"known_at": _day(picture.known_at)} if picture.known_at_given else {})
        )
    )
    table = []
    for row in card.rows:
        c = row.clause
        alerts = "".join(
            f'<div class="sev-{alert.severity}">{labels[alert.severity]}: '
            f"{html_escape(alert.explanation)}</div>"
            for alert in row.open_alerts
        )
        names = "; ".join(sorted(watchers.get(c.pk, [])))
        table.append(
            f'<tr><td class="indent-{row.depth}"><a href="{clause_url}{c.pk}/{moment}">'
            f"{html_escape(c.reference)}</a> {html_escape(c.title)}"
            f'<div class="muted">{html_escape(c.get_category_display())}</div></td>'
            f'<td><span class="status s-{row.status}" data-status="{row.status}">'
            f"{html_escape(row.status_label)}</span></td>"
            f"<td>{'N/A' if row.level is None else row.level}</td>"
            f"<td>{date_format(c.deadline, 'j M Y') if c.deadline else '—'}</td>"
            f'<td class="watchers">{html_escape(names) if names else "<em>nobody</em>"}</td>'
            f'<td class="findings">{alerts or "—"}</td>'
            f'<td class="outside">{row.outside or "—"}</td>'
            f"<td>{row.violations} / {row.compliance}</td></tr>"
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
    # Each clause page opens on the moment its status here describes (unless that is now).
    moments = {a.agreement.pk: {} if a.live else {"as_of": _day(a.as_of)} for a in card.agreements}
    known = {"known_at": _day(known_at)} if known_at else {}
    context = {
        "card": card,
        "obligations": [
            (o, urlencode(moments.get(o.clause.agreement_id, {}) | known)) for o in card.obligations
        ],
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
    as_of, known_at = clocks_from_params(request.GET)
    # An agreement whose life is over opens on its end, as its scorecard does.
    life = agreements_active_periods([target.agreement])[target.agreement_id]
    today = timezone.now().date()
    moment = as_of
    if moment is None and life is not None and life.ended_by(today) and life.end is not None:
        moment = end_of_day(life.end)
    status = clause_status(clause=target, as_of=moment, known_at=known_at)
    on_clause = Observation.objects.filter(clause=target, report__status="accepted")
    observations = observations_visible_to(user=request.user).filter(clause=target)
    if known_at is None:
        observations = observations.filter(report__status="accepted")
    else:
        observations = observations & observations_known(known_at)
    if as_of is not None:
        observations = observations.filter(occurred_at__lte=as_of)
    observations = observations.select_related("report__mission", "party").order_by("-occurred_at")[
        :200
    ]
    alerts = alerts_with_evidence_for(
        user=request.user,
        alerts=alerts_visible_to(user=request.user).filter(clause=target),
    )
    # Observations read on their calendar day, at their time in the agreement's zone.
    zone = target.agreement.time_zone or "UTC"
    place = zone.rsplit("/", 1)[-1].replace("_", " ")
    context = {
        "clause": target,
        "zone": zone,
        "zone_label": "UTC" if zone == "UTC" else f"{place} time",
        "status": status,
        "status_label": STATUS_LABELS[status],
        "status_moment": moment,
        "life": life,
        "as_of_day": _day(as_of),
        "known_at_day": _day(known_at),
        "known_at": known_at,
        "assessments": target.assessments.select_related("assessed_by"),
        "mechanisms": [
            (m, _every(m.reporting_interval))
            for m in target.mechanisms.select_related("responsible_party")
        ],
        "alerts": alerts.filter(describes__isnull=True).order_by("state", "-last_seen"),
        "retrospective": alerts.filter(describes__isnull=False).order_by("-describes"),
        "observations": observations,
        "withheld": observations_withheld_from(user=request.user, observations=on_clause),
        "obliged": target.obliged_parties.all(),
    }
    return render(request, "scorecards/clause.html", context)


def _every(interval: dt.timedelta) -> str:
    """A reporting interval in words: "every day", "every 14 days", "every 12 hours"."""
    hours = interval.total_seconds() / 3600
    if hours and hours % 24 == 0:
        days = int(hours // 24)
        return "every day" if days == 1 else f"every {days} days"
    return f"every {hours:g} hours"
