"""Evidence files: who may add and fetch them, the size and type limits, and the ledger."""

import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from accounts.models import ApiToken
from reports.evidence import content_type_detect
from reports.ingest.process import payload_ingest
from reports.ledger import canonical_bytes, ledger_verify
from reports.models import EvidenceFile, Report, ReportStatus
from reports.services import report_submit
from tests.api.conftest import assert_error_shape, bearer
from tests.factories import ObservationFactory, ReportFactory
from tests.reports.admin_support import END, START, change_url, existing_rows, report_form

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 500
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 200
CSV = b"time,place,count\n06:00,Shyrokyne,4\n07:30,Pisky,2\n"
TEXT = "Patrol notes: heard 4 explosions near Pisky at 06:00. Не підтверджено.\n".encode()
HTML = b"<!DOCTYPE html><html><script>fetch('/api/v1/reports/')</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def draft_a(world):
    report = ReportFactory(
        mission=world.mission_a,
        external_id="A-DRAFT-0001",
        title="Shelling near Alpha",
        period_start=START,
        period_end=END,
    )
    ObservationFactory(report=report, clause=world.clause_a, place_name="Alphaville")
    return report


@pytest.fixture
def accepted_a(world, observer_a):
    report = ReportFactory(
        mission=world.mission_a, external_id="A-DONE-0002", status=ReportStatus.ACCEPTED
    )
    ObservationFactory(report=report, clause=world.clause_a)
    return report


def _upload_url(report: Report) -> str:
    return reverse("api:report-evidence", args=[report.pk])


def _download_url(evidence: EvidenceFile) -> str:
    return reverse("api:evidence-download", args=[evidence.pk])


def _post(client, report, name: str, content: bytes, headers=None, **data):
    upload = SimpleUploadedFile(name, content, content_type=data.pop("content_type", "image/png"))
    return client.post(_upload_url(report), {"file": upload, **data}, **(headers or {}))


def _writer(user) -> dict:
    return bearer(user, scope=ApiToken.Scope.WRITE_REPORTS)


@pytest.fixture
def evidence_a(client, observer_a, draft_a) -> EvidenceFile:
    response = _post(client, draft_a, "crater.png", PNG, _writer(observer_a))
    assert response.status_code == 201, response.content
    return EvidenceFile.objects.get(pk=response.json()["id"])


# --- uploading ----------------------------------------------------------------------------


def test_observer_attaches_evidence_to_own_draft(client, observer_a, draft_a, media_root):
    observation = draft_a.observations.get()
    response = _post(
        client,
        draft_a,
        "crater.png",
        PNG,
        _writer(observer_a),
        observation=observation.pk,
        content_type="application/pdf",  # the client's claim is not what is stored
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image/png"
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert (body["size"], body["original_name"], body["observation"]) == (
        len(PNG),
        "crater.png",
        observation.pk,
    )
    assert body["uploaded_by"] == "observer_a"
    stored = EvidenceFile.objects.get(pk=body["id"])
    path = Path(stored.file.path)
    assert path.read_bytes() == PNG
    assert path.is_relative_to(media_root) and "crater" not in path.name  # a random name


def test_deleting_a_draft_removes_its_evidence_files_from_storage(
    evidence_a, draft_a, media_root, django_capture_on_commit_callbacks
):
    stored = media_root / evidence_a.file.name
    assert stored.is_file()
    with django_capture_on_commit_callbacks(execute=True):
        draft_a.delete()
    assert not EvidenceFile.objects.filter(pk=evidence_a.pk).exists()
    assert not stored.exists()


def test_a_rolled_back_deletion_keeps_the_file(evidence_a, draft_a, media_root):
    stored = media_root / evidence_a.file.name
    with pytest.raises(RuntimeError), transaction.atomic():
        draft_a.delete()
        raise RuntimeError("changed my mind")
    assert EvidenceFile.objects.filter(pk=evidence_a.pk).exists() and stored.is_file()


def test_observer_attaches_evidence_from_a_browser_session(client_for, observer_a, draft_a):
    response = _post(client_for(observer_a), draft_a, "notes.txt", TEXT, content_type="text/plain")
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "text/plain"


def test_administrator_may_attach_evidence_to_any_missions_draft(client, administrator, draft_a):
    response = _post(client, draft_a, "scan.pdf", PDF, _writer(administrator))
    assert response.status_code == 201, response.content


def test_observer_of_another_mission_cannot_attach_or_learn_of_the_report(
    client, observer_b, draft_a
):
    response = _post(client, draft_a, "crater.png", PNG, _writer(observer_b))
    assert response.status_code == 404
    assert "A-DRAFT" not in response.content.decode()
    assert not EvidenceFile.objects.exists()


@pytest.mark.parametrize("persona", ["analyst", "api_consumer", "outsider"])
def test_roles_that_do_not_file_reports_cannot_attach_evidence(request, client, persona, draft_a):
    user = request.getfixturevalue(persona)
    response = _post(client, draft_a, "crater.png", PNG, bearer(user))
    assert response.status_code == 403
    assert_error_shape(response, "permission_denied")
    assert not EvidenceFile.objects.exists()


def test_a_read_only_token_cannot_attach_evidence(client, observer_a, draft_a):
    response = _post(client, draft_a, "crater.png", PNG, bearer(observer_a))
    assert response.status_code == 403
    assert not EvidenceFile.objects.exists()


def test_anonymous_cannot_attach_evidence(client, draft_a):
    assert _post(client, draft_a, "crater.png", PNG).status_code in (401, 403)


def test_evidence_is_refused_once_the_report_is_accepted(client, observer_a, accepted_a):
    response = _post(client, accepted_a, "crater.png", PNG, _writer(observer_a))
    assert response.status_code == 409
    error = assert_error_shape(response, "conflict")
    assert "before it is accepted" in error["message"]
    assert not EvidenceFile.objects.exists()


def test_an_observation_of_another_report_is_refused(client, observer_a, draft_a, accepted_a):
    other = accepted_a.observations.get()
    response = _post(client, draft_a, "c.png", PNG, _writer(observer_a), observation=other.pk)
    assert response.status_code == 400
    assert_error_shape(response, "invalid")


# --- limits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "detected"),
    [
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.JPEG", JPEG, "image/jpeg"),
        ("scan.pdf", PDF, "application/pdf"),
        ("clip.mp4", MP4, "video/mp4"),
        ("counts.csv", CSV, "text/csv"),
        ("notes.txt", TEXT, "text/plain"),
        ("no-extension", PNG, "image/png"),
    ],
)
def test_allowed_types_are_detected_from_their_content(
    client, observer_a, draft_a, name, content, detected
):
    response = _post(client, draft_a, name, content, _writer(observer_a))
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == detected


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("crater.pdf", PNG, "named as application/pdf but its content is image/png"),
        ("photo.jpg", HTML, "text/html, which is not accepted"),
        ("photo.jpg", EXE, "application/x-msdownload, which is not accepted"),
        ("notes.txt", HTML, "text/html, which is not accepted"),
        ("page.html", TEXT, "named as text/html but its content is text/plain"),
        ("counts.csv", b"just a sentence, nothing more", "named as text/csv"),
        ("archive.png", b"PK\x03\x04" + b"\x00" * 50, "application/zip"),
    ],
)
def test_disguised_or_disallowed_files_are_refused(
    client, observer_a, draft_a, name, content, says
):
    response = _post(client, draft_a, name, content, _writer(observer_a))
    assert response.status_code == 400
    assert says in assert_error_shape(response, "invalid")["message"]
    assert not EvidenceFile.objects.exists()


def test_the_allowed_types_come_from_the_settings(client, observer_a, draft_a, settings):
    settings.EVIDENCE_ALLOWED_TYPES = ["application/pdf"]
    response = _post(client, draft_a, "crater.png", PNG, _writer(observer_a))
    assert response.status_code == 400
    assert "accepted: application/pdf" in response.json()["error"]["message"]


def test_a_file_over_the_limit_gets_413_and_nothing_is_kept(
    client, observer_a, draft_a, settings, media_root
):
    settings.EVIDENCE_MAX_BYTES = 1000
    response = _post(client, draft_a, "big.png", PNG[:8] + b"\x00" * 5000, _writer(observer_a))
    assert response.status_code == 413
    assert "too large" in assert_error_shape(response, "too_large")["message"]
    assert not EvidenceFile.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*"))


def test_a_declared_oversized_body_is_refused_before_it_is_read(
    client, observer_a, draft_a, settings
):
    settings.EVIDENCE_MAX_BYTES = 1000
    upload = SimpleUploadedFile("big.png", PNG)
    response = client.post(
        _upload_url(draft_a),
        {"file": upload},
        CONTENT_LENGTH=str(10**9),
        **_writer(observer_a),
    )
    assert response.status_code == 413
    assert_error_shape(response, "too_large")


def test_a_file_at_the_limit_is_kept(client, observer_a, draft_a, settings):
    settings.EVIDENCE_MAX_BYTES = len(PNG)
    assert _post(client, draft_a, "crater.png", PNG, _writer(observer_a)).status_code == 201


def test_an_empty_file_is_refused(client, observer_a, draft_a):
    # DRF refuses an empty upload before the evidence checks do
    response = _post(client, draft_a, "empty.png", b"", _writer(observer_a))
    assert response.status_code == 400


def test_sniffing_ignores_the_name_for_binary_formats():
    assert content_type_detect(PDF, "photo.jpg") == "application/pdf"
    assert content_type_detect(b"\x00\x01\x02garbage", "notes.txt") == "application/octet-stream"


# --- downloading --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["observer_a", "analyst", "administrator"])
def test_readers_of_the_report_download_its_evidence(request, client, persona, evidence_a):
    user = request.getfixturevalue(persona)
    response = client.get(_download_url(evidence_a), **bearer(user))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="crater.png"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_download_works_with_any_accept_header(client, observer_a, evidence_a):
    response = client.get(_download_url(evidence_a), HTTP_ACCEPT="image/png", **bearer(observer_a))
    assert response.status_code == 200


def test_observer_of_another_mission_gets_404_for_the_evidence(client, observer_b, evidence_a):
    response = client.get(_download_url(evidence_a), **bearer(observer_b))
    assert response.status_code == 404
    assert "crater" not in response.content.decode()
    listing = client.get(_upload_url(evidence_a.report), **bearer(observer_b))
    assert listing.status_code == 404


@pytest.mark.parametrize("persona", ["api_consumer", "outsider"])
def test_roles_without_reports_cannot_download_evidence(request, client, persona, evidence_a):
    user = request.getfixturevalue(persona)
    response = client.get(_download_url(evidence_a), **bearer(user))
    assert response.status_code == 403
    assert "crater" not in response.content.decode()


def test_anonymous_cannot_download_evidence(client, evidence_a):
    assert client.get(_download_url(evidence_a)).status_code in (401, 403)


def test_media_files_are_not_served_by_url(client, administrator, evidence_a):
    client.force_login(administrator)
    for prefix in ("/media/", "/"):
        assert client.get(f"{prefix}{evidence_a.file.name}").status_code == 404


def test_a_report_lists_its_evidence_for_its_readers(client, analyst, evidence_a):
    response = client.get(_upload_url(evidence_a.report), **bearer(analyst))
    assert response.status_code == 200
    (item,) = response.json()
    assert item["download_url"] == _download_url(evidence_a)
    assert item["sha256"] == evidence_a.sha256


# --- the ledger ---------------------------------------------------------------------------


def _accept_draft(report: Report, by) -> Report:
    payload = report_submit(report=report, by=by)
    assert payload_ingest(payload_id=payload.pk) == "done"
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED
    return report


def test_evidence_files_are_part_of_the_accepted_reports_hash(client, observer_a, draft_a):
    observation = draft_a.observations.get()
    response = _post(
        client, draft_a, "crater.png", PNG, _writer(observer_a), observation=observation.pk
    )
    assert response.status_code == 201
    report = _accept_draft(draft_a, observer_a)

    evidence = EvidenceFile.objects.get()
    assert evidence.observation.report_id == report.pk  # still linked after the rows' rewrite
    assert b'"sha256":"' + hashlib.sha256(PNG).hexdigest().encode() in canonical_bytes(report)
    assert b'"observation":1' in canonical_bytes(report)
    assert ledger_verify() == []
    response = _post(client, report, "more.png", PNG, _writer(observer_a))
    assert response.status_code == 409


def test_verify_ledger_names_the_report_whose_evidence_file_changed_on_disk(
    client, observer_a, draft_a
):
    assert _post(client, draft_a, "crater.png", PNG, _writer(observer_a)).status_code == 201
    report = _accept_draft(draft_a, observer_a)
    Path(EvidenceFile.objects.get().file.path).write_bytes(PNG[:-1] + b"\x01")

    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=out)
    assert f"report A-DRAFT-0001 r1 (id {report.pk}, seq 1)" in out.getvalue()
    assert "content broken" in out.getvalue()


def test_a_missing_evidence_file_breaks_the_ledger(client, observer_a, draft_a):
    assert _post(client, draft_a, "crater.png", PNG, _writer(observer_a)).status_code == 201
    report = _accept_draft(draft_a, observer_a)
    Path(EvidenceFile.objects.get().file.path).unlink()
    (problem,) = ledger_verify()
    assert (problem.report_id, problem.broken) == (report.pk, "content")


# --- the admin ----------------------------------------------------------------------------


def _admin_post(client, report, upload, observation=""):
    data = report_form(
        mission=report.mission,
        external_id=report.external_id,
        initial=1,
        observations=existing_rows(report),
    )
    data.update(
        {
            "evidence_files-2-TOTAL_FORMS": "1",
            "evidence_files-2-INITIAL_FORMS": "0",
            "evidence_files-2-MIN_NUM_FORMS": "0",
            "evidence_files-2-MAX_NUM_FORMS": "1000",
            "evidence_files-2-0-upload": upload,
            "evidence_files-2-0-observation": observation,
        }
    )
    return client.post(change_url(report), data)


def test_observer_adds_evidence_in_the_admin(client_for, observer_a, draft_a):
    client = client_for(observer_a)
    page = client.get(change_url(draft_a))
    assert "add evidence files" in page.content.decode().lower()
    observation = draft_a.observations.get()
    response = _admin_post(
        client, draft_a, SimpleUploadedFile("scan.pdf", PDF), str(observation.pk)
    )
    assert response.status_code == 302
    evidence = EvidenceFile.objects.get()
    assert (evidence.content_type, evidence.uploaded_by, evidence.observation) == (
        "application/pdf",
        observer_a,
        observation,
    )
    page = client.get(change_url(draft_a)).content.decode()
    assert _download_url(evidence) in page and "scan.pdf" in page


def test_the_admin_refuses_a_disguised_file(client_for, observer_a, draft_a):
    response = _admin_post(client_for(observer_a), draft_a, SimpleUploadedFile("x.jpg", HTML))
    assert response.status_code == 200
    assert "text/html, which is not accepted" in response.content.decode()
    assert not EvidenceFile.objects.exists()


def test_the_admin_shows_the_ledger_read_only_and_no_upload_after_acceptance(
    client_for, observer_a, draft_a
):
    report = _accept_draft(draft_a, observer_a)
    page = client_for(observer_a).get(change_url(report)).content.decode()
    assert report.ledger_hash in page
    assert 'name="ledger_hash"' not in page
    assert "evidence_files-2-0-upload" not in page
