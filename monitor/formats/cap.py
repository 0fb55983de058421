"""Alerts as OASIS CAP 1.2 messages (``urn:oasis:names:tc:emergency:cap:1.2``).

Every alert transition is one CAP message: the first (``opened``) is ``msgType`` Alert, later
ones are Update, and a resolution is Cancel; Update and Cancel list every earlier message of
the alert in ``references``. Identifiers are therefore stable: the same transition always
renders with the same ``identifier`` and ``sent``.

A retrospective alert (``describes`` set: a finding about a past date) keeps ``status``
Actual and the same ``msgType`` sequence, and says what it is in ``note``, ``headline`` and
``description``, with urgency Past and a ``describes`` parameter (see ``_retrospective``).

The renderer issues no queries. Callers load the alerts with ``CAP_SELECT_RELATED`` and
``CAP_PREFETCH_RELATED`` and pass each alert's transitions and evidence explicitly.

Standard library only (``xml.etree``): production needs no XML dependency. The tests validate
the output against the OASIS schema with lxml.
"""

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence

from agreements.models import Area, Clause
from monitor.models import Alert, AlertTransition, Severity
from monitor.rules import RULES
from monitor.rules.base import long_date
from reports.models import Observation

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# A list of CAP messages is not a CAP construct, so its root lives in our own namespace
# rather than inventing an element in CAP's.
FEED_NS = "https://accord-monitor.invalid/ns/cap-feed/1"
SENDER_NAME = "Accord Monitor"
EVIDENCE_RADIUS_KM = 5
HEADLINE_MAX = 160  # CAP recommends headlines of at most 160 characters (SMS-sized).

CAP_SELECT_RELATED = ("agreement", "clause", "area")
CAP_PREFETCH_RELATED = ("clause__areas",)

ET.register_namespace("cap", CAP_NS)

_CANCELLING = {AlertTransition.Kind.RESOLVED, AlertTransition.Kind.AUTO_RESOLVED}
_SEVERITY: dict[int, str] = {
    Severity.LOW: "Minor",
    Severity.MODERATE: "Moderate",
    Severity.HIGH: "Severe",
    Severity.CRITICAL: "Extreme",
}
_CERTAINTY = {1: "Observed", 2: "Likely", 3: "Possible", 4: "Unlikely", 5: "Unlikely"}
_RESERVED = set(" ,<&")  # CAP forbids these in sender and identifier


def alert_as_cap(
    *,
    alert: Alert,
    transitions: Sequence[AlertTransition],
    sender: str,
    base_url: str,
    evidence: Sequence[Observation] | None = None,
) -> ET.Element:
    """The alert's current CAP message, i.e. the one for its latest transition."""
    if not transitions:
        raise ValueError(f"Alert {alert.pk} has no transitions, so no CAP message.")
    if not sender or _RESERVED & set(sender):
        raise ValueError("A CAP sender must be non-empty, without spaces, commas, < or &.")
    # Comments change no state, so they make no CAP message (nor a reference).
    history = sorted(
        (t for t in transitions if t.kind != AlertTransition.Kind.COMMENTED), key=lambda t: t.pk
    )
    latest, earlier = history[-1], history[:-1]
    cancelled = latest.kind in _CANCELLING
    msg_type = "Cancel" if cancelled else "Update" if earlier else "Alert"

    root = ET.Element(_cap("alert"))
    _add(root, "identifier", _identifier(alert, latest, sender))
    _add(root, "sender", sender)
    _add(root, "sent", _cap_datetime(latest.at))
    _add(root, "status", "Actual")
    _add(root, "msgType", msg_type)
    _add(root, "scope", "Public")
    _add(root, "note", _note(alert, latest))
    if earlier:
        refs = (f"{sender},{_identifier(alert, t, sender)},{_cap_datetime(t.at)}" for t in earlier)
        _add(root, "references", " ".join(refs))
    _add_info(root, alert, latest, cancelled, base_url, list(evidence or []))
    return root


def alert_as_cap_document(
    *,
    alert: Alert,
    transitions: Sequence[AlertTransition],
    sender: str,
    base_url: str,
    evidence: Sequence[Observation] | None = None,
) -> bytes:
    """One CAP message as a UTF-8 XML document whose root is ``cap:alert``."""
    element = alert_as_cap(
        alert=alert, transitions=transitions, sender=sender, base_url=base_url, evidence=evidence
    )
    return _document(element, default_namespace=CAP_NS)


def alerts_as_cap_document(
    *,
    items: Iterable[tuple[Alert, Sequence[AlertTransition], Sequence[Observation] | None]],
    sender: str,
    base_url: str,
) -> bytes:
    """Many CAP messages as ``<feed xmlns=FEED_NS>`` holding one ``cap:alert`` per item.

    ``items`` are ``(alert, transitions, evidence)`` tuples the caller has already loaded.
    """
    feed = ET.Element(f"{{{FEED_NS}}}feed")
    for alert, transitions, evidence in items:
        feed.append(
            alert_as_cap(
                alert=alert,
                transitions=transitions,
                sender=sender,
                base_url=base_url,
                evidence=evidence,
            )
        )
    return _document(feed, default_namespace=FEED_NS)


def cap_certainty(evidence: Sequence[Observation]) -> str:
    """CAP certainty from the best (lowest) information credibility among the evidence.

    Credibility 1 (confirmed) → Observed, 2 (probably true) → Likely, 3 (possibly true) →
    Possible, 4 (doubtful) and 5 (improbable) → Unlikely, 6 (cannot be judged) or no evidence
    → Unknown.
    """
    grades = [o.information_credibility for o in evidence]
    return _CERTAINTY.get(min(grades), "Unknown") if grades else "Unknown"


def cap_urgency(*, state: str, severity: int, cancelled: bool, retrospective: bool = False) -> str:
    """Past once cancelled or when about a past date (a retrospective finding calls for no
    responsive action now); Immediate for a live, unacknowledged High or Critical alert."""
    if cancelled or retrospective:
        return "Past"
    if state == Alert.State.OPEN and severity >= Severity.HIGH:
        return "Immediate"
    return "Expected"


def _add_info(
    root: ET.Element,
    alert: Alert,
    latest: AlertTransition,
    cancelled: bool,
    base_url: str,
    evidence: list[Observation],
) -> None:
    # Severity and state come from the latest transition, so a message's content is as stable
    # as its identifier.
    info = _add(root, "info")
    _add(info, "category", "Security")
    rule = RULES.get(alert.rule)
    _add(info, "event", rule.title if rule else alert.title)
    _add(
        info,
        "urgency",
        cap_urgency(
            state=latest.to_state,
            severity=latest.severity,
            cancelled=cancelled,
            retrospective=alert.describes is not None,
        ),
    )
    _add(info, "severity", _SEVERITY.get(latest.severity, "Unknown"))
    _add(info, "certainty", cap_certainty(evidence))
    _add(info, "senderName", SENDER_NAME)
    retrospective = _retrospective(alert)
    _add(info, "headline", _shorten(f"{retrospective}{alert.title}", HEADLINE_MAX))
    _add(info, "description", f"{retrospective}{alert.explanation}")
    _add(info, "web", f"{base_url.rstrip('/')}/api/v1/alerts/{alert.pk}/")
    parameters = {
        "rule": alert.rule,
        "agreement": alert.agreement.code,
        "clause": alert.clause.reference,
        "state": latest.to_state,
    }
    if alert.describes is not None:
        parameters["describes"] = _cap_datetime(alert.describes)
    for name, value in parameters.items():
        parameter = _add(info, "parameter")
        _add(parameter, "valueName", name)
        _add(parameter, "value", value)
    _add_area(info, alert, evidence)


def _add_area(info: ET.Element, alert: Alert, evidence: list[Observation]) -> None:
    # An alert about one area (fingerprinted by it) speaks for that area, not the clause's.
    areas: list[Area] = [alert.area] if alert.area else list(alert.clause.areas.all())
    area = _add(info, "area")
    _add(area, "areaDesc", ", ".join(a.name for a in areas) or alert.agreement.title)
    polygons = _geometry_polygons(alert.clause) or [_bbox_polygon(a) for a in areas if _has_bbox(a)]
    for polygon in polygons:
        _add(area, "polygon", polygon)
    if not polygons:
        located = [
            (o.occurred_at, o.pk, o.latitude, o.longitude)
            for o in evidence
            if o.latitude is not None and o.longitude is not None
        ]
        if located:
            *_, lat, lon = max(located)
            point = _point(lat, lon)
            _add(area, "circle", f"{point} {EVIDENCE_RADIUS_KM}")


def _retrospective(alert: Alert) -> str:
    """What a retrospective alert's headline and description start with ("" for live ones).

    CAP 1.2 has no element for "this is about the past", and the standard's own values do
    not fit one: ``status`` Exercise, System, Test and Draft mean the message is not about
    a real event, and this finding is real, so it stays Actual (3.2.1 status). ``msgType``
    says how a message relates to earlier messages with the same identifiers (Alert: initial
    information; Update supersedes; Cancel cancels), not when the event happened, so the
    alert's own Alert / Update / Cancel sequence stands (3.2.1 msgType). What is left is
    text: ``note`` ("the text describing the purpose or significance of the alert message"),
    the ``headline`` and ``description`` a person reads, urgency Past ("responsive action is
    no longer required", 3.2.2 urgency), and a ``describes`` parameter for systems.
    """
    if alert.describes is None:
        return ""
    return f"Retrospective finding about {long_date(alert.describes)}: "


def _note(alert: Alert, latest: AlertTransition) -> str:
    note = latest.get_kind_display()
    if alert.describes is None:
        return note
    return (
        f"{note}. A retrospective finding about {long_date(alert.describes)}, made on "
        f"{long_date(alert.first_seen)}; not a current condition."
    )


def _geometry_polygons(clause: Clause) -> list[str]:
    """CAP polygons (outer rings only: CAP has no holes) from the clause's GeoJSON."""
    geometry = clause.geometry or {}
    kind, coordinates = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        rings = coordinates[:1]
    elif kind == "MultiPolygon":
        rings = [polygon[0] for polygon in coordinates if polygon]
    else:
        return []
    polygons = []
    for ring in rings:
        # GeoJSON positions are [lon, lat]; CAP points are "lat,lon".
        points = [_point(position[1], position[0]) for position in ring]
        if points and points[0] != points[-1]:
            points.append(points[0])
        if len(points) >= 4:
            polygons.append(" ".join(points))
    return polygons


def _has_bbox(area: Area) -> bool:
    return None not in (area.min_lat, area.min_lon, area.max_lat, area.max_lon)


def _bbox_polygon(area: Area) -> str:
    corners: list[tuple[float | None, float | None]] = [
        (area.min_lat, area.min_lon),
        (area.min_lat, area.max_lon),
        (area.max_lat, area.max_lon),
        (area.max_lat, area.min_lon),
        (area.min_lat, area.min_lon),
    ]
    return " ".join(_point(lat, lon) for lat, lon in corners)


def _point(lat: float | None, lon: float | None) -> str:
    """``lat,lon`` of a place known to be placed (the callers check for None)."""
    assert lat is not None and lon is not None
    return f"{_degrees(lat)},{_degrees(lon)}"


def _degrees(value: float) -> str:
    # Fixed notation (never 1e-05), trailing zeros trimmed; 6 decimals is about 0.1 m.
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _identifier(alert: Alert, transition: AlertTransition, sender: str) -> str:
    domain = sender.rpartition("@")[2]
    return f"{domain}.alert.{alert.pk}.{transition.pk}"


def _cap_datetime(moment: dt.datetime) -> str:
    """``2025-03-01T12:00:00+00:00``: CAP wants an explicit offset and forbids ``Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _cap(name: str) -> str:
    return f"{{{CAP_NS}}}{name}"


def _add(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, _cap(name))
    if text is not None:
        element.text = text
    return element


def _document(root: ET.Element, *, default_namespace: str) -> bytes:
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode", default_namespace=default_namespace)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()
