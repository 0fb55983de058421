"""The ingestion API across role x scope: who may submit, who may read a payload's status."""

import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from accounts.models import ApiToken
from accounts.services import api_token_issue, api_token_revoke
from reports.models import Channel, InboundPayload, Observation, Report

pytestmark = pytest.mark.django_db

SUBMIT = "/api/v1/reports/"
UPLOAD = "/api/v1/reports/upload"
State = InboundPayload.State


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _report(count: int = 2, **overrides) -> bytes:
    document = {
        "mission": "mission-a",
        "external_id": "A-API-1",
        "observations": [
            {
                "kind": "violation",
                "clause": "test-ceasefire:1",
                "occurred_at": f"2025-03-01T0{n}:00:00Z",
                "quantity": n,
            }
            for n in range(1, count + 1)
        ],
        **overrides,
    }
    return json.dumps(document).encode()


def _submit(client: Client, body: bytes, **headers):
    return client.post(SUBMIT, data=body, content_type="application/json", **headers)


def _bearer(user, scope: str = ApiToken.Scope.WRITE_REPORTS, **extra) -> dict:
    _, plain = api_token_issue(user=user, name="field tool", scope=scope, **extra)
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def _assert_error_shape(response, code: str | None = None) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


# --- submitting JSON ----------------------------------------------------------------------


def test_submit_answers_202_with_payload_id_and_status_url(
    client_for, observer_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client_for(observer_a), _report(2))

    assert response.status_code == 202
    body = response.json()
    payload = InboundPayload.objects.get()
    assert body == {
        "payload_id": payload.pk,
        "state": "received",
        "status_url": f"/api/v1/payloads/{payload.pk}/",
    }
    assert response["Location"] == body["status_url"]
    assert "Idempotent-Replayed" not in response
    payload.refresh_from_db()
    assert (payload.channel, payload.sender, payload.state) == (Channel.API, observer_a, State.DONE)
    assert Observation.objects.count() == 2


def test_status_url_shows_state_counts_and_report(
    client_for, observer_a, django_capture_on_commit_callbacks
):
    client = client_for(observer_a)
    with django_capture_on_commit_callbacks(execute=True):
        status_url = _submit(client, _report(3)).json()["status_url"]

    response = client.get(status_url)

    assert response.status_code == 200
    body = response.json()
    report = Report.objects.get()
    assert body["state"] == "done"
    assert body["observations"] == 3
    assert body["report_id"] == report.pk
    assert body["error_count"] == 0 and body["errors"] == []
    assert body["attempts"] == 1 and body["format"] == "json" and body["channel"] == "api"
    assert "body" not in body


def test_invalid_json_is_stored_then_rejected_with_errors_on_the_status_url(
    client_for, observer_a, django_capture_on_commit_callbacks
):
    client = client_for(observer_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client, b'{"mission": "mission-a", "observations": [')

    assert response.status_code == 202
    payload = InboundPayload.objects.get()
    assert bytes(payload.body) == b'{"mission": "mission-a", "observations": ['
    status = client.get(response.json()["status_url"]).json()
    assert status["state"] == "rejected"
    assert status["error_count"] == 1
    assert status["errors"][0].startswith("file: the JSON is truncated or malformed")
    assert status["observations"] is None
    assert Report.objects.count() == 0


def test_row_errors_are_listed_on_the_status_url(
    client_for, observer_a, django_capture_on_commit_callbacks
):
    document = json.loads(_report(3))
    document["observations"][1]["latitude"] = 91
    document["observations"][2]["severity"] = 9
    client = client_for(observer_a)
    with django_capture_on_commit_callbacks(execute=True):
        status_url = _submit(client, json.dumps(document).encode()).json()["status_url"]

    status = client.get(status_url).json()
    assert status["state"] == "rejected"
    assert status["error_count"] == 2
    assert status["errors"] == [
        "row 2, latitude: 91 is out of range (-90 to 90)",
        "row 3, severity: 9 is not 1-4",
    ]
    assert Observation.objects.count() == 0


# --- who may read a payload's status ------------------------------------------------------


@pytest.fixture
def payload_of_a(client_for, observer_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client_for(observer_a), _report(1))
    return InboundPayload.objects.get(pk=response.json()["payload_id"])


def test_observer_of_another_mission_cannot_read_the_status(client, payload_of_a, observer_b):
    client.force_login(observer_b)
    response = client.get(f"/api/v1/payloads/{payload_of_a.pk}/")
    assert response.status_code == 404
    _assert_error_shape(response, "not_found")
    assert client.get("/api/v1/payloads/").json()["results"] == []


def test_analyst_can_read_any_status(client, payload_of_a, analyst):
    client.force_login(analyst)
    response = client.get(f"/api/v1/payloads/{payload_of_a.pk}/")
    assert response.status_code == 200
    assert response.json()["state"] == "done"


def test_sender_reads_the_status_of_a_payload_rejected_before_its_mission_was_known(
    client_for, observer_a, django_capture_on_commit_callbacks
):
    client = client_for(observer_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client, b"[]")
    assert client.get(response.json()["status_url"]).json()["state"] == "rejected"
    listed = client.get("/api/v1/payloads/").json()["results"]
    assert [p["id"] for p in listed] == [response.json()["payload_id"]]


def test_status_needs_authentication(client, payload_of_a):
    client.logout()
    response = client.get(f"/api/v1/payloads/{payload_of_a.pk}/")
    assert response.status_code == 401
    _assert_error_shape(response, "not_authenticated")


# --- who may submit -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["api_consumer", "outsider"])
def test_non_observer_cannot_submit_and_nothing_is_stored(request, client, persona):
    client.force_login(request.getfixturevalue(persona))
    response = _submit(client, _report(1))
    assert response.status_code == 403
    error = _assert_error_shape(response, "permission_denied")
    assert "observers" in error["message"]
    assert InboundPayload.objects.count() == 0


def test_read_scoped_token_cannot_submit(client, observer_a):
    response = _submit(client, _report(1), **_bearer(observer_a, scope=ApiToken.Scope.READ))
    assert response.status_code == 403
    _assert_error_shape(response, "permission_denied")
    assert InboundPayload.objects.count() == 0


def test_write_token_of_an_observer_submits(client, observer_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client, _report(1), **_bearer(observer_a))
    assert response.status_code == 202
    payload = InboundPayload.objects.get()
    assert (payload.sender, payload.state) == (observer_a, State.DONE)


def test_write_token_of_an_api_consumer_cannot_submit(client, api_consumer):
    response = _submit(client, _report(1), **_bearer(api_consumer))
    assert response.status_code == 403
    assert InboundPayload.objects.count() == 0


def test_revoked_token_is_refused(client, observer_a):
    _, plain = api_token_issue(user=observer_a, name="old", scope=ApiToken.Scope.WRITE_REPORTS)
    api_token_revoke(token=ApiToken.objects.get())
    response = _submit(client, _report(1), HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 401
    error = _assert_error_shape(response, "authentication_failed")
    assert "revoked" in error["message"]
    assert response["WWW-Authenticate"] == "Bearer"
    assert InboundPayload.objects.count() == 0


def test_expired_token_is_refused(client, observer_a):
    headers = _bearer(observer_a, expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = _submit(client, _report(1), **headers)
    assert response.status_code == 401
    _assert_error_shape(response, "authentication_failed")
    assert InboundPayload.objects.count() == 0


@pytest.mark.parametrize("authorization", ["Bearer am_nope_nope", "Bearer garbage", "Token "])
def test_made_up_token_is_refused(client, world, authorization):
    response = _submit(client, _report(1), HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    _assert_error_shape(response, "authentication_failed")


def test_anonymous_submit_is_refused_with_the_json_error_shape(client, world):
    response = _submit(client, _report(1))
    assert response.status_code in (401, 403)
    _assert_error_shape(response, "not_authenticated")
    assert InboundPayload.objects.count() == 0


def test_observer_submitting_for_another_mission_is_rejected(
    client_for, observer_a, django_capture_on_commit_callbacks
):
    client = client_for(observer_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client, _report(1, mission="mission-b"))
    status = client.get(response.json()["status_url"]).json()
    assert status["state"] == "rejected"
    assert status["errors"] == ['header, mission: you are not a member of mission "mission-b"']


# --- limits and idempotency ---------------------------------------------------------------


def test_body_over_the_limit_is_refused_with_413_and_nothing_is_stored(
    client_for, observer_a, settings
):
    settings.INGEST_MAX_BODY_BYTES = 2048
    body = _report(60)
    assert len(body) > 2048
    response = _submit(client_for(observer_a), body)
    assert response.status_code == 413
    error = _assert_error_shape(response, "too_large")
    assert error["message"] == (
        f"The body is {len(body)} bytes; the limit is 2048. Split the report into several payloads."
    )
    assert InboundPayload.objects.count() == 0


def test_upload_over_the_limit_is_refused_with_413(client_for, observer_a, settings):
    settings.INGEST_MAX_BODY_BYTES = 2048
    upload = SimpleUploadedFile("big.csv", b"kind\n" + b"incident\n" * 500, "text/csv")
    response = client_for(observer_a).post(UPLOAD, {"file": upload, "mission": "mission-a"})
    assert response.status_code == 413
    _assert_error_shape(response, "too_large")
    assert InboundPayload.objects.count() == 0


def test_repeated_idempotency_key_returns_the_first_payload(
    client_for, observer_a, django_capture_on_commit_callbacks
):
    client = client_for(observer_a)
    with django_capture_on_commit_callbacks(execute=True):
        first = _submit(client, _report(1), HTTP_IDEMPOTENCY_KEY="run-42")
    again = _submit(client, _report(1), HTTP_IDEMPOTENCY_KEY="run-42")

    assert first.status_code == again.status_code == 202
    assert again.json()["payload_id"] == first.json()["payload_id"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert again.json()["state"] == "done"
    assert InboundPayload.objects.count() == 1
    assert Observation.objects.count() == 1


# --- file uploads -------------------------------------------------------------------------

CSV = (
    b"kind,clause,occurred_at,place_name,latitude,longitude,patrol\n"
    b"violation,1,2025-03-01T09:00:00,Shyrokyne,47.1,37.5,P-7\n"
    b"information,,01.03.2025 10:30,HQ,,,P-7\n"
)


def _workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["When", "What", "Clause", "Where"])
    sheet.append(["#date +occurred", "#event +type", "#x_clause", "#loc +name"])
    sheet.append([dt.datetime(2025, 3, 1, 9, 30), "violation", "1", "Shyrokyne"])
    sheet.append([45717.25, "incident", None, "Mariupol"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _upload(client: Client, name: str, body: bytes, **fields):
    data = {"file": SimpleUploadedFile(name, body), "mission": "mission-a", **fields}
    return client.post(UPLOAD, data)


def test_csv_upload_is_accepted_and_ingested(
    client_for, observer_a, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client_for(observer_a), "patrol.csv", CSV, agreement="test-ceasefire")

    assert response.status_code == 202
    payload = InboundPayload.objects.get(pk=response.json()["payload_id"])
    assert (payload.state, payload.format, payload.channel) == (State.DONE, "csv", Channel.UPLOAD)
    assert (payload.mission, payload.filename) == (world.mission_a, "patrol.csv")
    assert payload.params["external_id"].startswith("upload-")
    first, second = payload.report.observations.order_by("sequence")
    assert (first.clause, first.attributes) == (world.clause_a, {"patrol": "P-7"})
    assert second.occurred_at == dt.datetime(2025, 3, 1, 10, 30, tzinfo=dt.UTC)


def test_xlsx_upload_with_hxl_row_is_accepted_and_ingested(
    client_for, observer_a, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(
            client_for(observer_a),
            "week.xlsx",
            _workbook(),
            external_id="W-9",
            timezone="Europe/Kyiv",
        )

    assert response.status_code == 202
    payload = InboundPayload.objects.get(pk=response.json()["payload_id"])
    assert (payload.state, payload.format) == (State.DONE, "xlsx"), payload.errors
    report = payload.report
    assert report.external_id == "W-9"
    first, second = report.observations.order_by("sequence")
    assert first.clause == world.clause_a
    assert first.occurred_at == dt.datetime(2025, 3, 1, 7, 30, tzinfo=dt.UTC)  # 09:30 Kyiv
    assert second.occurred_at == dt.datetime(2025, 3, 1, 4, 0, tzinfo=dt.UTC)  # serial, 06:00


def test_upload_for_a_mission_you_are_not_in_is_refused(client_for, observer_a):
    response = _upload(client_for(observer_a), "patrol.csv", CSV, mission="mission-b")
    assert response.status_code == 403
    error = _assert_error_shape(response, "permission_denied")
    assert "mission-b" in error["message"]
    assert InboundPayload.objects.count() == 0


def test_upload_with_unknown_extension_needs_a_format(client_for, observer_a):
    response = _upload(client_for(observer_a), "patrol.txt", CSV)
    assert response.status_code == 400
    assert "give format=" in _assert_error_shape(response, "invalid")["message"]
    assert InboundPayload.objects.count() == 0


def test_upload_without_file_is_a_validation_error(client_for, observer_a):
    response = client_for(observer_a).post(UPLOAD, {"mission": "mission-a"})
    assert response.status_code == 400
    error = _assert_error_shape(response, "invalid")
    assert "file" in error["details"]


def test_upload_as_hxl_format_refuses_a_file_without_tags(
    client_for, observer_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client_for(observer_a), "patrol.csv", CSV, format="hxl")
    payload = InboundPayload.objects.get(pk=response.json()["payload_id"])
    assert payload.state == State.REJECTED
    assert "row 2 must hold the HXL hashtags" in payload.errors[0]
