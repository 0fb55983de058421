"""Reads of the alert inbox: the alerts a reader may see under the inbox's filters, counts
per severity, and where each alert's evidence is on the explorer."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from accounts.access import Reader
from agreements.models import Agreement, Clause, Party
from core.params import ParameterError
from monitor.explore.filters import UNATTRIBUTED, explore_url
from monitor.inbox.params import CLOCKS, InboxFilters
from monitor.models import Alert
from monitor.selectors import alerts_of_clock, alerts_visible_to

ORDERINGS = {
    "severity": ["-severity", "-last_seen", "-id"],
    "last_seen": ["-last_seen", "-id"],
    "first_seen": ["first_seen", "id"],
}


def _known(queryset: QuerySet, name: str, value: str, expected: str) -> None:
    if value and not queryset.exists():
        raise ParameterError(name, expected, value)


def inbox_alerts(
    *, user: Reader, filters: InboxFilters, agreements: QuerySet[Agreement]
) -> QuerySet[Alert]:
    """The alerts ``user`` may see under every filter but severity (the counts per
    severity are taken from this), in no particular order. An agreement, clause or party
    the reader cannot see is a bad parameter, as an unknown one is."""
    alerts = alerts_visible_to(user=user)
    if filters.agreement:
        _known(
            agreements.filter(code=filters.agreement),
            "agreement",
            filters.agreement,
            "the code of an agreement you may read, e.g. minsk-ii",
        )
        alerts = alerts.filter(agreement__code=filters.agreement)
    if filters.clause is not None:
        _known(
            Clause.objects.filter(pk=filters.clause, agreement__in=agreements),
            "clause",
            str(filters.clause),
            "the number of a clause of an agreement you may read",
        )
        alerts = alerts.filter(clause_id=filters.clause)
    if filters.party:
        _known(Party.objects.filter(code=filters.party), "party", filters.party, "a party's code")
        alerts = alerts.filter(party__code=filters.party)
    if filters.rule:
        alerts = alerts.filter(rule=filters.rule)
    if filters.state == "live":
        alerts = alerts.filter(state__in=Alert.LIVE_STATES)
    elif filters.state != "all":
        alerts = alerts.filter(state=filters.state)
    alerts = alerts_of_clock(alerts, retrospective=CLOCKS[filters.retrospective])
    if filters.q:
        alerts = alerts.filter(title__icontains=filters.q)
    return alerts


def severity_counts(alerts: QuerySet[Alert]) -> dict[int, int]:
    """How many of ``alerts`` there are at each severity (1 to 4, zero included)."""
    grouped = alerts.order_by().values("severity").annotate(n=Count("id"))
    counts = dict(grouped.values_list("severity", "n"))
    return {severity: counts.get(severity, 0) for severity in (4, 3, 2, 1)}


def inbox_ordered(alerts: QuerySet[Alert], *, filters: InboxFilters) -> QuerySet[Alert]:
    if filters.severity:
        alerts = alerts.filter(severity__in=filters.severity)
    return alerts.select_related("agreement", "clause", "party").order_by(*ORDERINGS[filters.sort])


@dataclass(frozen=True)
class EvidenceLink:
    """An alert's evidence: how many observations, and the explorer showing them (its
    agreement, and the clause, kinds, party and days they share)."""

    count: int
    url: str


def evidence_links(alerts: list[Alert]) -> dict[int, EvidenceLink]:
    """The evidence link of each alert that has evidence, from one read of the evidence
    rows (a finding keeps its latest few, so a page of alerts reads a few hundred)."""
    through = Alert.evidence.through
    rows = through.objects.filter(alert_id__in=[a.pk for a in alerts]).values_list(
        "alert_id",
        "observation__clause_id",
        "observation__kind",
        "observation__party__code",
        "observation__occurred_on",
    )
    seen: dict[int, list[tuple]] = defaultdict(list)
    for alert_id, *row in rows:
        seen[alert_id].append(tuple(row))
    by_id = {a.pk: a for a in alerts}
    return {
        alert_id: _link(by_id[alert_id], observations) for alert_id, observations in seen.items()
    }


def _link(alert: Alert, observations: list[tuple]) -> EvidenceLink:
    clauses = {clause for clause, *_ in observations}
    kinds = tuple(sorted({kind for _, kind, *_ in observations}))
    parties = {party for _, _, party, _ in observations}
    days: list[dt.date] = [day for *_, day in observations if day is not None]
    filters: dict = {"agreement": alert.agreement.code, "kind": kinds}
    if len(clauses) == 1:
        filters["clause"] = clauses.pop()
    if len(parties) == 1:
        party = parties.pop()
        filters["party"] = party or UNATTRIBUTED
    if days:
        filters["start"], filters["end"] = min(days), max(days)
    return EvidenceLink(count=len(observations), url=explore_url(**filters))
