"""Alerts as CAP 1.2 messages, each validated against the OASIS schema."""

import datetime as dt
import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from lxml import etree

from monitor.formats.cap import (
    CAP_NS,
    CAP_PREFETCH_RELATED,
    CAP_SELECT_RELATED,
    FEED_NS,
    alert_as_cap,
    alert_as_cap_document,
    alerts_as_cap_document,
)
from monitor.models import Alert, AlertTransition, Severity
from tests.factories import AreaFactory, ObservationFactory

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "schemas" / "CAP-v1.2.xsd")))
SENDER = "accord-monitor@example.org"
BASE_URL = "https://monitor.example.org/"
T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
NS = {"cap": CAP_NS}
Kind = AlertTransition.Kind
State = Alert.State
_fingerprints = itertools.count()

OPENED = (Kind.OPENED, State.OPEN)
ESCALATED = (Kind.ESCALATED, State.OPEN)
ACKNOWLEDGED = (Kind.ACKNOWLEDGED, State.ACKNOWLEDGED)
RESOLVED = (Kind.AUTO_RESOLVED, State.RESOLVED)


def make_alert(
    world, *, steps=(OPENED,), severity=Severity.MODERATE, clause=None, title="Shelling near X"
) -> Alert:
    """An alert with one transition per step, an hour apart from T0."""
    alert = Alert.objects.create(
        fingerprint=f"fp-{next(_fingerprints)}",
        rule="clause.violation_recorded",
        clause=clause or world.clause_a,
        agreement=world.agreement,
        severity=severity,
        state=steps[-1][1],
        title=title,
        explanation="3 violations recorded in the last 24 hours.",
        first_seen=T0,
        last_seen=T0 + HOUR * (len(steps) - 1),
    )
    previous = ""
    for i, (kind, to_state) in enumerate(steps):
        AlertTransition.objects.create(
            alert=alert,
            kind=kind,
            from_state=previous,
            to_state=to_state,
            severity=severity,
            at=T0 + HOUR * i,
        )
        previous = to_state
    return alert


def render(alert: Alert, *, evidence=None) -> ET.Element:
    alert = Alert.objects.select_related(*CAP_SELECT_RELATED).get(pk=alert.pk)
    element = alert_as_cap(
        alert=alert,
        transitions=list(alert.transitions.all()),
        sender=SENDER,
        base_url=BASE_URL,
        evidence=evidence,
    )
    assert_valid(element)
    return element


def assert_valid(element: ET.Element) -> None:
    SCHEMA.assertValid(etree.fromstring(ET.tostring(element)))


def text(element: ET.Element, path: str) -> str | None:
    found = element.find(path, NS)
    return None if found is None else found.text


def message_ref(alert: Alert, transition: AlertTransition) -> str:
    sent = transition.at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return f"{SENDER},example.org.alert.{alert.pk}.{transition.pk},{sent}"


def polygons(element: ET.Element) -> list[list[str]]:
    return [p.text.split(" ") for p in element.findall("cap:info/cap:area/cap:polygon", NS)]


# --- message types and references ---------------------------------------------------------


def test_new_alert_is_an_alert_message_without_references(world):
    alert = make_alert(world)
    opened = alert.transitions.get()

    cap = render(alert)

    assert cap.tag == f"{{{CAP_NS}}}alert"
    assert text(cap, "cap:identifier") == f"example.org.alert.{alert.pk}.{opened.pk}"
    assert text(cap, "cap:sender") == SENDER
    assert text(cap, "cap:status") == "Actual"
    assert text(cap, "cap:scope") == "Public"
    assert text(cap, "cap:msgType") == "Alert"
    assert cap.find("cap:references", NS) is None


def test_escalated_alert_is_an_update_referencing_the_first_message(world):
    alert = make_alert(world, steps=(OPENED, ESCALATED))
    opened, escalated = alert.transitions.all()

    cap = render(alert)

    assert text(cap, "cap:msgType") == "Update"
    assert text(cap, "cap:identifier") == f"example.org.alert.{alert.pk}.{escalated.pk}"
    assert text(cap, "cap:references") == (
        f"{SENDER},example.org.alert.{alert.pk}.{opened.pk},2025-03-01T12:00:00+00:00"
    )


def test_acknowledgement_is_an_update(world):
    cap = render(make_alert(world, steps=(OPENED, ACKNOWLEDGED)))

    assert text(cap, "cap:msgType") == "Update"


def test_resolved_alert_is_a_cancel_referencing_every_earlier_message(world):
    alert = make_alert(world, steps=(OPENED, ESCALATED, RESOLVED))
    opened, escalated, _ = alert.transitions.all()

    cap = render(alert)

    assert text(cap, "cap:msgType") == "Cancel"
    assert text(cap, "cap:references") == " ".join(
        [message_ref(alert, opened), message_ref(alert, escalated)]
    )
    assert text(cap, "cap:info/cap:urgency") == "Past"


def test_identifier_is_stable_for_the_same_transition(world):
    alert = make_alert(world, steps=(OPENED, ESCALATED))

    assert ET.tostring(render(alert)) == ET.tostring(render(alert))


def test_sent_carries_an_offset_and_never_z(world):
    alert = make_alert(world)
    kyiv = dt.timezone(dt.timedelta(hours=2))
    alert.transitions.update(at=dt.datetime(2025, 2, 15, 0, 0, 5, tzinfo=kyiv))

    sent = text(render(alert), "cap:sent")

    assert sent == "2025-02-14T22:00:05+00:00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", sent)
    assert "Z" not in sent


def test_sender_with_a_space_is_refused(world):
    alert = make_alert(world)

    with pytest.raises(ValueError, match="sender"):
        alert_as_cap(
            alert=alert,
            transitions=list(alert.transitions.all()),
            sender="accord monitor",
            base_url=BASE_URL,
        )


# --- info --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (Severity.LOW, "Minor"),
        (Severity.MODERATE, "Moderate"),
        (Severity.HIGH, "Severe"),
        (Severity.CRITICAL, "Extreme"),
    ],
)
def test_severity_maps_onto_cap_severity(world, severity, expected):
    cap = render(make_alert(world, severity=severity))

    assert text(cap, "cap:info/cap:severity") == expected


@pytest.mark.parametrize(
    ("steps", "severity", "expected"),
    [
        ((OPENED,), Severity.CRITICAL, "Immediate"),
        ((OPENED, ESCALATED), Severity.HIGH, "Immediate"),
        ((OPENED,), Severity.MODERATE, "Expected"),
        ((OPENED, ACKNOWLEDGED), Severity.CRITICAL, "Expected"),
        ((OPENED, RESOLVED), Severity.CRITICAL, "Past"),
    ],
)
def test_urgency_follows_state_and_severity(world, steps, severity, expected):
    cap = render(make_alert(world, steps=steps, severity=severity))

    assert text(cap, "cap:info/cap:urgency") == expected


@pytest.mark.parametrize(
    ("credibilities", "expected"),
    [
        ([1], "Observed"),
        ([2], "Likely"),
        ([3], "Possible"),
        ([4], "Unlikely"),
        ([5], "Unlikely"),
        ([6], "Unknown"),
        ([], "Unknown"),
        ([6, 3, 1], "Observed"),
    ],
)
def test_certainty_comes_from_the_best_evidence_credibility(world, credibilities, expected):
    alert = make_alert(world)
    evidence = [ObservationFactory(information_credibility=c) for c in credibilities]

    cap = render(alert, evidence=evidence)

    assert text(cap, "cap:info/cap:certainty") == expected


def test_certainty_is_unknown_without_evidence_argument(world):
    cap = render(make_alert(world), evidence=None)

    assert text(cap, "cap:info/cap:certainty") == "Unknown"


def test_info_describes_the_alert_with_link_and_parameters(world):
    alert = make_alert(world, steps=(OPENED, ACKNOWLEDGED))

    info = render(alert).find("cap:info", NS)

    assert text(info, "cap:category") == "Security"
    assert text(info, "cap:event") == "Violations recorded"
    assert text(info, "cap:senderName") == "Accord Monitor"
    assert text(info, "cap:headline") == "Shelling near X"
    assert text(info, "cap:description") == alert.explanation
    assert text(info, "cap:web") == f"https://monitor.example.org/api/v1/alerts/{alert.pk}/"
    parameters = {
        text(p, "cap:valueName"): text(p, "cap:value") for p in info.findall("cap:parameter", NS)
    }
    assert parameters == {
        "rule": "clause.violation_recorded",
        "agreement": "test-ceasefire",
        "clause": "1",
        "state": "acknowledged",
    }


def test_headline_is_cut_to_160_characters(world):
    cap = render(make_alert(world, title="x" * 300))

    headline = text(cap, "cap:info/cap:headline")
    assert len(headline) == 160
    assert headline.endswith("…")


# --- area --------------------------------------------------------------------------------


def test_clause_polygon_is_rendered_latitude_first_and_closed(world):
    clause = world.clause_a
    clause.geometry = {
        "type": "Polygon",
        "coordinates": [[[37.5, 47.1], [37.9, 47.1], [37.9, 47.4], [37.5, 47.4], [37.5, 47.1]]],
    }
    clause.save()

    (points,) = polygons(render(make_alert(world)))

    assert points[0] == "47.1,37.5"  # GeoJSON [lon, lat] becomes CAP "lat,lon"
    assert points[2] == "47.4,37.9"
    assert points[0] == points[-1]
    assert len(points) >= 4


def test_an_open_ring_is_closed_and_each_multipolygon_part_is_a_polygon(world):
    clause = world.clause_a
    clause.geometry = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[30.0, 46.0], [31.0, 46.0], [31.0, 47.0]]],  # not closed
            [[[32.0, 46.0], [33.0, 46.0], [33.0, 47.0], [32.0, 46.0]]],
        ],
    }
    clause.save()

    first, second = polygons(render(make_alert(world)))

    assert first == ["46,30", "46,31", "47,31", "46,30"]
    assert second[0] == "46,32"


def test_area_bbox_gives_a_five_point_rectangle(world):
    area = AreaFactory(
        name="Donetsk oblast", min_lon=36.5, min_lat=46.9, max_lon=39.0, max_lat=49.2
    )
    world.clause_a.areas.add(area)

    cap = render(make_alert(world))

    assert text(cap, "cap:info/cap:area/cap:areaDesc") == "Donetsk oblast"
    (points,) = polygons(cap)
    assert points == ["46.9,36.5", "46.9,39", "49.2,39", "49.2,36.5", "46.9,36.5"]


def test_areas_are_named_together(world):
    world.clause_a.areas.add(AreaFactory(name="Donetsk oblast"), AreaFactory(name="Luhansk oblast"))

    cap = render(make_alert(world))

    assert text(cap, "cap:info/cap:area/cap:areaDesc") == "Donetsk oblast, Luhansk oblast"
    assert polygons(cap) == []


def test_an_alert_about_one_area_describes_that_area_not_the_clause(world):
    world.clause_a.areas.add(AreaFactory(name="Donetsk oblast"), AreaFactory(name="Luhansk oblast"))
    district = AreaFactory(
        name="Bakhmut district", min_lon=37.8, min_lat=48.5, max_lon=38.2, max_lat=48.7
    )
    alert = make_alert(world)
    Alert.objects.filter(pk=alert.pk).update(area=district)

    cap = render(alert)

    assert text(cap, "cap:info/cap:area/cap:areaDesc") == "Bakhmut district"
    (points,) = polygons(cap)
    assert points[0] == "48.5,37.8"


def test_circle_surrounds_the_latest_located_evidence(world):
    alert = make_alert(world)
    evidence = [
        ObservationFactory(occurred_at=T0 - 2 * HOUR, latitude=47.0, longitude=37.0),
        ObservationFactory(occurred_at=T0 - HOUR, latitude=47.25, longitude=37.75),
        ObservationFactory(occurred_at=T0, latitude=None, longitude=None),
    ]

    cap = render(alert, evidence=evidence)

    assert text(cap, "cap:info/cap:area/cap:circle") == "47.25,37.75 5"
    assert polygons(cap) == []


def test_area_without_geometry_names_the_agreement(world):
    cap = render(make_alert(world), evidence=[ObservationFactory()])

    area = cap.find("cap:info/cap:area", NS)
    assert text(area, "cap:areaDesc") == "Test ceasefire"
    assert [child.tag for child in area] == [f"{{{CAP_NS}}}areaDesc"]


# --- documents ---------------------------------------------------------------------------


def test_single_document_has_an_xml_declaration_and_a_cap_root(world):
    alert = make_alert(world)

    document = alert_as_cap_document(
        alert=alert, transitions=list(alert.transitions.all()), sender=SENDER, base_url=BASE_URL
    )

    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(document)
    assert root.tag == f"{{{CAP_NS}}}alert"
    SCHEMA.assertValid(root)


def test_list_document_holds_one_valid_cap_alert_per_alert_without_queries(
    world, django_assert_num_queries
):
    world.clause_b.areas.add(AreaFactory(min_lon=36.5, min_lat=46.9, max_lon=39.0, max_lat=49.2))
    first = make_alert(world)
    second = make_alert(world, clause=world.clause_b, steps=(OPENED, ESCALATED, RESOLVED))
    first.evidence.add(ObservationFactory(information_credibility=2, latitude=47, longitude=37))
    alerts = (
        Alert.objects.filter(pk__in=[first.pk, second.pk])
        .select_related(*CAP_SELECT_RELATED)
        .prefetch_related(*CAP_PREFETCH_RELATED, "transitions", "evidence")
        .order_by("pk")
    )
    items = [(a, list(a.transitions.all()), list(a.evidence.all())) for a in alerts]

    with django_assert_num_queries(0):
        document = alerts_as_cap_document(items=items, sender=SENDER, base_url=BASE_URL)

    root = etree.fromstring(document)
    assert root.tag == f"{{{FEED_NS}}}feed"
    messages = root.findall("cap:alert", NS)
    assert len(messages) == len(root) == 2
    for message in messages:
        SCHEMA.assertValid(etree.ElementTree(message))
    assert [m.findtext("cap:msgType", namespaces=NS) for m in messages] == ["Alert", "Cancel"]


# --- the schema itself is strict -----------------------------------------------------------


def _minimal(sent: str = "2025-03-01T12:00:00+00:00", *, swap: bool = False) -> bytes:
    head = [f"<sent>{sent}</sent>", "<status>Actual</status>"]
    if swap:
        head.reverse()
    return (
        f'<alert xmlns="{CAP_NS}"><identifier>x.1</identifier><sender>{SENDER}</sender>'
        f"{''.join(head)}<msgType>Alert</msgType><scope>Public</scope></alert>"
    ).encode()


def test_schema_accepts_a_minimal_message():
    assert SCHEMA.validate(etree.fromstring(_minimal()))


def test_schema_rejects_sent_in_z_form():
    assert not SCHEMA.validate(etree.fromstring(_minimal("2025-03-01T12:00:00Z")))


def test_schema_rejects_elements_out_of_order():
    assert not SCHEMA.validate(etree.fromstring(_minimal(swap=True)))
