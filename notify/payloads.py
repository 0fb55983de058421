"""The JSON body of a webhook: one alert transition, as the subscriber receives it."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.urls import reverse

from monitor.models import AlertTransition


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _iso_or_none(value: dt.datetime | None) -> str | None:
    return _iso(value) if value is not None else None


def event_payload(transition: AlertTransition) -> dict[str, Any]:
    """The JSON body for one transition: the alert as of that transition, and the move."""
    alert = transition.alert
    path = reverse("admin:monitor_alert_change", args=[alert.pk])
    return {
        "type": f"alert.{transition.kind}",
        "timestamp": _iso(transition.at),
        "data": {
            "alert": {
                "id": alert.pk,
                "rule": alert.rule,
                "title": alert.title,
                "explanation": alert.explanation,
                "severity": transition.severity,
                "state": transition.to_state,
                "agreement": alert.agreement.code,
                "clause": alert.clause.reference,
                "party": alert.party.code if alert.party is not None else None,
                # Set: a retrospective finding about that moment (an as_of in the past).
                "describes": _iso_or_none(alert.describes),
                "first_seen": _iso(alert.first_seen),
                "last_seen": _iso(alert.last_seen),
                "url": settings.SITE_URL + path,
            },
            "transition": {
                "id": transition.pk,
                "kind": transition.kind,
                "from_state": transition.from_state,
                "to_state": transition.to_state,
                "at": _iso(transition.at),
                "comment": transition.comment,
            },
        },
    }
