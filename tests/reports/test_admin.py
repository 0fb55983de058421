"""The reports admin through real HTTP, across role x scope: who may, who may not."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.models import ImplementationAssessment
from reports.models import (
    Channel,
    InboundPayload,
    Observation,
    Report,
    ReportStatus,
    ReportStatusChange,
)
from tests.factories import ObservationFactory, ReportFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 3, 1, 6, 0, tzinfo=dt.UTC)
END = dt.datetime(2025, 3, 1, 18, 0, tzinfo=dt.UTC)


def _url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def _change_url(report: Report) -> str:
    return _url("reports_report_change", report.pk)


@pytest.fixture
def report_a(world):
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
def report_b(world):
    report = ReportFactory(
        mission=world.mission_b,
        external_id="B-DRAFT-0002",
        title="Convoy seen near Bravo",
        period_start=START,
        period_end=END,
    )
    ObservationFactory(report=report, clause=world.clause_b, place_name="Bravotown")
    return report


@pytest.fixture
def submitted_a(world, observer_a):
    report = ReportFactory(
        mission=world.mission_a,
        external_id="A-FILED-0003",
        title="Filed and final",
        period_start=START,
        period_end=END,
        status=ReportStatus.SUBMITTED,
        filed_by=observer_a,
        filed_at=END,
    )
    ObservationFactory(report=report, clause=world.clause_a, place_name="Alphaville")
    return report


def _observation_row(index: int, *, clause, **overrides) -> dict[str, str]:
    prefix = f"observations-{index}"
    row = {
        "kind": Observation.Kind.VIOLATION,
        "clause": str(clause.pk) if clause else "",
        "party": "",
        "occurred_at_0": "2025-03-01",
        "occurred_at_1": "09:30:00",
        "severity": "2",
        "quantity": "12",
        "place_name": "Checkpoint 4",
        "admin_area": "",
        "area": "",
        "latitude": "47.1",
        "longitude": "37.5",
        "description": "Twelve explosions heard.",
        "source": "patrol",
        "source_reliability": "B",
        "information_credibility": "2",
        "verification_status": Observation.Verification.UNVERIFIED,
        "evidence_urls": "[]",
        **overrides,
    }
    return {f"{prefix}-{key}": value for key, value in row.items()}


def _report_form(*, mission, external_id: str, observations=(), initial: int = 0, **overrides):
    """The add/change form as the browser posts it, with the observations inline formset."""
    data = {
        "mission": str(mission.pk),
        "external_id": external_id,
        "period_start_0": "2025-03-01",
        "period_start_1": "06:00:00",
        "period_end_0": "2025-03-01",
        "period_end_1": "18:00:00",
        "title": "Daily report",
        "summary": "",
        "observations-TOTAL_FORMS": str(len(observations)),
        "observations-INITIAL_FORMS": str(initial),
        "observations-MIN_NUM_FORMS": "0",
        "observations-MAX_NUM_FORMS": "1000",
        "_save": "Save",
        **overrides,
    }
    for row in observations:
        data.update(row)
    return data


def _existing_rows(report: Report) -> list[dict[str, str]]:
    rows = []
    for index, observation in enumerate(report.observations.all()):
        row = _observation_row(index, clause=observation.clause, place_name=observation.place_name)
        row[f"observations-{index}-id"] = str(observation.pk)
        row[f"observations-{index}-report"] = str(report.pk)
        rows.append(row)
    return rows


def _errors(response) -> str:
    """Form and inline errors of a re-rendered admin form, for assertion messages."""
    context = response.context
    errors = [str(context["adminform"].form.errors)]
    errors += [str(f.formset.errors) for f in context["inline_admin_formsets"]]
    return " ".join(errors)


# --- Seeing reports ------------------------------------------------------------------------


def test_observer_lists_only_reports_of_own_mission(client_for, observer_a, report_a, report_b):
    response = client_for(observer_a).get(_url("reports_report_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert report_a.external_id in content
    assert report_b.external_id not in content


def test_observer_changelist_does_not_name_other_missions(
    client_for, observer_a, report_a, report_b
):
    content = client_for(observer_a).get(_url("reports_report_changelist")).content.decode()
    assert "Mission A" in content
    assert "Mission B" not in content


def test_observer_cannot_open_report_of_other_mission(client_for, observer_a, report_b):
    client = client_for(observer_a)
    for url in (_change_url(report_b), _url("reports_report_history", report_b.pk)):
        response = client.get(url, follow=True)
        assert response.redirect_chain[0] == (_url("index"), 302)
        content = response.content.decode()
        assert report_b.external_id not in content
        assert report_b.title not in content
        assert "Bravotown" not in content


def test_observer_cannot_change_report_of_other_mission(client_for, observer_a, world, report_b):
    data = _report_form(
        mission=world.mission_b,
        external_id="B-HIJACKED",
        initial=1,
        observations=_existing_rows(report_b),
        title="Rewritten",
    )
    response = client_for(observer_a).post(_change_url(report_b), data)
    assert response.status_code in (302, 403)
    report_b.refresh_from_db()
    assert (report_b.external_id, report_b.title) == ("B-DRAFT-0002", "Convoy seen near Bravo")


def test_observer_cannot_submit_report_of_other_mission(client_for, observer_a, world, report_b):
    data = _report_form(
        mission=world.mission_b,
        external_id=report_b.external_id,
        initial=1,
        observations=_existing_rows(report_b),
        _submit="Save and submit report",
    )
    client_for(observer_a).post(_change_url(report_b), data)
    report_b.refresh_from_db()
    assert report_b.status == ReportStatus.DRAFT
    assert not ReportStatusChange.objects.filter(report=report_b).exists()


def test_observer_cannot_delete_report_of_other_mission(client_for, observer_a, report_b):
    client_for(observer_a).post(_url("reports_report_delete", report_b.pk), {"post": "yes"})
    assert Report.objects.filter(pk=report_b.pk).exists()


def test_observer_may_delete_own_draft(client_for, observer_a, report_a):
    response = client_for(observer_a).post(
        _url("reports_report_delete", report_a.pk), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Report.objects.filter(pk=report_a.pk).exists()


# --- Filing a report -----------------------------------------------------------------------


def test_report_add_form_uses_observations_prefix(client_for, observer_a):
    response = client_for(observer_a).get(_url("reports_report_add"))
    assert response.status_code == 200
    prefixes = [f.formset.prefix for f in response.context["inline_admin_formsets"]]
    assert prefixes == ["observations"]  # the status history is not the observer's to see
    assert 'name="_submit"' in response.content.decode()


def test_observer_files_draft_with_observation_on_covered_clause(client_for, observer_a, world):
    data = _report_form(
        mission=world.mission_a,
        external_id="A-NEW-0100",
        observations=[_observation_row(0, clause=world.clause_a)],
    )
    response = client_for(observer_a).post(_url("reports_report_add"), data)
    assert response.status_code == 302, _errors(response)
    report = Report.objects.get(external_id="A-NEW-0100")
    assert (report.mission, report.status, report.channel) == (
        world.mission_a,
        ReportStatus.DRAFT,
        Channel.ADMIN,
    )
    observation = report.observations.get()
    assert (observation.clause, observation.quantity, observation.grade) == (
        world.clause_a,
        12,
        "B2",
    )


def test_observer_cannot_file_report_for_other_mission(client_for, observer_a, world):
    data = _report_form(
        mission=world.mission_b,
        external_id="B-FORGED-0101",
        observations=[_observation_row(0, clause=world.clause_a)],
    )
    response = client_for(observer_a).post(_url("reports_report_add"), data)
    assert response.status_code == 200
    assert "mission" in response.context["adminform"].form.errors
    assert not Report.objects.filter(external_id="B-FORGED-0101").exists()
    assert not Observation.objects.filter(place_name="Checkpoint 4").exists()


@pytest.mark.parametrize("clause_name", ["clause_b", "clause_unmonitored"])
def test_observer_cannot_attach_observation_to_clause_outside_own_mission(
    client_for, observer_a, world, clause_name
):
    data = _report_form(
        mission=world.mission_a,
        external_id="A-WRONG-0102",
        observations=[_observation_row(0, clause=getattr(world, clause_name))],
    )
    response = client_for(observer_a).post(_url("reports_report_add"), data)
    assert response.status_code == 200
    [formset] = response.context["inline_admin_formsets"]
    assert "clause" in formset.formset.errors[0]
    assert not Report.objects.filter(external_id="A-WRONG-0102").exists()
    assert not Observation.objects.exists()


def test_observer_cannot_move_observation_of_own_draft_to_other_missions_clause(
    client_for, observer_a, world, report_a
):
    rows = _existing_rows(report_a)
    rows[0]["observations-0-clause"] = str(world.clause_b.pk)
    data = _report_form(
        mission=world.mission_a, external_id=report_a.external_id, initial=1, observations=rows
    )
    response = client_for(observer_a).post(_change_url(report_a), data)
    assert response.status_code == 200
    assert report_a.observations.get().clause == world.clause_a


def _autocomplete(client, term: str = "") -> set[str]:
    response = client.get(
        _url("autocomplete"),
        {"app_label": "reports", "model_name": "observation", "field_name": "clause", "term": term},
    )
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_clause_autocomplete_offers_observer_only_clauses_of_own_mission(
    client_for, observer_a, world
):
    assert _autocomplete(client_for(observer_a)) == {str(world.clause_a.pk)}


def test_clause_autocomplete_search_stays_within_own_mission(client_for, observer_a, world):
    assert _autocomplete(client_for(observer_a), term="Withdrawal") == set()


def test_clause_autocomplete_offers_administrator_every_clause(client_for, administrator, world):
    assert _autocomplete(client_for(administrator)) == {
        str(c.pk) for c in (world.clause_a, world.clause_b, world.clause_unmonitored)
    }


# --- Submitting ----------------------------------------------------------------------------


def test_save_and_submit_files_the_draft_and_records_the_change(
    client_for, observer_a, world, report_a
):
    data = _report_form(
        mission=world.mission_a,
        external_id=report_a.external_id,
        initial=1,
        observations=_existing_rows(report_a),
        _submit="Save and submit report",
    )
    del data["_save"]
    response = client_for(observer_a).post(_change_url(report_a), data)
    assert response.status_code == 302, _errors(response)
    report_a.refresh_from_db()
    assert report_a.status == ReportStatus.SUBMITTED
    assert (report_a.filed_by, report_a.filed_at is not None) == (observer_a, True)
    change = ReportStatusChange.objects.get(report=report_a, to_status=ReportStatus.SUBMITTED)
    assert (change.from_status, change.changed_by) == (ReportStatus.DRAFT, observer_a)


def test_save_and_submit_on_the_add_form_files_the_new_report(client_for, observer_a, world):
    data = _report_form(
        mission=world.mission_a,
        external_id="A-NEW-0200",
        observations=[_observation_row(0, clause=world.clause_a)],
        _submit="Save and submit report",
    )
    response = client_for(observer_a).post(_url("reports_report_add"), data)
    assert response.status_code == 302, _errors(response)
    report = Report.objects.get(external_id="A-NEW-0200")
    assert report.status == ReportStatus.SUBMITTED
    assert response["Location"] == _change_url(report)


def test_submitting_report_without_observations_keeps_it_draft(client_for, observer_a, world):
    data = _report_form(
        mission=world.mission_a, external_id="A-EMPTY-0201", _submit="Save and submit report"
    )
    response = client_for(observer_a).post(_url("reports_report_add"), data, follow=True)
    report = Report.objects.get(external_id="A-EMPTY-0201")
    assert report.status == ReportStatus.DRAFT
    assert "needs at least one observation" in response.content.decode()
    assert not ReportStatusChange.objects.exists()


def test_submitted_report_is_read_only_to_its_observer(client_for, observer_a, submitted_a):
    response = client_for(observer_a).get(_change_url(submitted_a))
    assert response.status_code == 200
    content = response.content.decode()
    assert submitted_a.external_id in content
    assert 'name="_save"' not in content
    assert 'name="_continue"' not in content
    assert 'name="_submit"' not in content
    assert 'name="external_id"' not in content


def test_submitted_report_ignores_posted_changes(client_for, observer_a, world, submitted_a):
    data = _report_form(
        mission=world.mission_a,
        external_id="A-REWRITTEN",
        initial=1,
        observations=_existing_rows(submitted_a),
        title="Rewritten",
    )
    response = client_for(observer_a).post(_change_url(submitted_a), data)
    assert response.status_code == 403
    submitted_a.refresh_from_db()
    assert (submitted_a.external_id, submitted_a.title, submitted_a.status) == (
        "A-FILED-0003",
        "Filed and final",
        ReportStatus.SUBMITTED,
    )
    assert submitted_a.observations.get().place_name == "Alphaville"


def test_submitted_report_cannot_be_deleted(client_for, observer_a, submitted_a):
    client = client_for(observer_a)
    assert client.get(_url("reports_report_delete", submitted_a.pk)).status_code == 403
    response = client.post(_url("reports_report_delete", submitted_a.pk), {"post": "yes"})
    assert response.status_code == 403
    assert Report.objects.filter(pk=submitted_a.pk).exists()


def test_submitted_report_cannot_be_bulk_deleted(client_for, administrator, submitted_a):
    response = client_for(administrator).post(
        _url("reports_report_changelist"),
        {"action": "delete_selected", "_selected_action": [submitted_a.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert Report.objects.filter(pk=submitted_a.pk).exists()


# --- Analyst -------------------------------------------------------------------------------


def test_analyst_lists_reports_of_every_mission(client_for, analyst, report_a, report_b):
    response = client_for(analyst).get(_url("reports_report_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert report_a.external_id in content
    assert report_b.external_id in content


def test_analyst_views_report_of_any_mission_read_only(client_for, analyst, report_b):
    response = client_for(analyst).get(_change_url(report_b))
    assert response.status_code == 200
    content = response.content.decode()
    assert report_b.external_id in content
    assert "Bravotown" in content
    assert 'name="_save"' not in content
    assert 'name="_submit"' not in content


def test_analyst_cannot_change_a_report(client_for, analyst, world, report_b):
    data = _report_form(
        mission=world.mission_b,
        external_id="B-ANALYST",
        initial=1,
        observations=_existing_rows(report_b),
        _submit="Save and submit report",
    )
    response = client_for(analyst).post(_change_url(report_b), data)
    assert response.status_code == 403
    report_b.refresh_from_db()
    assert (report_b.external_id, report_b.status) == ("B-DRAFT-0002", ReportStatus.DRAFT)


def test_analyst_cannot_add_a_report(client_for, analyst, world):
    data = _report_form(mission=world.mission_a, external_id="A-ANALYST")
    assert client_for(analyst).post(_url("reports_report_add"), data).status_code == 403
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
        _url("agreements_implementationassessment_add"), _assessment_form(world.clause_b)
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
    url = _url("agreements_implementationassessment_change", assessment.pk)
    response = client_for(analyst).post(url, _assessment_form(world.clause_a, level="3"))
    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.level == 1


def test_observer_cannot_record_an_assessment(client_for, observer_a, world):
    response = client_for(observer_a).post(
        _url("agreements_implementationassessment_add"), _assessment_form(world.clause_a)
    )
    assert response.status_code == 403
    assert not ImplementationAssessment.objects.exists()


# --- Who may enter at all ------------------------------------------------------------------


@pytest.fixture
def payload_b(world):
    return InboundPayload.objects.create(
        body=b'{"external_id": "B-UPLOAD"}',
        sha256="b" * 64,
        size=27,
        content_type="application/json",
        channel=Channel.API,
        mission=world.mission_b,
        filename="bravo-upload.json",
    )


@pytest.fixture
def payload_a(world):
    return InboundPayload.objects.create(
        body=b'{"external_id": "A-UPLOAD"}',
        sha256="a" * 64,
        size=27,
        content_type="application/json",
        channel=Channel.API,
        mission=world.mission_a,
        filename="alpha-upload.json",
    )


def _every_admin_url(report, payload, world) -> list[str]:
    return [
        _url("index"),
        _url("reports_report_changelist"),
        _url("reports_report_add"),
        _change_url(report),
        _url("reports_report_delete", report.pk),
        _url("reports_inboundpayload_changelist"),
        _url("reports_inboundpayload_change", payload.pk),
        _url("reports_observermission_changelist"),
        _url("agreements_agreement_changelist"),
        _url("agreements_clause_change", world.clause_a.pk),
        _url("agreements_implementationassessment_add"),
        _url("autocomplete") + "?app_label=reports&model_name=observation&field_name=clause",
    ]


@pytest.mark.parametrize("persona", ["outsider", "api_consumer"])
def test_user_without_staff_status_is_sent_to_login_from_every_admin_page(
    client_for, request, world, report_a, payload_a, persona
):
    client = client_for(request.getfixturevalue(persona))
    login = _url("login")
    for url in _every_admin_url(report_a, payload_a, world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url
    response = client.post(_change_url(report_a), {"title": "Vandalised"})
    assert response.status_code == 302
    report_a.refresh_from_db()
    assert report_a.title == "Shelling near Alpha"


def test_anonymous_visitor_is_sent_to_login(client, world, report_a, payload_a):
    for url in _every_admin_url(report_a, payload_a, world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(_url("login")), url


def test_observer_sees_only_payloads_of_own_mission(client_for, observer_a, payload_a, payload_b):
    response = client_for(observer_a).get(_url("reports_inboundpayload_changelist"))
    assert list(response.context["cl"].result_list) == [payload_a]
    assert b"Mission A" in response.content
    assert b"Mission B" not in response.content


def test_observer_cannot_open_payload_of_other_mission(client_for, observer_a, payload_b):
    response = client_for(observer_a).get(
        _url("reports_inboundpayload_change", payload_b.pk), follow=True
    )
    assert response.redirect_chain[0] == (_url("index"), 302)
    assert b"bravo-upload.json" not in response.content
    assert ("b" * 64).encode() not in response.content


def test_observer_sees_only_own_mission(client_for, observer_a, world):
    content = client_for(observer_a).get(_url("reports_observermission_changelist")).content
    assert b"Mission A" in content
    assert b"Mission B" not in content


def test_observer_b_is_the_mirror_image(client_for, observer_b, report_a, report_b):
    content = client_for(observer_b).get(_url("reports_report_changelist")).content.decode()
    assert report_b.external_id in content
    assert report_a.external_id not in content
    assert client_for(observer_b).get(_change_url(report_a)).status_code == 302


# --- Uploading a file ----------------------------------------------------------------------


def _upload(client, mission, name: str = "daily.json"):
    upload = SimpleUploadedFile(name, b'{"observations": []}', content_type="application/json")
    return client.post(
        _url("reports_inboundpayload_upload"),
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
    assert response["Location"] == _url("reports_inboundpayload_change", payload.pk)
    assert (payload.mission, payload.sender, payload.channel) == (
        world.mission_a,
        observer_a,
        Channel.UPLOAD,
    )


def test_observer_cannot_upload_a_file_for_other_mission(client_for, observer_a, world):
    client = client_for(observer_a)
    form = client.get(_url("reports_inboundpayload_upload")).context["form"]
    assert list(form.fields["mission"].queryset) == [world.mission_a]
    response = _upload(client, world.mission_b)
    assert response.status_code == 200
    assert "mission" in response.context["form"].errors
    assert not InboundPayload.objects.exists()


def test_analyst_may_not_upload_report_files(client_for, analyst, world):
    client = client_for(analyst)
    assert client.get(_url("reports_inboundpayload_upload")).status_code == 403
    assert _upload(client, world.mission_a).status_code == 403
    assert not InboundPayload.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "api_consumer"])
def test_user_without_staff_status_cannot_reach_the_upload_page(
    client_for, request, world, persona
):
    response = _upload(client_for(request.getfixturevalue(persona)), world.mission_a)
    assert response.status_code == 302
    assert response["Location"].startswith(_url("login"))
    assert not InboundPayload.objects.exists()
