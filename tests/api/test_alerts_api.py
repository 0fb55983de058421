"""The alerts API: filters, what each alert carries, the analysts' moves, fixed query cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitor.models import Alert, AlertTransition
from tests.api.conftest import assert_error_shape, make_alert
from tests.factories import AgreementFactory, AreaFactory, ClauseFactory, PartyFactory

ALERTS = "/api/v1/alerts/"
State = Alert.State


@pytest.fixture
def varied(world, filed_a):
    """Alerts that differ in one thing each, so every filter has something to tell apart."""
    east, west = PartyFactory(code="east"), PartyFactory(code="west")
    donbas = AreaFactory(code="donbas")
    world.clause_b.areas.add(donbas)
    other = ClauseFactory(agreement=AgreementFactory(code="other-accord"), reference="9")
    return {
        "low_open": make_alert(world.clause_a, severity=1, party=east),
        "critical_ack": make_alert(
            world.clause_a, severity=4, state=State.ACKNOWLEDGED, party=west
        ),
        "resolved_in_area": make_alert(
            world.clause_b, rule="clause.unmonitored", severity=2, state=State.RESOLVED
        ),
        "other_agreement": make_alert(other, rule="clause.deadline_missed", severity=3),
        "with_evidence": make_alert(
            world.clause_a, severity=2, evidence=[filed_a.observation], party=east
        ),
    }


def _ids(client, query: str = "") -> set[int]:
    response = client.get(f"{ALERTS}?{query}")
    assert response.status_code == 200, response.content[:300]
    return {a["id"] for a in response.json()["results"]}


def _pks(varied, *names) -> set[int]:
    return {varied[n].pk for n in names}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=open", ["low_open", "other_agreement", "with_evidence"]),
        (
            "state=open&state=acknowledged",
            ["low_open", "critical_ack", "other_agreement", "with_evidence"],
        ),
        ("state=resolved", ["resolved_in_area"]),
        ("min_severity=3", ["critical_ack", "other_agreement"]),
        ("rule=clause.unmonitored", ["resolved_in_area"]),
        ("agreement=other-accord", ["other_agreement"]),
        ("party=east", ["low_open", "with_evidence"]),
        ("area=donbas", ["resolved_in_area"]),
        ("agreement=test-ceasefire&min_severity=2&state=open", ["with_evidence"]),
    ],
)
def test_alert_filters_select_the_matching_alerts(client_for, analyst, varied, query, expected):
    assert _ids(client_for(analyst), query) == _pks(varied, *expected)


@pytest.mark.parametrize("query", ["state=sleeping", "rule=no.such.rule", "min_severity=high"])
def test_an_invalid_filter_value_is_a_400_naming_the_field(client_for, analyst, varied, query):
    response = client_for(analyst).get(f"{ALERTS}?{query}")
    assert response.status_code == 400
    error = assert_error_shape(response, "invalid")
    assert query.split("=")[0] in error["details"]


def test_alerts_come_newest_first(client_for, analyst, varied):
    ids = [a["id"] for a in client_for(analyst).get(ALERTS).json()["results"]]
    assert ids == sorted(ids, reverse=True)


def test_each_alert_carries_explanation_evidence_and_history(client_for, analyst, varied, filed_a):
    alert = varied["with_evidence"]
    client = client_for(analyst)

    listed = {a["id"]: a for a in client.get(ALERTS).json()["results"]}[alert.pk]
    detail = client.get(f"{ALERTS}{alert.pk}/").json()

    for body in (listed, detail):
        assert body["explanation"] == "Two violations were recorded in the last week."
        assert [e["id"] for e in body["evidence"]] == [filed_a.observation.pk]
        assert body["evidence"][0]["place_name"] == "Place of A-SECRET-0001"
        assert [(h["kind"], h["to_state"]) for h in body["history"]] == [("opened", "open")]
        assert body["agreement"] == "test-ceasefire" and body["clause"] == "1"
        assert body["party"] == "east" and body["severity_label"] == "Moderate"


def test_unknown_alert_is_a_404_in_the_error_shape(client_for, analyst, world):
    response = client_for(analyst).get(f"{ALERTS}999999/")
    assert response.status_code == 404
    assert_error_shape(response, "not_found")


def test_analyst_acknowledges_then_resolves_and_each_move_is_a_transition(
    client_for, analyst, alert
):
    client = client_for(analyst)

    acknowledged = client.post(f"{ALERTS}{alert.pk}/acknowledge/", {"comment": "Looking"})
    resolved = client.post(f"{ALERTS}{alert.pk}/resolve/", {"comment": "Verified: shelling"})

    assert acknowledged.status_code == 200 and acknowledged.json()["state"] == "acknowledged"
    assert resolved.status_code == 200
    body = resolved.json()
    assert body["state"] == "resolved" and body["resolved_at"]
    assert [
        (h["kind"], h["from_state"], h["to_state"], h["by"], h["comment"]) for h in body["history"]
    ] == [
        ("opened", "", "open", None, ""),
        ("acknowledged", "open", "acknowledged", "analyst", "Looking"),
        ("resolved", "acknowledged", "resolved", "analyst", "Verified: shelling"),
    ]
    stored = AlertTransition.objects.filter(alert=alert).order_by("id")
    assert [t.kind for t in stored] == ["opened", "acknowledged", "resolved"]
    assert Alert.objects.get(pk=alert.pk).state == State.RESOLVED


@pytest.mark.parametrize("comment", [None, "", "   "])
def test_resolve_without_a_comment_is_a_400_that_says_why(client_for, analyst, alert, comment):
    data = {} if comment is None else {"comment": comment}

    response = client_for(analyst).post(f"{ALERTS}{alert.pk}/resolve/", data)

    assert response.status_code == 400
    error = assert_error_shape(response, "invalid")
    assert "Say why the alert is resolved" in " ".join(error["details"]["state"])
    assert Alert.objects.get(pk=alert.pk).state == State.OPEN
    assert AlertTransition.objects.filter(alert=alert).count() == 1


def test_acknowledging_a_resolved_alert_is_a_400(client_for, analyst, world):
    resolved = make_alert(world.clause_a, state=State.RESOLVED)
    response = client_for(analyst).post(f"{ALERTS}{resolved.pk}/acknowledge/")
    assert response.status_code == 400
    assert "cannot become" in " ".join(assert_error_shape(response, "invalid")["details"]["state"])


def test_acknowledging_an_unknown_alert_is_a_404(client_for, analyst, world):
    response = client_for(analyst).post(f"{ALERTS}999999/acknowledge/")
    assert response.status_code == 404
    assert_error_shape(response, "not_found")


def test_query_count_of_a_page_does_not_depend_on_its_size(client_for, analyst, world, filed_a):
    east = PartyFactory(code="east")
    world.clause_a.areas.add(AreaFactory(code="zone-1"))
    for n in range(60):
        clause = world.clause_a if n % 2 else world.clause_b
        alert = make_alert(clause, severity=1 + n % 4, party=east if n % 3 else None)
        alert.evidence.add(filed_a.observation)
    client = client_for(analyst)
    client.get(ALERTS)  # session and role caches warm, as for any later page

    counts = {}
    for size in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{ALERTS}?page_size={size}")
        assert len(response.json()["results"]) == size
        counts[size] = len(queries)

    assert counts[5] == counts[50], counts


@pytest.mark.parametrize(
    ("changed_since", "expected"),
    [
        ("2025-03-01T11:00:00Z", 200),
        # Python takes offsets up to ±23:59, PostgreSQL only ±15:59: turned to UTC first.
        ("2025-03-01T11:00:00+21:33", 200),
        ("0001-01-01T00:00:00+05:00", 400),  # before year 1 once in UTC
        ("yesterday", 400),
    ],
)
def test_changed_since_takes_any_iso_offset(client_for, analyst, alert, changed_since, expected):
    response = client_for(analyst).get(ALERTS, {"changed_since": changed_since})
    assert response.status_code == expected
    if expected == 400:
        assert "changed_since" in assert_error_shape(response, "invalid")["details"]


# --- scorecards, served beside the alerts ------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/scorecards/",
        "/api/v1/scorecards/agreements/test-ceasefire/",
        "/api/v1/scorecards/parties/east/",
    ],
)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, 200),
        ({"as_of": "2025-03-01"}, 200),
        ({"as_of": "0001-01-01"}, 400),  # a window before it would leave the calendar
        ({"as_of": "9999-12-31"}, 400),
        ({"as_of": "1st March"}, 400),
    ],
)
def test_scorecards_take_a_date_within_bounds(client_for, analyst, world, path, query, expected):
    PartyFactory(code="east")
    response = client_for(analyst).get(path, query)
    assert response.status_code == expected, response.content[:300]
    if expected == 400:
        assert "as_of" in assert_error_shape(response, "invalid")["details"]


def test_a_scorecard_period_ending_before_it_starts_is_a_400(client_for, analyst, world):
    response = client_for(analyst).get(
        "/api/v1/scorecards/agreements/test-ceasefire/", {"from": "2025-03-01", "to": "2025-02-01"}
    )
    assert response.status_code == 400
    assert "to" in assert_error_shape(response, "invalid")["details"]


def test_the_overview_lists_every_agreement(client_for, api_consumer, alert):
    rows = client_for(api_consumer).get("/api/v1/scorecards/").json()
    assert [(r["agreement"], r["open_alerts"]) for r in rows] == [("test-ceasefire", 1)]
    assert rows[0]["open_alerts_by_severity"] == {"4": 0, "3": 1, "2": 0, "1": 0}
