"""Every endpoint under /api/v1/ for every persona: who may, who may not, and what a refusal
looks like (the JSON error shape, and nothing of the object it guards)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import ApiToken
from monitor.models import Alert
from reports.models import InboundPayload, Report
from tests.api.conftest import assert_error_shape, bearer

PERSONAS = ["observer_a", "observer_b", "analyst", "api_consumer", "administrator", "outsider"]
EVERYONE = [*PERSONAS, "anonymous"]
SECRET = "A-SECRET-0001"  # mission A's report id: never in an answer to anyone outside it

# Who may, by policy. Observers are scoped: observer_b gets mission A's objects as 404.
AGREEMENT_READERS = {"observer_a", "observer_b", "analyst", "api_consumer", "administrator"}
ALERT_READERS = {"observer_a", "observer_b", "analyst", "api_consumer", "administrator"}
ANALYSTS = {"analyst", "administrator"}
REPORT_READERS = {"observer_a", "observer_b", "analyst", "administrator"}
MISSION_A = {"observer_a", "analyst", "administrator"}
SUBMITTERS = {"observer_a", "observer_b", "administrator"}
UPLOADERS_FOR_A = {"observer_a", "administrator"}


def _report_json() -> str:
    return json.dumps(
        {
            "mission": "mission-a",
            "external_id": "A-MATRIX-1",
            "observations": [
                {
                    "kind": "violation",
                    "clause": "test-ceasefire:1",
                    "occurred_at": "2025-03-01T08:00:00Z",
                }
            ],
        }
    )


# name: (method, path from the objects, who may, status when allowed)
ENDPOINTS = {
    "agreements-list": ("get", lambda o: "/api/v1/agreements/", AGREEMENT_READERS, 200),
    "agreements-detail": (
        "get",
        lambda o: "/api/v1/agreements/test-ceasefire/",
        AGREEMENT_READERS,
        200,
    ),
    "clauses-list": ("get", lambda o: "/api/v1/clauses/", AGREEMENT_READERS, 200),
    "clauses-detail": (
        "get",
        lambda o: f"/api/v1/clauses/{o['world'].clause_a.pk}/",
        AGREEMENT_READERS,
        200,
    ),
    "mechanisms-list": ("get", lambda o: "/api/v1/mechanisms/", AGREEMENT_READERS, 200),
    "mechanisms-detail": (
        "get",
        lambda o: f"/api/v1/mechanisms/{o['world'].mechanism_a.pk}/",
        AGREEMENT_READERS,
        200,
    ),
    "missions-list": ("get", lambda o: "/api/v1/missions/", REPORT_READERS, 200),
    "missions-detail": ("get", lambda o: "/api/v1/missions/mission-a/", MISSION_A, 200),
    "reports-list": ("get", lambda o: "/api/v1/reports/", REPORT_READERS, 200),
    "reports-detail": (
        "get",
        lambda o: f"/api/v1/reports/{o['filed_a'].report.pk}/",
        MISSION_A,
        200,
    ),
    "observations-list": ("get", lambda o: "/api/v1/observations/", REPORT_READERS, 200),
    "observations-detail": (
        "get",
        lambda o: f"/api/v1/observations/{o['filed_a'].observation.pk}/",
        MISSION_A,
        200,
    ),
    "payloads-list": ("get", lambda o: "/api/v1/payloads/", REPORT_READERS, 200),
    "payloads-detail": (
        "get",
        lambda o: f"/api/v1/payloads/{o['filed_a'].payload.pk}/",
        MISSION_A,
        200,
    ),
    "alerts-list": ("get", lambda o: "/api/v1/alerts/", ALERT_READERS, 200),
    "alerts-detail": ("get", lambda o: f"/api/v1/alerts/{o['alert'].pk}/", ALERT_READERS, 200),
    "alerts-acknowledge": (
        "post",
        lambda o: f"/api/v1/alerts/{o['alert'].pk}/acknowledge/",
        ANALYSTS,
        200,
    ),
    "alerts-resolve": (
        "post",
        lambda o: f"/api/v1/alerts/{o['alert'].pk}/resolve/",
        ANALYSTS,
        200,
    ),
    "alerts-changes": ("get", lambda o: "/api/v1/alerts/changes/", ALERT_READERS, 200),
    "scorecards-overview": ("get", lambda o: "/api/v1/scorecards/", ALERT_READERS, 200),
    "scorecards-agreement": (
        "get",
        lambda o: "/api/v1/scorecards/agreements/test-ceasefire/",
        ALERT_READERS,
        200,
    ),
    "scorecards-party": (
        "get",
        lambda o: f"/api/v1/scorecards/parties/{o['party'].code}/",
        ALERT_READERS,
        200,
    ),
    "reports-submit": ("post", lambda o: "/api/v1/reports/", SUBMITTERS, 202),
    "reports-upload": ("post", lambda o: "/api/v1/reports/upload", UPLOADERS_FOR_A, 202),
}


@pytest.fixture
def objects(world, filed_a, filed_b, alert, observer_a, observer_b):
    from tests.factories import PartyFactory

    party = PartyFactory(code="party-east", name="East")
    world.clause_a.obliged_parties.add(party)
    return {"world": world, "filed_a": filed_a, "filed_b": filed_b, "alert": alert, "party": party}


def _call(client, method: str, name: str, path: str, **headers):
    if method == "get":
        return client.get(path, **headers)
    if name == "reports-submit":
        return client.post(path, data=_report_json(), content_type="application/json", **headers)
    if name == "reports-upload":
        upload = SimpleUploadedFile("a.json", _report_json().encode(), "application/json")
        return client.post(path, data={"file": upload, "mission": "mission-a"}, **headers)
    return client.post(path, data={"comment": "Checked on the ground."}, **headers)


def _assert_refused(response, persona: str, objects, *, scoped: bool) -> None:
    if persona == "anonymous":
        assert response.status_code == 401
        assert_error_shape(response, "not_authenticated")
        assert response["WWW-Authenticate"] == "Bearer"
    elif scoped and persona == "observer_b":
        # Mission A's objects do not exist for observer_b: 404, not a 403 confirming them.
        assert response.status_code == 404, response.content[:300]
        assert_error_shape(response, "not_found")
    else:
        assert response.status_code == 403, response.content[:300]
        assert_error_shape(response, "permission_denied")
    body = response.content.decode()
    for secret in (SECRET, "Place of A-SECRET", objects["alert"].title):
        assert secret not in body


@pytest.mark.parametrize("persona", EVERYONE)
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_endpoint_answers_each_persona_by_policy(
    request, client, objects, name, persona, django_capture_on_commit_callbacks
):
    method, path_of, allowed, ok_status = ENDPOINTS[name]
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    reports_before = Report.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = _call(client, method, name, path_of(objects))

    if persona not in allowed:
        scoped = method == "get" and allowed is MISSION_A
        _assert_refused(response, persona, objects, scoped=scoped)
        if name.startswith("reports-"):
            assert Report.objects.count() == reports_before
        if name.startswith("alerts-") and method == "post":
            assert Alert.objects.get().state == Alert.State.OPEN
        return
    assert response.status_code == ok_status, response.content[:500]
    if persona == "observer_b":
        # A list answers with mission B's work only; mission A's never shows.
        assert SECRET not in response.content.decode()
    if name == "reports-submit" and persona == "observer_b":
        # Stored first, then refused by the parser: observer_b is no member of mission A.
        payload = InboundPayload.objects.get(pk=response.json()["payload_id"])
        assert payload.state == InboundPayload.State.REJECTED
        assert Report.objects.count() == reports_before


def test_observer_b_asking_for_mission_a_objects_gets_404_without_their_ids(
    client_for, objects, observer_b
):
    client = client_for(observer_b)
    filed = objects["filed_a"]
    for path in (
        f"/api/v1/reports/{filed.report.pk}/",
        f"/api/v1/observations/{filed.observation.pk}/",
        f"/api/v1/payloads/{filed.payload.pk}/",
        "/api/v1/missions/mission-a/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert_error_shape(response, "not_found")
        assert SECRET not in response.content.decode()
        assert "mission-a" not in response.content.decode()


def test_observer_b_lists_only_mission_b_work(client_for, objects, observer_b):
    client = client_for(observer_b)
    reports = client.get("/api/v1/reports/").json()["results"]
    observations = client.get("/api/v1/observations/").json()["results"]
    payloads = client.get("/api/v1/payloads/").json()["results"]
    missions = client.get("/api/v1/missions/").json()["results"]

    assert [r["external_id"] for r in reports] == ["B-SECRET-0001"]
    assert [o["mission"] for o in observations] == ["mission-b"]
    assert [p["id"] for p in payloads] == [objects["filed_b"].payload.pk]
    assert [m["code"] for m in missions] == ["mission-b"]


def test_observer_b_cannot_upload_for_mission_a(client_for, objects, observer_b):
    upload = SimpleUploadedFile("a.json", _report_json().encode(), "application/json")
    payloads = InboundPayload.objects.count()
    response = client_for(observer_b).post(
        "/api/v1/reports/upload", data={"file": upload, "mission": "mission-a"}
    )
    assert response.status_code == 403
    assert "mission-a" in assert_error_shape(response, "permission_denied")["message"]
    assert InboundPayload.objects.count() == payloads


# --- the same through API tokens ----------------------------------------------------------


def test_read_token_reads_reports_but_cannot_submit_one(client, objects, observer_a):
    headers = bearer(observer_a, ApiToken.Scope.READ)

    assert client.get("/api/v1/reports/", **headers).status_code == 200
    response = client.post(
        "/api/v1/reports/", data=_report_json(), content_type="application/json", **headers
    )

    assert response.status_code == 403
    assert_error_shape(response, "permission_denied")
    assert not InboundPayload.objects.filter(params__external_id="A-MATRIX-1").exists()


def test_write_reports_token_of_observer_a_submits(
    client, objects, observer_a, django_capture_on_commit_callbacks
):
    headers = bearer(observer_a, ApiToken.Scope.WRITE_REPORTS)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/reports/", data=_report_json(), content_type="application/json", **headers
        )

    assert response.status_code == 202
    payload = InboundPayload.objects.get(pk=response.json()["payload_id"])
    assert payload.state == InboundPayload.State.DONE
    assert Report.objects.filter(external_id="A-MATRIX-1", mission__code="mission-a").exists()


def test_read_token_of_an_analyst_cannot_acknowledge(client, objects, analyst):
    headers = bearer(analyst, ApiToken.Scope.READ)
    alert = objects["alert"]

    assert client.get(f"/api/v1/alerts/{alert.pk}/", **headers).status_code == 200
    response = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", **headers)

    assert response.status_code == 403
    assert_error_shape(response, "permission_denied")
    assert Alert.objects.get().state == Alert.State.OPEN


@pytest.mark.parametrize(
    "path", ["/api/v1/alerts/", "/api/v1/alerts/changes/", "/api/v1/scorecards/"]
)
def test_consumer_token_reads_alerts_and_scorecards(client, objects, api_consumer, path):
    assert client.get(path, **bearer(api_consumer)).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/missions/", "/api/v1/reports/", "/api/v1/payloads/"])
def test_consumer_token_cannot_read_missions_reports_or_payloads(
    client, objects, api_consumer, path
):
    response = client.get(path, **bearer(api_consumer))
    assert response.status_code == 403
    assert_error_shape(response, "permission_denied")


def test_observer_token_gets_mission_a_report_as_404(client, objects, observer_b):
    response = client.get(f"/api/v1/reports/{objects['filed_a'].report.pk}/", **bearer(observer_b))
    assert response.status_code == 404
    assert SECRET not in response.content.decode()
