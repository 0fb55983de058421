"""Scorecard pages for analysts (and observers, for the agreements their missions serve)."""

import datetime as dt
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
from agreements.models import Agreement, Clause, Party, VerificationMechanism
from agreements.selectors import agreements_with_figures_for
from monitor import charts
from monitor.cadence import cadence_status
from monitor.models import Severity
from monitor.scorecards import agreement_scorecard, agreements_overview, party_scorecard
from monitor.selectors import alerts_visible_to, alerts_with_evidence_for
from monitor.status import STATUS_LABELS
from reports.formats import csv_stream
from reports.models import Observation
from reports.selectors import (
    mechanisms_with_last_filed,
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


class BadParameter(ValueError):
    """A query parameter a page cannot use: answered with 400 and what was expected."""

    def __init__(self, name: str, expected: str, given: str = ""):
        super().__init__(f"{name}: {expected}")
        self.name, self.expected, self.given = name, expected, given


# The same bounds as the API: scorecards count weeks and subtract windows from these days.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


def _date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise BadParameter(name, "a date written YYYY-MM-DD, e.g. 2015-02-15", value) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadParameter(name, f"a date from {FIRST_DAY} to {LAST_DAY}", value)
    return day


def page(view):
    """A page view that answers a bad query parameter with 400 in the site's layout,
    naming the parameter and what it expects, instead of a 404 or a server error."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadParameter as bad:
            context = {"parameter": bad.name, "expected": bad.expected, "given": bad.given}
            return render(request, "scorecards/bad_request.html", context, status=400)

    return login_required(wrapped)


@page
def overview(request):
    visible = set(agreements_visible_to(request.user).values_list("pk", flat=True))
    rows = [row for row in agreements_overview() if row["agreement"].pk in visible]
    for row in rows:
        row["sparkline"] = charts.sparkline(row["trend"], label="Violations per week")
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
    as_of_day = _date(request.GET.get("as_of"), "as_of")
    as_of = (
        dt.datetime(as_of_day.year, as_of_day.month, as_of_day.day, 23, 59, 59, tzinfo=dt.UTC)
        if as_of_day
        else None
    )
    start, end = _date(request.GET.get("from"), "from"), _date(request.GET.get("to"), "to")
    reference = (as_of or timezone.now()).date()
    period = None
    if start or end:
        period = (start or reference - dt.timedelta(days=84), end or reference)
        if period[1] < period[0]:
            raise BadParameter(
                "to", f"a day on or after the start of the period ({period[0]})", str(period[1])
            )
    card = agreement_scorecard(agreement=target, as_of=as_of, period=period)
    if request.GET.get("format") == "csv":
        return _csv(card, hxl=request.GET.get("hxl") in ("1", "true", "yes"))
    weeks = [w.isoformat() for w in card["weeks"]]
    rows = card["rows"]
    totals = {
        r.clause.pk: [
            sum(c[0] for c in card["heatmap"].get(r.clause.pk, [])),
            sum(c[1] for c in card["heatmap"].get(r.clause.pk, [])),
        ]
        for r in rows
    }
    # Rows are pre-rendered here: a 1,000-clause table rendered through template loops costs
    # most of the page's time.
    labels = {s.value: s.label for s in Severity}
    alerts: dict[int, list[str]] = {
        clause_id: [
            f'<div class="sev-{severity}">{labels[severity]}: {html_escape(explanation)}</div>'
            for severity, explanation in listed
        ]
        for clause_id, listed in card["open_alerts"].items()
    }
    moment = as_of or timezone.now()
    cadence = {
        m["pk"]: cadence_status(
            last=m["last_filed"],
            interval=m["reporting_interval"],
            grace=m["grace"],
            now=moment,
            since=m["active_from"],
        ).value
        for m in mechanisms_with_last_filed(
            mechanisms=VerificationMechanism.objects.filter(agreement=target), as_of=moment
        ).values("pk", "reporting_interval", "grace", "active_from", "last_filed")
    }
    watchers: dict[int, list[str]] = {}
    for clause_id, mechanism_id, name in VerificationMechanism.clauses.through.objects.filter(
        clause__agreement=target
    ).values_list("clause_id", "verificationmechanism_id", "verificationmechanism__name"):
        watchers.setdefault(clause_id, []).append(f"{name} ({cadence.get(mechanism_id, '?')})")
    clause_url = reverse("scorecards:clause", args=[0])[:-2]
    table = []
    for row in rows:
        c = row.clause
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
            f"<td>{''.join(alerts.get(c.pk, [])) or '—'}</td>"
            f"<td>{totals[c.pk][0]} / {totals[c.pk][1]}</td></tr>"
        )
    clause_rows = mark_safe("".join(table))  # noqa: S308 - every value above is escaped
    context = {
        "card": card,
        "clause_rows": clause_rows,
        "agreement": target,
        "rows": rows,
        "weeks": weeks,
        "status_labels": STATUS_LABELS,
        "as_of_day": as_of_day,
        "print": "print" in request.GET,
        "generated": timezone.now(),
        "category_chart": charts.stacked_bars(
            [(c["label"], c["statuses"]) for c in card["by_category"].values()],
            labels=STATUS_LABELS,
        ),
        "party_chart": charts.party_bars(
            [(p, card["party_weeks"][p]) for p in card["party_weeks"]], weeks=weeks
        ),
        "heatmap": charts.heatmap(
            [
                (
                    r.clause.reference,
                    card["heatmap"].get(r.clause.pk, [[0, 0]] * len(weeks)),
                )
                for r in rows
            ],
            weeks=weeks,
        ),
        "categories": Clause.Category,
    }
    return render(request, "scorecards/agreement.html", context)


def _csv(card, *, hxl: bool) -> StreamingHttpResponse:
    def rows():
        for r in card["rows"]:
            yield {
                "reference": r.clause.reference,
                "title": r.clause.title,
                "category": r.clause.category,
                "status": r.status_label,
                "level": r.level,
                "deadline": r.clause.deadline,
                "violations": sum(c[0] for c in card["heatmap"].get(r.clause.pk, [])),
                "compliance": sum(c[1] for c in card["heatmap"].get(r.clause.pk, [])),
            }

    start, end = card["period"]
    response = StreamingHttpResponse(
        csv_stream(rows(), CSV_COLUMNS, hxl=hxl), content_type="text/csv; charset=utf-8"
    )
    name = f"{card['agreement'].code}-scorecard-{start}-{end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@page
def party(request, code: str):
    visible = agreements_visible_to(request.user)
    target = get_object_or_404(Party, code=code)
    card = party_scorecard(party=target, agreements=visible)
    for obligation in card["obligations"]:  # a lookup here, not a loop over labels per row
        obligation["status_label"] = STATUS_LABELS.get(obligation["status"], obligation["status"])
    return render(
        request,
        "scorecards/party.html",
        {"card": card, "party": target, "status_labels": STATUS_LABELS},
    )


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
