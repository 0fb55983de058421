"""The alert change feed: every transition once, in id order, from an opaque cursor."""

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitor.models import Alert, AlertTransition
from monitor.services import alert_set_state
from tests.api.conftest import assert_error_shape, bearer, make_alert
from tests.factories import AgreementFactory, ClauseFactory

FEED = "/api/v1/alerts/changes/"


def _page(client, cursor: str = "", **params) -> dict:
    query = {"cursor": cursor, **params} if cursor else params
    response = client.get(FEED, query)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def _drain(client, cursor: str = "", **params) -> tuple[list[int], str]:
    """Follow next_cursor until has_more is false; the ids seen and the cursor to keep."""
    seen: list[int] = []
    while True:
        page = _page(client, cursor, **params)
        seen += [row["id"] for row in page["results"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return seen, cursor


def _all_ids() -> list[int]:
    return list(AlertTransition.objects.order_by("id").values_list("id", flat=True))


def test_from_an_empty_cursor_the_feed_lists_transitions_in_id_order(
    client_for, api_consumer, world, analyst
):
    first = make_alert(world.clause_a, severity=3)
    second = make_alert(world.clause_b, severity=1)
    alert_set_state(alert=first, state=Alert.State.ACKNOWLEDGED, by=analyst)

    page = _page(client_for(api_consumer))

    assert [row["id"] for row in page["results"]] == _all_ids()
    assert [(row["alert"]["id"], row["kind"]) for row in page["results"]] == [
        (first.pk, "opened"),
        (second.pk, "opened"),
        (first.pk, "acknowledged"),
    ]
    last = page["results"][-1]
    assert (last["from_state"], last["to_state"], last["by"]) == ("open", "acknowledged", "analyst")
    assert last["alert"]["state"] == "acknowledged"  # the alert as it is now
    assert page["has_more"] is False and page["next_cursor"]


def test_an_empty_feed_gives_a_cursor_that_later_sees_the_first_change(
    client_for, api_consumer, world
):
    client = client_for(api_consumer)
    empty = _page(client)
    assert empty["results"] == [] and empty["has_more"] is False

    alert = make_alert(world.clause_a)

    assert [row["alert"]["id"] for row in _page(client, empty["next_cursor"])["results"]] == [
        alert.pk
    ]


def test_following_next_cursor_sees_every_transition_once_while_new_ones_are_written(
    client_for, api_consumer, analyst, world
):
    client = client_for(api_consumer)
    alerts = [make_alert(world.clause_a if n % 2 else world.clause_b) for n in range(7)]
    seen: list[int] = []
    cursor = ""
    writes = iter(alerts)
    for _ in range(40):
        page = _page(client, cursor, limit=3)
        seen += [row["id"] for row in page["results"]]
        cursor = page["next_cursor"]
        # Between pages, analysts and the engine keep writing.
        alert = next(writes, None)
        if alert is not None:
            alert_set_state(alert=alert, state=Alert.State.ACKNOWLEDGED, by=analyst)
            make_alert(world.clause_unmonitored)
        elif not page["has_more"]:
            break

    assert seen == _all_ids()
    assert len(seen) == len(set(seen)) == 7 + 7 * 2


def test_a_kept_cursor_sees_only_what_came_after_it(client_for, api_consumer, analyst, alert):
    client = client_for(api_consumer)
    _, cursor = _drain(client)

    alert_set_state(alert=alert, state=Alert.State.RESOLVED, by=analyst, comment="Cleared")
    page = _page(client, cursor)

    assert [(row["kind"], row["comment"]) for row in page["results"]] == [("resolved", "Cleared")]
    assert _page(client, page["next_cursor"])["results"] == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"agreement": "other-accord"}, ["other"]),
        ({"agreement": "test-ceasefire"}, ["low", "high", "unmonitored"]),
        ({"min_severity": "3"}, ["high", "other"]),
        ({"rule": "clause.unmonitored"}, ["unmonitored"]),
        ({"rule": "clause.unmonitored", "min_severity": "3"}, []),
        ({"agreement": "no-such-agreement"}, []),
    ],
)
def test_feed_filters_select_the_matching_transitions(
    client_for, api_consumer, world, params, expected
):
    other = ClauseFactory(agreement=AgreementFactory(code="other-accord"), reference="9")
    alerts = {
        "low": make_alert(world.clause_a, severity=1),
        "high": make_alert(world.clause_a, severity=4),
        "unmonitored": make_alert(world.clause_b, rule="clause.unmonitored", severity=2),
        "other": make_alert(other, severity=3),
    }

    seen, _ = _drain(client_for(api_consumer), limit=2, **params)

    expected_ids = list(
        AlertTransition.objects.filter(alert__in=[alerts[n] for n in expected])
        .order_by("id")
        .values_list("id", flat=True)
    )
    assert seen == expected_ids


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%%%",
        _cursor("t:abc"),
        _cursor("x:12"),
        _cursor("t:-1"),
        _cursor("t:99999999999999999999999"),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_cursor_the_feed_never_gave_out_is_a_400(client_for, api_consumer, alert, cursor):
    response = client_for(api_consumer).get(FEED, {"cursor": cursor})
    assert response.status_code == 400
    error = assert_error_shape(response, "invalid")
    assert "cursor" in error["details"]


@pytest.mark.parametrize(
    ("param", "value"),
    [("limit", "many"), ("limit", "1.5"), ("min_severity", "high")],
)
def test_a_malformed_number_is_a_400_naming_the_parameter(
    client_for, api_consumer, alert, param, value
):
    response = client_for(api_consumer).get(FEED, {param: value})
    assert response.status_code == 400
    assert param in assert_error_shape(response, "invalid")["details"]


def test_limit_is_clamped_to_at_least_one(client_for, api_consumer, world):
    make_alert(world.clause_a)
    make_alert(world.clause_b)
    page = _page(client_for(api_consumer), limit=0)
    assert len(page["results"]) == 1 and page["has_more"] is True


def test_the_feed_query_count_does_not_depend_on_limit(client_for, api_consumer, analyst, world):
    for n in range(30):
        alert = make_alert(world.clause_a if n % 2 else world.clause_b, severity=1 + n % 4)
        if n % 3 == 0:
            alert_set_state(alert=alert, state=Alert.State.ACKNOWLEDGED, by=analyst)
    client = client_for(api_consumer)
    _page(client)  # warm the session and role caches

    counts = {}
    for limit in (2, 40):
        with CaptureQueriesContext(connection) as queries:
            page = _page(client, limit=limit)
        assert len(page["results"]) == limit
        counts[limit] = len(queries)

    assert counts[2] == counts[40], counts


@pytest.mark.parametrize("query", ["agreement=%00", "rule=clause.unmonitored%00"])
def test_a_null_character_in_a_filter_is_a_400(client, analyst, query):
    response = client.get(f"/api/v1/alerts/changes/?{query}", **bearer(analyst))
    assert response.status_code == 400
    assert_error_shape(response)


def test_a_severity_no_alert_can_have_gives_an_empty_page(client, analyst, world):
    make_alert(world.clause_a)
    response = client.get("/api/v1/alerts/changes/?min_severity=343372", **bearer(analyst))
    assert response.status_code == 200
    assert response.json()["results"] == []
