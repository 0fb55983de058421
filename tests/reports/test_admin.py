"""The reports admin through real HTTP: drafts, submission and what each role may do with a
report (role x scope: who may, who may not)."""

import pytest

from reports.models import (
    Channel,
    Observation,
    Report,
    ReportStatus,
    ReportStatusChange,
)
from tests.reports.admin_support import (
    admin_url,
    change_url,
    existing_rows,
    form_errors,
    observation_row,
    report_form,
)

pytestmark = pytest.mark.django_db


def test_observer_lists_only_reports_of_own_mission(client_for, observer_a, report_a, report_b):
    response = client_for(observer_a).get(admin_url("reports_report_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert report_a.external_id in content
    assert report_b.external_id not in content


def test_observer_changelist_does_not_name_other_missions(
    client_for, observer_a, report_a, report_b
):
    content = client_for(observer_a).get(admin_url("reports_report_changelist")).content.decode()
    assert "Mission A" in content
    assert "Mission B" not in content


def test_observer_cannot_open_report_of_other_mission(client_for, observer_a, report_b):
    client = client_for(observer_a)
    for url in (change_url(report_b), admin_url("reports_report_history", report_b.pk)):
        response = client.get(url, follow=True)
        assert response.redirect_chain[0] == (admin_url("index"), 302)
        content = response.content.decode()
        assert report_b.external_id not in content
        assert report_b.title not in content
        assert "Bravotown" not in content


def test_observer_cannot_change_report_of_other_mission(client_for, observer_a, world, report_b):
    data = report_form(
        mission=world.mission_b,
        external_id="B-HIJACKED",
        initial=1,
        observations=existing_rows(report_b),
        title="Rewritten",
    )
    response = client_for(observer_a).post(change_url(report_b), data)
    assert response.status_code in (302, 403)
    report_b.refresh_from_db()
    assert (report_b.external_id, report_b.title) == ("B-DRAFT-0002", "Convoy seen near Bravo")


def test_observer_cannot_submit_report_of_other_mission(client_for, observer_a, world, report_b):
    data = report_form(
        mission=world.mission_b,
        external_id=report_b.external_id,
        initial=1,
        observations=existing_rows(report_b),
        _submit="Save and submit report",
    )
    client_for(observer_a).post(change_url(report_b), data)
    report_b.refresh_from_db()
    assert report_b.status == ReportStatus.DRAFT
    assert not ReportStatusChange.objects.filter(report=report_b).exists()


def test_observer_cannot_delete_report_of_other_mission(client_for, observer_a, report_b):
    client_for(observer_a).post(admin_url("reports_report_delete", report_b.pk), {"post": "yes"})
    assert Report.objects.filter(pk=report_b.pk).exists()


def test_observer_may_delete_own_draft(client_for, observer_a, report_a):
    response = client_for(observer_a).post(
        admin_url("reports_report_delete", report_a.pk), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Report.objects.filter(pk=report_a.pk).exists()


# --- Filing a report -----------------------------------------------------------------------


def test_report_add_form_uses_observations_prefix(client_for, observer_a):
    response = client_for(observer_a).get(admin_url("reports_report_add"))
    assert response.status_code == 200
    prefixes = [f.formset.prefix for f in response.context["inline_admin_formsets"]]
    assert prefixes == ["observations"]  # the status history is not the observer's to see
    assert 'name="_submit"' in response.content.decode()


def test_observer_files_draft_with_observation_on_covered_clause(client_for, observer_a, world):
    data = report_form(
        mission=world.mission_a,
        external_id="A-NEW-0100",
        observations=[observation_row(0, clause=world.clause_a)],
    )
    response = client_for(observer_a).post(admin_url("reports_report_add"), data)
    assert response.status_code == 302, form_errors(response)
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
    data = report_form(
        mission=world.mission_b,
        external_id="B-FORGED-0101",
        observations=[observation_row(0, clause=world.clause_a)],
    )
    response = client_for(observer_a).post(admin_url("reports_report_add"), data)
    assert response.status_code == 200
    assert "mission" in response.context["adminform"].form.errors
    assert not Report.objects.filter(external_id="B-FORGED-0101").exists()
    assert not Observation.objects.filter(place_name="Checkpoint 4").exists()


@pytest.mark.parametrize("clause_name", ["clause_b", "clause_unmonitored"])
def test_observer_cannot_attach_observation_to_clause_outside_own_mission(
    client_for, observer_a, world, clause_name
):
    data = report_form(
        mission=world.mission_a,
        external_id="A-WRONG-0102",
        observations=[observation_row(0, clause=getattr(world, clause_name))],
    )
    response = client_for(observer_a).post(admin_url("reports_report_add"), data)
    assert response.status_code == 200
    [formset] = response.context["inline_admin_formsets"]
    assert "clause" in formset.formset.errors[0]
    assert not Report.objects.filter(external_id="A-WRONG-0102").exists()
    assert not Observation.objects.exists()


def test_observer_cannot_move_observation_of_own_draft_to_other_missions_clause(
    client_for, observer_a, world, report_a
):
    rows = existing_rows(report_a)
    rows[0]["observations-0-clause"] = str(world.clause_b.pk)
    data = report_form(
        mission=world.mission_a, external_id=report_a.external_id, initial=1, observations=rows
    )
    response = client_for(observer_a).post(change_url(report_a), data)
    assert response.status_code == 200
    assert report_a.observations.get().clause == world.clause_a


def _autocomplete(client, term: str = "") -> set[str]:
    response = client.get(
        admin_url("autocomplete"),
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
    data = report_form(
        mission=world.mission_a,
        external_id=report_a.external_id,
        initial=1,
        observations=existing_rows(report_a),
        _submit="Save and submit report",
    )
    del data["_save"]
    response = client_for(observer_a).post(change_url(report_a), data)
    assert response.status_code == 302, form_errors(response)
    report_a.refresh_from_db()
    assert report_a.status == ReportStatus.SUBMITTED
    assert (report_a.filed_by, report_a.filed_at is not None) == (observer_a, True)
    change = ReportStatusChange.objects.get(report=report_a, to_status=ReportStatus.SUBMITTED)
    assert (change.from_status, change.changed_by) == (ReportStatus.DRAFT, observer_a)


def test_save_and_submit_on_the_add_form_files_the_new_report(client_for, observer_a, world):
    data = report_form(
        mission=world.mission_a,
        external_id="A-NEW-0200",
        observations=[observation_row(0, clause=world.clause_a)],
        _submit="Save and submit report",
    )
    response = client_for(observer_a).post(admin_url("reports_report_add"), data)
    assert response.status_code == 302, form_errors(response)
    report = Report.objects.get(external_id="A-NEW-0200")
    assert report.status == ReportStatus.SUBMITTED
    assert response["Location"] == change_url(report)


def test_submitting_report_without_observations_keeps_it_draft(client_for, observer_a, world):
    data = report_form(
        mission=world.mission_a, external_id="A-EMPTY-0201", _submit="Save and submit report"
    )
    response = client_for(observer_a).post(admin_url("reports_report_add"), data, follow=True)
    report = Report.objects.get(external_id="A-EMPTY-0201")
    assert report.status == ReportStatus.DRAFT
    assert "needs at least one observation" in response.content.decode()
    assert not ReportStatusChange.objects.exists()


def test_submitted_report_is_read_only_to_its_observer(client_for, observer_a, submitted_a):
    response = client_for(observer_a).get(change_url(submitted_a))
    assert response.status_code == 200
    content = response.content.decode()
    assert submitted_a.external_id in content
    assert 'name="_save"' not in content
    assert 'name="_continue"' not in content
    assert 'name="_submit"' not in content
    assert 'name="external_id"' not in content


def test_submitted_report_ignores_posted_changes(client_for, observer_a, world, submitted_a):
    data = report_form(
        mission=world.mission_a,
        external_id="A-REWRITTEN",
        initial=1,
        observations=existing_rows(submitted_a),
        title="Rewritten",
    )
    response = client_for(observer_a).post(change_url(submitted_a), data)
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
    assert client.get(admin_url("reports_report_delete", submitted_a.pk)).status_code == 403
    response = client.post(admin_url("reports_report_delete", submitted_a.pk), {"post": "yes"})
    assert response.status_code == 403
    assert Report.objects.filter(pk=submitted_a.pk).exists()


def test_submitted_report_cannot_be_bulk_deleted(client_for, administrator, submitted_a):
    response = client_for(administrator).post(
        admin_url("reports_report_changelist"),
        {"action": "delete_selected", "_selected_action": [submitted_a.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert Report.objects.filter(pk=submitted_a.pk).exists()


# --- Analyst -------------------------------------------------------------------------------
