"""Live and retrospective alerts kept apart over the API: the alert lists (JSON, CAP, GeoJSON,
CSV), the change feed, and the clocks the scorecards take."""

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine
from lxml import etree

from monitor.models import Alert, AlertTransition
from monitor.selectors import alerts_live, alerts_retrospective
from tests.api.conftest import assert_error_shape
from tests.monitor.clocks_world import (
    AS_OF,
    NOW,
    VIOLATIONS,
    clocks_world_build,
    live_run,
    retrospective_run,
)

ALERTS = "/api/v1/alerts/"
FEED = "/api/v1/alerts/changes/"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
SCHEMA = etree.XMLSchema(
    etree.parse(str(Path(__file__).parents[1] / "monitor" / "schemas" / "CAP-v1.2.xsd"))
)
LATER = NOW + dt.timedelta(hours=3)


@pytest.fixture
def both(world):
    """Live alerts of the personas' agreement (one resolved since) and retrospective alerts
    about 20 February 2022 on Minsk II."""
    with time_machine.travel(NOW, tick=False) as clock:
        live_run()
        clocks = clocks_world_build()
        clock.shift(LATER - NOW)
        retrospective_run(agreement_codes=["minsk-ii"])
        yield clocks


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content[:300]
    return {row["id"] for row in response.json()["results"]}


def test_the_alert_list_holds_the_present_by_default(client_for, api_consumer, both):
    client = client_for(api_consumer)
    live = set(Alert.objects.filter(describes__isnull=True).values_list("pk", flat=True))
    past = set(alerts_retrospective().values_list("pk", flat=True))
    assert live and past
    assert ids(client.get(ALERTS)) == live
    assert ids(client.get(ALERTS, {"retrospective": "false"})) == live
    assert ids(client.get(ALERTS, {"retrospective": "true", "page_size": 100})) == past
    assert ids(client.get(ALERTS, {"retrospective": "all", "page_size": 100})) == live | past


def test_an_alert_says_what_moment_it_describes(client_for, api_consumer, both):
    client = client_for(api_consumer)
    [live] = client.get(ALERTS, {"rule": "clause.unmonitored"}).json()["results"]
    assert live["describes"] is None
    [past] = client.get(ALERTS, {"retrospective": "true", "rule": VIOLATIONS}).json()["results"]
    assert past["describes"] == "2022-02-20T23:59:59Z"
    assert past["title"].startswith("As of 20 February 2022: ")
    detail = client.get(f"{ALERTS}{past['id']}/")  # found by id whatever its clock
    assert detail.status_code == 200
    assert detail.json()["describes"] == "2022-02-20T23:59:59Z"


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({"describes_from": "2022-02-20"}, True),
        ({"describes_to": "2022-02-20"}, True),
        ({"describes_from": "2022-02-21"}, False),
        ({"describes_to": "2022-02-19"}, False),
        (
            {"retrospective": "true", "describes_from": "2022-02-01", "describes_to": "2022-02-28"},
            True,
        ),
    ],
)
def test_retrospective_alerts_by_the_day_they_describe(
    client_for, api_consumer, both, query, found
):
    listed = ids(client_for(api_consumer).get(ALERTS, {**query, "page_size": 100}))
    assert listed == (set(alerts_retrospective().values_list("pk", flat=True)) if found else set())


@pytest.mark.parametrize(
    "query", [{"retrospective": "yes"}, {"describes_from": "20 February 2022"}]
)
def test_a_bad_clock_filter_is_a_400(client_for, api_consumer, both, query):
    response = client_for(api_consumer).get(ALERTS, query)
    assert response.status_code == 400
    assert set(query) <= set(assert_error_shape(response)["details"])


def test_cap_says_a_retrospective_finding_is_about_its_date(client_for, api_consumer, both):
    response = client_for(api_consumer).get(
        ALERTS, {"retrospective": "true", "rule": VIOLATIONS, "format": "cap"}
    )
    assert response.status_code == 200
    [message] = etree.fromstring(response.content).findall(f"{CAP}alert")
    SCHEMA.assertValid(message)
    assert message.findtext(f"{CAP}status") == "Actual"
    assert message.findtext(f"{CAP}msgType") == "Alert"
    note = message.findtext(f"{CAP}note")
    assert "retrospective finding about 20 February 2022, made on 1 March 2026" in note
    info = message.find(f"{CAP}info")
    assert info.findtext(f"{CAP}urgency") == "Past"
    headline = info.findtext(f"{CAP}headline")
    assert headline.startswith("Retrospective finding about 20 February 2022: As of")
    assert info.findtext(f"{CAP}description").startswith(
        "Retrospective finding about 20 February 2022: As of 20 February 2022"
    )
    parameters = {
        p.findtext(f"{CAP}valueName"): p.findtext(f"{CAP}value")
        for p in info.findall(f"{CAP}parameter")
    }
    assert parameters["describes"] == "2022-02-20T23:59:59+00:00"


def test_a_live_alert_in_cap_has_no_describes(client_for, api_consumer, both):
    response = client_for(api_consumer).get(ALERTS, {"rule": "clause.unmonitored", "format": "cap"})
    [message] = etree.fromstring(response.content).findall(f"{CAP}alert")
    info = message.find(f"{CAP}info")
    names = {p.findtext(f"{CAP}valueName") for p in info.findall(f"{CAP}parameter")}
    assert "describes" not in names
    assert "retrospective" not in etree.tostring(message, encoding="unicode").lower()


def streamed(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_geojson_and_csv_carry_describes(client_for, api_consumer, both):
    client = client_for(api_consumer)
    geo = json.loads(streamed(client.get(ALERTS, {"retrospective": "all", "format": "geojson"})))
    described = {(f["properties"]["rule"], f["properties"]["describes"]) for f in geo["features"]}
    assert (VIOLATIONS, "2022-02-20T23:59:59+00:00") in described
    assert ("clause.unmonitored", None) in described
    csv = streamed(client.get(ALERTS, {"retrospective": "true", "format": "csv"})).decode()
    header, first = csv.splitlines()[:2]
    assert "describes" in header.split(",")
    assert "2022-02-20T23:59:59+00:00" in first


def test_the_change_feed_leaves_out_retrospective_alerts_unless_asked(
    client_for, api_consumer, both
):
    client = client_for(api_consumer)
    live = set(
        AlertTransition.objects.filter(alert__describes__isnull=True).values_list("pk", flat=True)
    )
    every = set(AlertTransition.objects.values_list("pk", flat=True))
    assert live < every
    default = client.get(FEED, {"limit": 1000}).json()["results"]
    assert {row["id"] for row in default} == live
    assert {row["alert"]["describes"] for row in default} == {None}
    included = client.get(FEED, {"limit": 1000, "retrospective": "include"}).json()["results"]
    assert {row["id"] for row in included} == every
    assert "2022-02-20T23:59:59Z" in {row["alert"]["describes"] for row in included}
    response = client.get(FEED, {"retrospective": "only"})
    assert response.status_code == 400
    assert "retrospective" in assert_error_shape(response, "invalid")["details"]


def test_analysts_acknowledge_a_retrospective_alert_over_the_api(client_for, analyst, both):
    alert = alerts_retrospective().get(rule=VIOLATIONS)
    response = client_for(analyst).post(f"{ALERTS}{alert.pk}/acknowledge/", {"comment": "Seen."})
    assert response.status_code == 200, response.content[:300]
    assert response.json()["state"] == "acknowledged"
    assert response.json()["describes"] == "2022-02-20T23:59:59Z"
    assert not alerts_live().filter(pk=alert.pk).exists()  # still not a live alert


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/scorecards/",
        "/api/v1/scorecards/agreements/test-ceasefire/",
        "/api/v1/scorecards/parties/ukraine/",
    ],
)
def test_scorecards_refuse_a_bad_known_at(client_for, analyst, both, path):
    response = client_for(analyst).get(path, {"as_of": "2022-02-20", "known_at": "last week"})
    assert response.status_code == 400
    assert "known_at" in assert_error_shape(response, "invalid")["details"]


def test_as_of_alone_still_serves_a_past_scorecard(client_for, analyst, both):
    response = client_for(analyst).get(
        "/api/v1/scorecards/agreements/minsk-ii/", {"as_of": AS_OF.date().isoformat()}
    )
    assert response.status_code == 200, response.content[:300]
