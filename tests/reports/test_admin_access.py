"""The reports admin through real HTTP: analysts, assessments, payloads, uploads, and who may
enter at all (role x scope: who may, who may not)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agreements.models import ImplementationAssessment
from reports.models import (
    Channel,
    InboundPayload,
    Report,
    ReportStatus,
)
from tests.reports.admin_support import (
    admin_url,
    change_url,
    existing_rows,
    report_form,
)

pytestmark = pytest.mark.django_db


def test_analyst_lists_reports_of_every_mission(client_for, analyst, report_a, report_b):
    response = client_for(analyst).get(admin_url("reports_report_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert report_a.external_id in content
    assert report_b.external_id in content


def test_analyst_views_report_of_any_mission_read_only(client_for, analyst, report_b):
    response = client_for(analyst).get(change_url(report_b))
    assert response.status_code == 200
    content = response.content.decode()
    assert report_b.external_id in content
    assert "Bravotown" in content
    assert 'name="_save"' not in content
    assert 'name="_submit"' not in content


def test_analyst_cannot_change_a_report(client_for, analyst, world, report_b):
    data = report_form(
        mission=world.mission_b,
        external_id="B-ANALYST",
        initial=1,
        observations=existing_rows(report_b),
        _submit="Save and submit report",
    )
    response = client_for(analyst).post(change_url(report_b), data)
    assert response.status_code == 403
    report_b.refresh_from_db()
    assert (report_b.external_id, report_b.status) == ("B-DRAFT-0002", ReportStatus.DRAFT)


def test_analyst_cannot_add_a_report(client_for, analyst, world):
    data = report_form(mission=world.mission_a, external_id="A-ANALYST")
    assert client_for(analyst).post(admin_url("reports_report_add"), data).status_code == 403
    assert not Report.objects.filter(external_id="A-ANALYST").exists()


def _assessment_form(clause, **overrides) -> dict[str, str]:
    return {
        "clause": str(clause.pk),
        "level": "1",
        "assessed_on": "2025-03-02",
        "rationale": "Heavy weapons still seen at two sites.",
        "evidence": "A-FILED-0003",
        "evidence_urls": "[]",
        "_save": "Save",
        **overrides,
    }


def test_analyst_records_implementation_assessment(client_for, analyst, world):
    response = client_for(analyst).post(
        admin_url("agreements_implementationassessment_add"), _assessment_form(world.clause_b)
    )
    assert response.status_code == 302
    assessment = ImplementationAssessment.objects.get()
    assert (assessment.clause, assessment.level, assessment.assessed_by) == (
        world.clause_b,
        1,
        analyst,
    )


def test_analyst_cannot_change_an_assessment(client_for, analyst, world):
    assessment = ImplementationAssessment.objects.create(
        clause=world.clause_a,
        level=1,
        assessed_on=dt.date(2025, 3, 1),
        rationale="Partial",
        assessed_by=analyst,
    )
    url = admin_url("agreements_implementationassessment_change", assessment.pk)
    response = client_for(analyst).post(url, _assessment_form(world.clause_a, level="3"))
    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.level == 1


def test_observer_cannot_record_an_assessment(client_for, observer_a, world):
    response = client_for(observer_a).post(
        admin_url("agreements_implementationassessment_add"), _assessment_form(world.clause_a)
    )
    assert response.status_code == 403
    assert not ImplementationAssessment.objects.exists()


# --- Who may enter at all ------------------------------------------------------------------


def _every_admin_url(report, payload, world) -> list[str]:
    return [
        admin_url("index"),
        admin_url("reports_report_changelist"),
        admin_url("reports_report_add"),
        change_url(report),
        admin_url("reports_report_delete", report.pk),
        admin_url("reports_inboundpayload_changelist"),
        admin_url("reports_inboundpayload_change", payload.pk),
        admin_url("reports_observermission_changelist"),
        admin_url("agreements_agreement_changelist"),
        admin_url("agreements_clause_change", world.clause_a.pk),
        admin_url("agreements_implementationassessment_add"),
        admin_url("autocomplete") + "?app_label=reports&model_name=observation&field_name=clause",
    ]


@pytest.mark.parametrize("persona", ["outsider", "api_consumer"])
def test_user_without_staff_status_is_sent_to_login_from_every_admin_page(
    client_for, request, world, report_a, payload_a, persona
):
    client = client_for(request.getfixturevalue(persona))
    login = admin_url("login")
    for url in _every_admin_url(report_a, payload_a, world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url
    response = client.post(change_url(report_a), {"title": "Vandalised"})
    assert response.status_code == 302
    report_a.refresh_from_db()
    assert report_a.title == "Shelling near Alpha"


def test_anonymous_visitor_is_sent_to_login(client, world, report_a, payload_a):
    for url in _every_admin_url(report_a, payload_a, world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(admin_url("login")), url


def test_observer_sees_only_payloads_of_own_mission(client_for, observer_a, payload_a, payload_b):
    response = client_for(observer_a).get(admin_url("reports_inboundpayload_changelist"))
    assert list(response.context["cl"].result_list) == [payload_a]
    assert b"Mission A" in response.content
    assert b"Mission B" not in response.content


def test_observer_cannot_open_payload_of_other_mission(client_for, observer_a, payload_b):
    response = client_for(observer_a).get(
        admin_url("reports_inboundpayload_change", payload_b.pk), follow=True
    )
    assert response.redirect_chain[0] == (admin_url("index"), 302)
    assert b"bravo-upload.json" not in response.content
    assert ("b" * 64).encode() not in response.content


def test_observer_sees_only_own_mission(client_for, observer_a, world):
    content = client_for(observer_a).get(admin_url("reports_observermission_changelist")).content
    assert b"Mission A" in content
    assert b"Mission B" not in content


def test_observer_b_is_the_mirror_image(client_for, observer_b, report_a, report_b):
    content = client_for(observer_b).get(admin_url("reports_report_changelist")).content.decode()
    assert report_b.external_id in content
    assert report_a.external_id not in content
    assert client_for(observer_b).get(change_url(report_a)).status_code == 302


# --- Uploading a file ----------------------------------------------------------------------


def _upload(client, mission, name: str = "daily.json"):
    upload = SimpleUploadedFile(name, b'{"observations": []}', content_type="application/json")
    return client.post(
        admin_url("reports_inboundpayload_upload"),
        {
            "file": upload,
            "mission": str(mission.pk),
            "format": "",
            "profile": "",
            "external_id": "UP-1",
            "timezone": "UTC",
        },
    )


def test_observer_uploads_a_file_for_own_mission(client_for, observer_a, world):
    response = _upload(client_for(observer_a), world.mission_a)
    payload = InboundPayload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == admin_url("reports_inboundpayload_change", payload.pk)
    assert (payload.mission, payload.sender, payload.channel) == (
        world.mission_a,
        observer_a,
        Channel.UPLOAD,
    )


def test_observer_cannot_upload_a_file_for_other_mission(client_for, observer_a, world):
    client = client_for(observer_a)
    form = client.get(admin_url("reports_inboundpayload_upload")).context["form"]
    assert list(form.fields["mission"].queryset) == [world.mission_a]
    response = _upload(client, world.mission_b)
    assert response.status_code == 200
    assert "mission" in response.context["form"].errors
    assert not InboundPayload.objects.exists()


def test_analyst_may_not_upload_report_files(client_for, analyst, world):
    client = client_for(analyst)
    assert client.get(admin_url("reports_inboundpayload_upload")).status_code == 403
    assert _upload(client, world.mission_a).status_code == 403
    assert not InboundPayload.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "api_consumer"])
def test_user_without_staff_status_cannot_reach_the_upload_page(
    client_for, request, world, persona
):
    response = _upload(client_for(request.getfixturevalue(persona)), world.mission_a)
    assert response.status_code == 302
    assert response["Location"].startswith(admin_url("login"))
    assert not InboundPayload.objects.exists()
