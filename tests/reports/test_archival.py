"""A report filed more than ARCHIVAL_MARGIN_DAYS after its period ended is archival: marked
when it is accepted, whatever the channel; re-marked by ``reports_mark_archival``."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from reports.models import Report, ReportStatus
from reports.services import reports_mark_archival
from tests.factories import ObservationFactory, ReportFactory
from tests.reports.admin_support import (
    admin_url,
    change_url,
    existing_rows,
    form_errors,
    report_form,
)
from tests.reports.pipeline_support import END, State, _body, _ingest, _report

pytestmark = pytest.mark.django_db

MARGIN = dt.timedelta(days=7)
SECOND = dt.timedelta(seconds=1)


def ingested_at(moment: dt.datetime, *, sender, **overrides) -> Report:
    with time_machine.travel(moment, tick=False):
        payload = _ingest(_body(_report(2, **overrides)), sender=sender)
    assert payload.state == State.DONE, payload.errors
    return Report.objects.get(pk=payload.report_id)


# --- marked on acceptance -----------------------------------------------------------------


def test_a_report_filed_right_after_its_period_is_not_archival(world, observer_a):
    assert ingested_at(END + dt.timedelta(hours=2), sender=observer_a).archival is False


def test_a_report_filed_exactly_at_the_margin_is_not_archival(world, observer_a):
    assert ingested_at(END + MARGIN, sender=observer_a).archival is False


def test_a_report_filed_a_second_past_the_margin_is_archival(world, observer_a):
    assert ingested_at(END + MARGIN + SECOND, sender=observer_a).archival is True


def test_the_margin_is_read_from_the_settings(world, observer_a, settings):
    settings.ARCHIVAL_MARGIN_DAYS = 30
    assert ingested_at(END + MARGIN + SECOND, sender=observer_a).archival is False


def test_a_correction_is_marked_from_its_own_filing(world, observer_a):
    first = ingested_at(END + dt.timedelta(hours=2), sender=observer_a)
    correction = ingested_at(END + 60 * MARGIN, sender=observer_a, title="Corrected")
    first.refresh_from_db()
    assert (first.status, first.archival) == (ReportStatus.SUPERSEDED, False)
    assert (correction.supersedes, correction.archival) == (first, True)


def test_an_admin_draft_of_an_old_period_is_archival_once_accepted(
    client_for, observer_a, world, django_capture_on_commit_callbacks
):
    draft = ReportFactory(
        mission=world.mission_a,
        external_id="A-2022-0224",
        period_start=dt.datetime(2022, 2, 16, tzinfo=dt.UTC),
        period_end=dt.datetime(2022, 2, 24, tzinfo=dt.UTC),
    )
    ObservationFactory(report=draft, clause=world.clause_a, place_name="Shyrokyne")
    data = report_form(
        mission=world.mission_a,
        external_id=draft.external_id,
        initial=1,
        observations=existing_rows(draft),
        period_start_0="2022-02-16",
        period_end_0="2022-02-24",
        _submit="Save and submit report",
    )
    del data["_save"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(observer_a).post(change_url(draft), data)
    assert response.status_code == 302, form_errors(response)
    draft.refresh_from_db()
    assert (draft.status, draft.archival) == (ReportStatus.ACCEPTED, True)


def test_a_report_not_yet_accepted_is_not_marked(world):
    draft = ReportFactory(
        mission=world.mission_a,
        period_start=dt.datetime(2022, 2, 16, tzinfo=dt.UTC),
        period_end=dt.datetime(2022, 2, 24, tzinfo=dt.UTC),
        status=ReportStatus.SUBMITTED,
        filed_at=dt.datetime(2026, 3, 5, tzinfo=dt.UTC),
    )
    assert Report.objects.get(pk=draft.pk).archival is False


# --- re-marking ---------------------------------------------------------------------------


def late(mission, days: int) -> Report:
    end = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    return ReportFactory(
        mission=mission,
        status=ReportStatus.ACCEPTED,
        period_start=end - dt.timedelta(days=1),
        period_end=end,
        filed_at=end + dt.timedelta(days=days),
    )


def archival_flags(*reports: Report) -> list[bool]:
    return [Report.objects.get(pk=r.pk).archival for r in reports]


def mark() -> str:
    out = io.StringIO()
    call_command("reports_mark_archival", stdout=out)
    return out.getvalue()


def test_mark_archival_follows_a_changed_margin_and_says_how_many_changed(world, settings):
    reports = late(world.mission_a, 5), late(world.mission_a, 10), late(world.mission_b, 0)
    assert "1 report(s) changed" in mark()
    assert archival_flags(*reports) == [False, True, False]
    settings.ARCHIVAL_MARGIN_DAYS = 3
    assert "1 report(s) changed" in mark()
    assert archival_flags(*reports) == [True, True, False]
    settings.ARCHIVAL_MARGIN_DAYS = 30
    assert "2 report(s) changed" in mark()
    assert archival_flags(*reports) == [False, False, False]
    assert "0 report(s) changed" in mark()


def test_mark_archival_leaves_reports_never_filed_alone(world):
    draft = ReportFactory(mission=world.mission_a, archival=True)  # no filed_at
    assert reports_mark_archival() == 1
    assert archival_flags(draft) == [False]


# --- shown in the admin and the API -------------------------------------------------------


@pytest.fixture
def two_reports(world):
    return late(world.mission_a, 1), late(world.mission_a, 400)


def test_admin_lists_and_filters_archival_reports(client_for, analyst, world, two_reports):
    reports_mark_archival()
    recent, old = two_reports
    response = client_for(analyst).get(admin_url("reports_report_changelist"))
    assert response.status_code == 200
    assert ">archival<" in response.content.decode().lower()
    shown = client_for(analyst).get(admin_url("reports_report_changelist"), {"archival__exact": 1})
    assert [r.pk for r in shown.context["cl"].result_list] == [old.pk]


def test_api_reports_say_whether_they_are_archival(client_for, analyst, world, two_reports):
    reports_mark_archival()
    recent, old = two_reports
    rows = client_for(analyst).get("/api/v1/reports/").json()["results"]
    assert {row["id"]: row["archival"] for row in rows} == {recent.pk: False, old.pk: True}
    only = client_for(analyst).get("/api/v1/reports/", {"archival": "true"}).json()["results"]
    assert [row["id"] for row in only] == [old.pk]


def test_api_missions_carry_their_mandate_and_zone(client_for, analyst, world):
    mission = world.mission_a
    mission.active_from, mission.active_until = dt.date(2014, 3, 21), dt.date(2022, 3, 31)
    mission.time_zone = "Europe/Kyiv"
    mission.save()
    row = client_for(analyst).get(f"/api/v1/missions/{mission.code}/").json()
    assert (row["active_from"], row["active_until"], row["time_zone"]) == (
        "2014-03-21",
        "2022-03-31",
        "Europe/Kyiv",
    )


def test_mission_admin_shows_an_ended_mandate_in_words(client_for, admin_user, world):
    world.mission_a.active_until = dt.date(2022, 3, 31)
    world.mission_a.save()
    page = client_for(admin_user).get(admin_url("reports_observermission_changelist"))
    assert "ended on 31 March 2022" in page.content.decode()
