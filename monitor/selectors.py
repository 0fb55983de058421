"""Reads of alerts, their evidence and transitions, bounded by the reader's reach.

Alerts are agreement-level findings: a reader sees those of the agreements whose figures it
reads (agreements.selectors). The observations behind an alert are row-level records: an
observer sees its own missions' and is told how many others were withheld.
"""

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.access import Reader, reach_of
from agreements.models import Agreement
from agreements.selectors import agreements_with_figures_for
from monitor.models import Alert, AlertTransition, RuleConfig
from monitor.rules import RULES
from reports.models import Observation
from reports.selectors import own_mission_ids


def alerts_visible_to(*, user: Reader) -> QuerySet[Alert]:
    """Alerts of the agreements whose figures the user reads."""
    scope = reach_of(user).figures
    if scope == "all":
        return Alert.objects.all()
    if scope == "own":
        return Alert.objects.filter(agreement__in=agreements_with_figures_for(user=user))
    return Alert.objects.none()


def alerts_live() -> QuerySet[Alert]:
    """Alerts whose condition is still followed: open or acknowledged, and about the present
    (retrospective alerts describe a past moment and are never live)."""
    return Alert.objects.filter(state__in=Alert.LIVE_STATES, describes__isnull=True)


def alerts_retrospective() -> QuerySet[Alert]:
    """Findings about past moments (``describes`` set), kept apart from the live alerts."""
    return Alert.objects.filter(describes__isnull=False)


def alerts_of_clock(
    alerts: QuerySet[Alert],
    *,
    retrospective: bool | None,
    describes_from: dt.date | None = None,
    describes_to: dt.date | None = None,
) -> QuerySet[Alert]:
    """``alerts`` about the present (``retrospective`` False: live and resolved ones), about
    past moments (True), or both (None); ``describes_from``/``describes_to`` bound the days
    (UTC) a retrospective alert describes, both included."""
    if retrospective is not None:
        alerts = alerts.filter(describes__isnull=not retrospective)
    if describes_from:
        alerts = alerts.filter(describes__gte=_day_start(describes_from))
    if describes_to:
        alerts = alerts.filter(describes__lt=_day_start(describes_to + dt.timedelta(days=1)))
    return alerts


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def transitions_visible_to(*, user: Reader) -> QuerySet[AlertTransition]:
    return AlertTransition.objects.filter(alert__in=alerts_visible_to(user=user))


def _evidence_filter(user: Reader, prefix: str = "") -> Q | None:
    """The condition on an alert's evidence rows for the user; None when it sees all."""
    scope = reach_of(user).evidence
    if scope == "all":
        return None
    if scope == "own":
        return Q(**{f"{prefix}report__mission__in": own_mission_ids(user=user)})
    return Q(**{f"{prefix}pk__in": []})


def alert_evidence_visible_to(*, user: Reader) -> QuerySet[Observation]:
    """Observations the user may see as an alert's evidence."""
    condition = _evidence_filter(user)
    evidence = Observation.objects.all()
    return evidence if condition is None else evidence.filter(condition)


def alerts_with_evidence_for(*, user: Reader, alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """``alerts`` with ``evidence_list`` (what the user may see, newest first),
    ``evidence_withheld`` (how many it may not) and ``transition_list`` prefetched."""
    condition = _evidence_filter(user, "evidence__")
    shown = alert_evidence_visible_to(user=user).order_by("-occurred_at")
    withheld = (
        Count("evidence", distinct=True) - Count("evidence", filter=condition, distinct=True)
        if condition is not None
        else None
    )
    if withheld is not None:
        alerts = alerts.annotate(evidence_withheld=withheld)
    return alerts.prefetch_related(
        Prefetch("evidence", queryset=shown, to_attr="evidence_list"),
        Prefetch(
            "transitions",
            queryset=AlertTransition.objects.select_related("by").order_by("id"),
            to_attr="transition_list",
        ),
    )


def evidence_shown(alert: Alert) -> list[Observation]:
    """The alert's evidence the reader may see, as ``alerts_with_evidence_for`` prefetched it."""
    shown: list[Observation] = getattr(alert, "evidence_list")  # noqa: B009 - set by Prefetch
    return shown


def transitions_of(alert: Alert) -> list[AlertTransition]:
    """The alert's transitions, oldest first, as ``alerts_with_evidence_for`` prefetched them."""
    transitions: list[AlertTransition] = getattr(alert, "transition_list")  # noqa: B009
    return transitions


def evidence_withheld(alert: Alert) -> int:
    """How many of the alert's evidence rows were left out for the reader (see above)."""
    return getattr(alert, "evidence_withheld", 0) or 0


def feed_scope(*, user: Reader) -> QuerySet[Agreement, Any] | None:
    """The agreements that bound the user's change feed; None for every agreement."""
    if reach_of(user).figures == "all":
        return None
    return agreements_with_figures_for(user=user).values("pk")


def rule_described(*, rule: str, agreement_id: int) -> str:
    """What ``rule`` checks for the agreement, with the parameters in effect there (its
    configuration's overrides, else the defaults); the code itself for an unknown rule."""
    found = RULES.get(rule)
    if found is None:
        return rule
    config = RuleConfig.objects.filter(agreement_id=agreement_id, rule=rule).first()
    return found.describe(config.params if config else None)
