"""The alert inbox (/alerts/), one alert with its history and the analysts' moves
(/alerts/<pk>/), and what changed over a period (/changes/). Plain forms: every page works
without JavaScript."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.access import reach_of
from agreements.models import Party
from core.params import query_without_empty
from monitor.inbox.changes import changes_between, period_from_params
from monitor.inbox.params import SORTS, STATES, InboxFilters
from monitor.inbox.selectors import (
    evidence_links,
    inbox_alerts,
    inbox_ordered,
    severity_counts,
)
from monitor.models import Alert, Severity
from monitor.rules import RULES
from monitor.selectors import (
    alerts_visible_to,
    alerts_with_evidence_for,
    evidence_shown,
    evidence_withheld,
    rule_described,
    transitions_of,
)
from monitor.services import alert_comment, alert_set_state
from monitor.views import agreements_visible_to, page

PAGE_SIZE = 50
STATE_LABELS = {
    "live": "Not resolved (open or acknowledged)",
    "open": "Open",
    "acknowledged": "Acknowledged",
    "resolved": "Resolved",
    "all": "Any state",
}
CLOCK_LABELS = {
    "false": "About the present (live alerts)",
    "true": "About past moments (retrospective findings)",
    "all": "Both",
}


@page
def inbox(request):
    agreements = agreements_visible_to(request.user)
    if (cleaned := query_without_empty(request.GET)) is not None:
        return redirect(request.path + (f"?{cleaned}" if cleaned else ""))
    filters = InboxFilters.from_params(request.GET)
    matching = inbox_alerts(user=request.user, filters=filters, agreements=agreements)
    counts = severity_counts(matching)
    paginator = Paginator(inbox_ordered(matching, filters=filters), PAGE_SIZE)
    shown = paginator.get_page(filters.page)
    alerts = list(shown.object_list)
    links = evidence_links(alerts)
    context = {
        "filters": filters,
        "rows": [(a, links.get(a.pk)) for a in alerts],
        "page_obj": shown,
        "previous_query": filters.query(page=shown.previous_page_number())
        if shown.has_previous()
        else "",
        "next_query": filters.query(page=shown.next_page_number()) if shown.has_next() else "",
        "severity_links": [
            (s, Severity(s).label, n, filters.with_severity_toggled(s), s in filters.severity)
            for s, n in counts.items()
        ],
        "total": sum(counts.values()),
        "agreements": agreements.order_by("title"),
        "parties": Party.objects.filter(alerts__agreement__in=agreements)
        .distinct()
        .order_by("name"),
        "rules": sorted(((code, r.title) for code, r in RULES.items()), key=lambda r: r[1]),
        "states": [(s, STATE_LABELS[s]) for s in STATES],
        "clocks": list(CLOCK_LABELS.items()),
        "sorts": list(SORTS.items()),
        "severities": [(s.value, s.label) for s in reversed(Severity)],
        "clause_named": _clause_named(filters, agreements),
        "every_clause_query": filters.query(clause=None),
        "retrospective_query": filters.query(retrospective="true"),
        "resolved_too_query": filters.query(state="all"),
    }
    return render(request, "inbox/inbox.html", context)


def _clause_named(filters: InboxFilters, agreements) -> str:
    """The filtered clause in words (the form has no list of every clause)."""
    if filters.clause is None:
        return ""
    from agreements.models import Clause

    clause = Clause.objects.select_related("agreement").get(
        pk=filters.clause, agreement__in=agreements
    )
    name = clause.agreement.short_title or clause.agreement.title
    return f"{name}, clause {clause.reference} ({clause.title})"


MOVES = {
    "acknowledge": Alert.State.ACKNOWLEDGED,
    "resolve": Alert.State.RESOLVED,
    "reopen": Alert.State.OPEN,
}
DONE = {
    "acknowledge": "Acknowledged: the alert stays on the list until it is resolved.",
    "resolve": "Resolved. If the rule finds the condition again, it opens a new alert.",
    "reopen": "Back to open.",
    "comment": "Comment added to the history.",
}


@page
def alert(request, pk: int):
    agreements_visible_to(request.user)  # roles without pages get the 403 page
    may_act = reach_of(request.user).analyses
    found = (
        alerts_with_evidence_for(
            user=request.user,
            alerts=alerts_visible_to(user=request.user).select_related(
                "agreement", "clause", "party", "area"
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No alert with this number among those you may read.")
    error, status = "", 200
    if request.method == "POST":
        if not may_act:
            raise PermissionDenied("Observers read alerts; analysts acknowledge and resolve them.")
        action = request.POST.get("action", "")
        comment = request.POST.get("comment", "")
        try:
            if action == "comment":
                alert_comment(alert=found, by=request.user, comment=comment)
            elif action in MOVES:
                alert_set_state(alert=found, state=MOVES[action], by=request.user, comment=comment)
            else:
                raise ValidationError("Choose acknowledge, resolve, reopen or comment.")
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 400
        else:
            messages.success(request, DONE[action])
            return HttpResponseRedirect(reverse("alerts:alert", args=[pk]) + "#history")
    links = evidence_links([found])
    state = Alert.State(found.state)
    context = {
        "alert": found,
        "rule": RULES.get(found.rule),
        "rule_text": rule_described(rule=found.rule, agreement_id=found.agreement_id),
        "evidence": evidence_shown(found),
        "withheld": evidence_withheld(found),
        "evidence_link": links.get(found.pk),
        "history": list(reversed(transitions_of(found))),
        "may_act": may_act,
        "can_acknowledge": state == Alert.State.OPEN,
        "can_resolve": state != Alert.State.RESOLVED,
        "can_reopen": state == Alert.State.ACKNOWLEDGED,
        "error": error,
        "posted": request.POST if error else {},
        "zone": found.agreement.time_zone or "UTC",
    }
    return render(request, "inbox/alert.html", context, status=status)


@page
def changes(request):
    agreements = agreements_visible_to(request.user)
    period = period_from_params(request.GET, today=timezone.localdate())
    report = changes_between(user=request.user, agreements=agreements, period=period)
    return render(request, "inbox/changes.html", {"report": report, "period": period})
