"""Evidence for reports filed through the API: staged on the mission first, named in the
report, attached as it is accepted (so the report's ledger hash covers it)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import ApiToken
from reports.ledger import canonical_bytes, ledger_verify
from reports.models import EvidenceFile, InboundPayload, Report
from tests.api.conftest import assert_error_shape, bearer
from tests.reports.test_evidence import PNG, TEXT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def writer(user) -> dict:
    return bearer(user, scope=ApiToken.Scope.WRITE_REPORTS)


def stage(client, user, mission="mission-a", name="crater.png", content=PNG, headers=None):
    return client.post(
        reverse("api:mission-evidence", args=[mission]),
        {"file": SimpleUploadedFile(name, content, content_type="image/png")},
        **(headers if headers is not None else writer(user)),
    )


def staged(client, user, **kwargs) -> EvidenceFile:
    response = stage(client, user, **kwargs)
    assert response.status_code == 201, response.content
    return EvidenceFile.objects.get(pk=response.json()["id"])


@pytest.fixture
def file_report(client, django_capture_on_commit_callbacks):
    """POST a report of mission A naming ``evidence``; the ingest runs (embedded mode)."""

    def file(user, evidence: list, external_id="A-API-EV-1", observations=2) -> InboundPayload:
        body = {
            "mission": "mission-a",
            "external_id": external_id,
            "evidence": evidence,
            "observations": [
                {
                    "kind": "violation",
                    "clause": "test-ceasefire:1",
                    "occurred_at": f"2025-03-0{n}",
                }
                for n in range(1, observations + 1)
            ],
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/api/v1/reports/",
                data=json.dumps(body),
                content_type="application/json",
                **writer(user),
            )
        assert response.status_code == 202, response.content
        payload = InboundPayload.objects.get(pk=response.json()["payload_id"])
        return payload

    return file


# --- staging ---------------------------------------------------------------------------------


def test_observer_stages_a_file_on_its_mission(client, observer_a):
    response = stage(client, observer_a)
    assert response.status_code == 201
    body = response.json()
    assert (body["mission"], body["report"], body["content_type"]) == (
        "mission-a",
        None,
        "image/png",
    )
    listed = client.get(reverse("api:mission-evidence", args=["mission-a"]), **bearer(observer_a))
    assert [f["id"] for f in listed.json()] == [body["id"]]


def test_the_same_checks_as_for_a_report_apply(client, observer_a, settings):
    disguised = stage(client, observer_a, name="notes.png", content=TEXT)
    assert disguised.status_code == 400
    settings.EVIDENCE_MAX_BYTES = 100
    assert stage(client, observer_a).status_code == 413
    assert not EvidenceFile.objects.exists()


def test_observer_of_another_mission_gets_404_and_learns_nothing(client, observer_b):
    response = stage(client, observer_b)
    assert response.status_code == 404
    assert "mission-a" not in response.content.decode()
    listed = client.get(reverse("api:mission-evidence", args=["mission-a"]), **bearer(observer_b))
    assert listed.status_code == 404


@pytest.mark.parametrize("persona", ["analyst", "api_consumer", "outsider"])
def test_roles_that_do_not_file_reports_cannot_stage(request, client, persona):
    user = request.getfixturevalue(persona)
    response = stage(client, user)
    assert response.status_code == 403
    assert_error_shape(response)


def test_a_read_only_token_cannot_stage(client, observer_a):
    response = stage(client, observer_a, headers=bearer(observer_a))
    assert response.status_code == 403
    assert not EvidenceFile.objects.exists()


def test_staged_files_are_downloaded_by_those_who_may_see_the_missions_reports(
    client, observer_a, observer_b, analyst, api_consumer
):
    evidence = staged(client, observer_a)
    url = reverse("api:evidence-download", args=[evidence.pk])
    assert client.get(url, **bearer(observer_a)).status_code == 200
    assert client.get(url, **bearer(analyst)).status_code == 200
    assert client.get(url, **bearer(observer_b)).status_code == 404
    assert client.get(url, **bearer(api_consumer)).status_code == 403


# --- naming staged files in a report ---------------------------------------------------------


def test_a_report_names_its_staged_evidence_and_the_ledger_covers_it(
    client, observer_a, file_report
):
    photo = staged(client, observer_a)
    scan = staged(client, observer_a, name="notes.txt", content=TEXT)
    payload = file_report(observer_a, [{"id": photo.pk, "observation": 2}, scan.pk])
    payload.refresh_from_db()
    assert payload.state == InboundPayload.State.DONE, payload.errors
    report = Report.objects.get(pk=payload.report_id)
    photo.refresh_from_db()
    scan.refresh_from_db()
    assert (photo.report, scan.report) == (report, report)
    assert photo.observation == report.observations.get(sequence=2)
    assert scan.observation is None
    assert photo.sha256.encode() in canonical_bytes(report)
    assert ledger_verify() == []
    # Attached files are no longer staged.
    listed = client.get(reverse("api:mission-evidence", args=["mission-a"]), **bearer(observer_a))
    assert listed.json() == []


@pytest.mark.parametrize(
    "reference, message",
    [
        ({"id": 999_999}, "file 999999 is not a staged evidence file"),
        ({"id": "x"}, "give the id of a file"),
        ({"id": 1, "page": 2}, "give the id of a file"),
        ({"id": None, "observation": 0}, "give the id of a file"),
    ],
)
def test_a_report_naming_no_staged_file_is_rejected_with_the_reason(
    observer_a, file_report, reference, message
):
    payload = file_report(observer_a, [reference])
    payload.refresh_from_db()
    assert payload.state == InboundPayload.State.REJECTED
    assert any(message in error for error in payload.errors), payload.errors
    assert not Report.objects.exists()


def test_a_file_staged_for_another_mission_or_already_used_is_refused(
    client, observer_a, observer_b, file_report
):
    theirs = staged(client, observer_b, mission="mission-b")
    used = staged(client, observer_a)
    first = file_report(observer_a, [used.pk], external_id="A-API-EV-1")
    first.refresh_from_db()
    assert first.state == InboundPayload.State.DONE
    again = file_report(observer_a, [used.pk, theirs.pk], external_id="A-API-EV-2")
    again.refresh_from_db()
    assert again.state == InboundPayload.State.REJECTED
    assert len([e for e in again.errors if "not a staged evidence file" in e]) == 2
    theirs.refresh_from_db()
    assert theirs.report is None  # still staged, for its own mission's report


def test_an_observation_beyond_the_report_is_refused_and_the_file_stays_staged(
    client, observer_a, file_report
):
    photo = staged(client, observer_a)
    payload = file_report(observer_a, [{"id": photo.pk, "observation": 3}])
    payload.refresh_from_db()
    assert payload.state == InboundPayload.State.REJECTED
    assert "observation 3 named, but the report has 2" in " ".join(payload.errors)
    photo.refresh_from_db()
    assert photo.report is None
