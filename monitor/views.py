"""Scorecard pages for analysts (and observers, for the agreements their missions serve)."""

import functools
from html import escape as html_escape  # the same as Django's escape, without its lazy wrapper

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
from core.params import ParameterError, as_of_param, window_param
from monitor import charts
from monitor.models import Severity
from monitor.scorecards.agreement import agreement_scorecard
from monitor.scorecards.cards import AgreementScorecard
from monitor.scorecards.overview import agreements_overview
from monitor.scorecards.party import party_scorecard
from monitor.scorecards.watchers import clause_watchers
from monitor.selectors import alerts_visible_to, alerts_with_evidence_for
from monitor.status import STATUS_LABELS
from reports.formats import csv_stream
from reports.models import Observation
from reports.selectors import (
    observations_visible_to,
    observations_withheld_from,
)


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


@page
def overview(request):
    visible = set(agreements_visible_to(request.user).values_list("pk", flat=True))
    rows = [
        (row, charts.sparkline(list(row.trend), label="Violations per week"))
        for row in agreements_overview()
        if row.agreement.pk in visible
    ]
    return render(request, "scorecards/overview.html", {"rows": rows, "now": timezone.now()})


CSV_COLUMNS = [
    ("reference", "clause", "#x_clause"),
    ("title", "title", "#description +title"),
    ("category", "category", "#sector"),
    ("status", "status", "#status"),
    ("level", "implementation level (0-3)", "#indicator +level"),
    ("deadline", "deadline", "#date +deadline"),
    ("violations", "violations in period", "#indicator +violations"),
    ("compliance", "compliance in period", "#indicator +compliance"),
]


@page
def agreement(request, code: str):
    target = get_object_or_404(agreements_visible_to(request.user), code=code)
    as_of = as_of_param(request.GET)
    period = window_param(request.GET, until=(as_of or timezone.now()).date())
    card = agreement_scorecard(agreement=target, as_of=as_of, period=period)
    if request.GET.get("format") == "csv":
        return _csv(card, hxl=request.GET.get("hxl") in ("1", "true", "yes"))
    weeks = [w.isoformat() for w in card.weeks]
    # Rows are pre-rendered here: a 1,000-clause table rendered through template loops costs
    # most of the page's time.
    labels = {s.value: s.label for s in Severity}
    watchers = clause_watchers(agreement=target, moment=as_of or timezone.now())
    clause_url = reverse("scorecards:clause", args=[0])[:-2]
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
            f'<tr><td class="indent-{row.depth}"><a href="{clause_url}{c.pk}/">'
            f"{html_escape(c.reference)}</a> {html_escape(c.title)}"
            f'<div class="muted">{html_escape(c.get_category_display())}</div></td>'
            f'<td><span class="status s-{row.status}" data-status="{row.status}">'
            f"{html_escape(row.status_label)}</span></td>"
            f"<td>{'N/A' if row.level is None else row.level}</td>"
            f"<td>{date_format(c.deadline, 'j M Y') if c.deadline else '—'}</td>"
            f"<td>{html_escape(names) if names else '<em>nobody</em>'}</td>"
            f"<td>{alerts or '—'}</td>"
            f"<td>{row.violations} / {row.compliance}</td></tr>"
        )
    clause_rows = mark_safe("".join(table))  # noqa: S308 - every value above is escaped
    context = {
        "card": card,
        "clause_rows": clause_rows,
        "agreement": target,
        "status_labels": STATUS_LABELS,
        "as_of_day": as_of.date() if as_of else None,
        "print": "print" in request.GET,
        "generated": timezone.now(),
        "category_chart": charts.stacked_bars(
            [(c.label, dict(c.statuses)) for c in card.by_category.values()],
            labels=STATUS_LABELS,
        ),
        "party_chart": charts.party_bars(
            [(party, list(counts)) for party, counts in card.party_weeks.items()], weeks=weeks
        ),
        "heatmap": charts.heatmap(
            [(r.clause.reference, list(r.weekly or [(0, 0)] * len(weeks))) for r in card.rows],
            weeks=weeks,
        ),
    }
    return render(request, "scorecards/agreement.html", context)


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
    card = party_scorecard(party=target, agreements=visible)
    return render(request, "scorecards/party.html", {"card": card, "party": target})


@page
def clause(request, pk: int):
    visible = agreements_visible_to(request.user)
    target = get_object_or_404(
        Clause.objects.select_related("agreement", "parent").filter(agreement__in=visible), pk=pk
    )
    on_clause = Observation.objects.filter(clause=target, report__status="accepted")
    observations = (
        observations_visible_to(user=request.user)
        .filter(clause=target, report__status="accepted")
        .select_related("report__mission", "party")
        .order_by("-occurred_at")[:200]
    )
    alerts = alerts_with_evidence_for(
        user=request.user,
        alerts=alerts_visible_to(user=request.user).filter(clause=target),
    ).order_by("state", "-last_seen")
    context = {
        "clause": target,
        "assessments": target.assessments.select_related("assessed_by"),
        "mechanisms": target.mechanisms.select_related("responsible_party"),
        "alerts": alerts,
        "observations": observations,
        "withheld": observations_withheld_from(user=request.user, observations=on_clause),
        "obliged": target.obliged_parties.all(),
    }
    return render(request, "scorecards/clause.html", context)
