"""The admin's import wizard: upload, choose or build a profile, preview, confirm."""

import os
import time
from html import unescape
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reports.ingest.process import payload_ingest
from reports.ingest.staging import staged_imports_sweep, staging_dir
from reports.models import ImportProfile, InboundPayload, Observation, Report
from tests.reports.admin_support import admin_url
from tests.reports.preview_support import (
    INSPECTIONS_PROFILE,
    PATROLS,
    PATROLS_PROFILE,
    clean_patrols,
    inspections_workbook,
    patrol_world,
)

pytestmark = pytest.mark.django_db
START = admin_url("reports_inboundpayload_import")
BUILD = admin_url("reports_inboundpayload_import_build")
PREVIEW = admin_url("reports_inboundpayload_import_preview")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def patrol_profile(world):
    patrol_world(world)
    return ImportProfile.objects.create(
        code="patrol-log", name="Patrol log", definition=PATROLS_PROFILE.read_text()
    )


def _start(client, mission, body: bytes, name: str = "patrols.csv", **fields):
    data = {
        "file": SimpleUploadedFile(name, body),
        "mission": str(mission.pk),
        "agreement": "test-ceasefire",
        "profile": "",
        "format": "",
        "external_id": "",
        **fields,
    }
    return client.post(START, data)


def _staged(response) -> str:
    """The signed reference a step redirected with."""
    return parse_qs(urlparse(response["Location"]).query)["staged"][0]


def _stored() -> tuple[int, int, int]:
    return InboundPayload.objects.count(), Report.objects.count(), Observation.objects.count()


def _confirm(client, staged: str, digest: str):
    return client.post(f"{PREVIEW}?staged={staged}", {"digest": digest})


def test_observer_imports_a_file_with_a_stored_profile_after_a_preview(
    client_for, observer_a, world, patrol_profile, django_capture_on_commit_callbacks
):
    client = client_for(observer_a)

    response = _start(client, world.mission_a, clean_patrols(), profile="patrol-log")
    assert response.status_code == 302
    assert response["Location"].startswith(PREVIEW)
    staged = _staged(response)

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ready to import." in html and "Nothing has been stored yet." in html
    assert "Unknown militia" in html and "(unknown actor, kept as text)" in html
    assert "Patrol note" in html
    assert _stored() == (0, 0, 0)

    with django_capture_on_commit_callbacks(execute=True):
        done = _confirm(client, staged, page.context["digest"])

    assert done.status_code == 302
    payload = InboundPayload.objects.get()
    assert done["Location"] == admin_url("reports_inboundpayload_import_result", payload.pk)
    assert payload.state == InboundPayload.State.DONE, payload.errors
    assert (payload.sender, payload.mission, payload.channel) == (
        observer_a,
        world.mission_a,
        "upload",
    )
    assert payload.params["profile"] == "patrol-log"
    assert payload.body == clean_patrols()
    assert payload.report.observations.count() == 5
    result = client.get(done["Location"]).content.decode()
    assert "Imported." in result and "5 observations stored" in result
    assert list(staging_dir().iterdir()) == []  # the kept file is gone


def test_confirm_stores_exactly_the_bytes_and_params_previewed(
    client_for, observer_a, world, patrol_profile, django_capture_on_commit_callbacks
):
    client = client_for(observer_a)
    response = _start(client, world.mission_a, clean_patrols(), profile="patrol-log")
    page = client.get(response["Location"])
    previewed = page.context["preview"]

    with django_capture_on_commit_callbacks(execute=True):
        _confirm(client, _staged(response), page.context["digest"])

    payload = InboundPayload.objects.get()
    assert payload.params["profile_spec"]["columns"]["Shells"] == "quantity"
    assert payload.result["observations"] == previewed.would_store == 5


def test_a_rejected_preview_offers_no_confirm_and_refuses_one(
    client_for, observer_a, world, patrol_profile
):
    client = client_for(observer_a)
    response = _start(client, world.mission_a, PATROLS.read_bytes(), profile="patrol-log")

    page = client.get(response["Location"])
    html = page.content.decode()
    assert "This file would be rejected." in html
    assert "row 8" in html and "row 9" in html
    assert "Confirm:" not in html

    refused = _confirm(client, _staged(response), page.context["digest"])
    assert refused.status_code == 302 and refused["Location"].startswith(PREVIEW)
    assert _stored() == (0, 0, 0)


def test_confirm_after_the_profile_changed_asks_for_a_new_preview(
    client_for, observer_a, world, patrol_profile
):
    client = client_for(observer_a)
    response = _start(client, world.mission_a, clean_patrols(), profile="patrol-log")
    digest = client.get(response["Location"]).context["digest"]
    patrol_profile.definition += "skip_blank_rows: false\n"
    patrol_profile.save()

    refused = _confirm(client, _staged(response), digest)

    assert refused.status_code == 302 and refused["Location"].startswith(PREVIEW)
    assert _stored() == (0, 0, 0)


def test_observer_cannot_import_for_another_mission(client_for, observer_a, world):
    response = _start(client_for(observer_a), world.mission_b, clean_patrols())

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert _stored() == (0, 0, 0)


def test_another_user_cannot_see_or_confirm_an_import_in_progress(
    client, observer_a, observer_b, world, patrol_profile
):
    client.force_login(observer_a)
    response = _start(client, world.mission_a, clean_patrols(), profile="patrol-log")
    digest = client.get(response["Location"]).context["digest"]
    staged = _staged(response)

    client.force_login(observer_b)
    page = client.get(f"{PREVIEW}?staged={staged}")
    refused = _confirm(client, staged, digest)

    assert "another user&#x27;s import" in page.content.decode()
    assert "Alphaville" not in page.content.decode()
    assert refused.status_code == 200 and "There is no file to import" in refused.content.decode()
    assert _stored() == (0, 0, 0)


def test_a_forged_reference_finds_nothing(client_for, observer_a, world):
    page = client_for(observer_a).get(f"{PREVIEW}?staged=../../etc/passwd")

    assert page.status_code == 200
    assert "There is no file to import here" in page.content.decode()


def test_analyst_may_not_import(client_for, analyst, world):
    assert client_for(analyst).get(START).status_code == 403
    assert client_for(analyst).get(PREVIEW).status_code == 403


def test_the_result_page_follows_the_payload_and_says_rejected_plainly(
    client_for, observer_a, world, patrol_profile
):
    client = client_for(observer_a)
    response = _start(client, world.mission_a, clean_patrols(), profile="patrol-log")
    page = client.get(response["Location"])
    done = _confirm(client, _staged(response), page.context["digest"])  # not ingested yet

    waiting = client.get(done["Location"]).content.decode()
    assert "Stored, being checked." in waiting and 'http-equiv="refresh"' in waiting

    # The mission's mandate ends before a worker reads the file.
    world.mission_a.is_active = False
    world.mission_a.save()
    payload_ingest(payload_id=InboundPayload.objects.get().pk)
    html = unescape(client.get(done["Location"]).content.decode())

    assert "Rejected: nothing was stored." in html
    assert 'mission "mission-a" is not active' in html
    assert "submitted" not in html.lower() and 'http-equiv="refresh"' not in html
    assert Observation.objects.count() == 0


def test_the_result_page_of_another_missions_payload_is_refused(
    client_for, observer_b, world, payload_a
):
    response = client_for(observer_b).get(
        admin_url("reports_inboundpayload_import_result", payload_a.pk)
    )
    assert response.status_code == 403


def test_administrator_builds_a_profile_column_by_column_and_saves_it(
    client_for, administrator, world, django_capture_on_commit_callbacks
):
    patrol_world(world)
    client = client_for(administrator)
    response = _start(client, world.mission_a, clean_patrols(), profile="build")
    assert response["Location"].startswith(BUILD)
    staged = _staged(response)

    form = client.get(response["Location"])
    assert form.status_code == 200
    columns = {bf.label: name for bf, _, _ in form.context["columns"] for name in [bf.name]}
    assert list(columns) == [
        "Date",
        "Type",
        "Clause",
        "Actor",
        "Place",
        "Oblast",
        "Shells",
        "Patrol note",
    ]
    chosen = {
        "Date": "occurred_at",
        "Type": "kind",
        "Clause": "clause",
        "Actor": "party",
        "Place": "place_name",
        "Oblast": "admin_area",
        "Shells": "quantity",
        "Patrol note": "",
    }
    data = {columns[header]: target for header, target in chosen.items()}
    data.update(
        header_row="1",
        unknown_parties="keep",
        zone="Europe/Kyiv",
        skip_blank_rows="on",
        set_verification_status="corroborated",
        save_code="patrol-built",
        save_name="Patrol log (built)",
        save_for_mission="on",
    )
    saved = client.post(f"{BUILD}?staged={staged}", data)
    assert saved.status_code == 302, saved.context["form"].errors
    assert saved["Location"].startswith(PREVIEW)

    profile = ImportProfile.objects.get(code="patrol-built")
    assert profile.mission == world.mission_a
    assert "Shells: quantity" in profile.definition
    assert "Patrol note: attributes.Patrol note" in profile.definition

    page = client.get(saved["Location"])
    assert page.context["preview"].would_store == 5
    with django_capture_on_commit_callbacks(execute=True):
        _confirm(client, staged, page.context["digest"])
    payload = InboundPayload.objects.get()
    assert payload.state == InboundPayload.State.DONE, payload.errors
    assert payload.params["profile"] == "patrol-built"
    assert payload.report.observations.count() == 5


def test_observers_build_a_profile_but_may_not_save_it(client_for, observer_a, world):
    client = client_for(observer_a)
    response = _start(client, world.mission_a, clean_patrols(), profile="build")

    form = client.get(response["Location"])

    assert "save_code" not in form.context["form"].fields
    assert "Keep this profile" not in form.content.decode()


def test_the_build_form_offers_the_sheets_of_a_workbook_and_reads_the_one_chosen(
    client_for, administrator, world
):
    client = client_for(administrator)
    response = _start(
        client, world.mission_a, inspections_workbook(), name="inspections.xlsx", profile="build"
    )
    staged = _staged(response)

    first = client.get(response["Location"])
    assert first.context["form"].fields["sheet"].choices == [
        ("Read me", "Read me"),
        ("Inspections", "Inspections"),
    ]
    again = client.post(
        f"{BUILD}?staged={staged}", {"sheet": "Inspections", "header_row": "1", "_reload": "1"}
    )

    labels = [bf.label for bf, _, _ in again.context["columns"]]
    assert labels == ["Inspected at", "Kind", "Place", "Tonnage", "Status"]


def test_a_clash_between_a_constant_and_a_column_is_shown_in_the_form(
    client_for, administrator, world
):
    client = client_for(administrator)
    response = _start(client, world.mission_a, clean_patrols(), profile="build")
    form = client.get(response["Location"])
    columns = {bf.label: bf.name for bf, _, _ in form.context["columns"]}

    page = client.post(
        f"{BUILD}?staged={_staged(response)}",
        {
            columns["Type"]: "kind",
            columns["Date"]: "occurred_at",
            "set_kind": "incident",
            "header_row": "1",
            "unknown_parties": "reject",
        },
    )

    assert page.status_code == 200
    assert "kind is both set for the whole file and read from a column" in page.content.decode()


def test_the_admin_index_and_the_payload_list_link_to_the_import(client_for, observer_a, world):
    client = client_for(observer_a)
    assert START in client.get(admin_url("index")).content.decode()
    assert START in client.get(admin_url("reports_inboundpayload_changelist")).content.decode()


def test_an_import_profile_page_links_to_trying_it_on_a_file(client_for, administrator, world):
    profile = ImportProfile.objects.create(code="acled-ua", name="ACLED", definition="{}")
    client = client_for(administrator)

    page = client.get(admin_url("reports_importprofile_change", profile.pk)).content.decode()

    assert f"{START}?profile=acled-ua" in page
    start = client.get(f"{START}?profile=acled-ua")
    assert start.context["form"]["profile"].value() == "acled-ua"


def test_abandoned_imports_are_swept_after_a_day(client_for, observer_a, world):
    client = client_for(observer_a)
    _start(client, world.mission_a, clean_patrols())
    old = time.time() - 2 * 86400
    for path in staging_dir().iterdir():
        os.utime(path, (old, old))

    assert staged_imports_sweep() == 1
    assert list(staging_dir().iterdir()) == []


def test_adjusting_a_profile_keeps_what_the_form_does_not_show(client_for, administrator, world):
    ImportProfile.objects.create(
        code="inspections",
        name="Inspections",
        definition=INSPECTIONS_PROFILE + "values:\n  kind:\n    sighting: incident\n",
    )
    client = client_for(administrator)
    response = _start(
        client, world.mission_a, inspections_workbook(), name="w.xlsx", profile="inspections"
    )
    staged = _staged(response)
    form = client.get(f"{BUILD}?staged={staged}")
    fields = form.context["form"]
    assert fields["sheet"].value() == "Inspections"
    columns = {bf.label: bf for bf, _, _ in form.context["columns"]}
    assert {label: bf.value() for label, bf in columns.items()} == {
        "Inspected at": "occurred_at",
        "Kind": "kind",
        "Place": "place_name",
        "Tonnage": "amount",
        "Status": "",
    }

    data = {bf.html_name: bf.value() for bf in columns.values()}
    data.update(sheet="Inspections", header_row="1", unknown_parties="reject", zone="UTC")
    saved = client.post(f"{BUILD}?staged={staged}", data)
    assert saved.status_code == 302, saved.context["form"].errors

    page = client.get(saved["Location"])
    profile_yaml = page.context["profile_yaml"]
    assert "unit: t" in profile_yaml and "sighting: incident" in profile_yaml
    assert "Status: attributes.Status" in profile_yaml


def test_two_date_columns_are_not_both_guessed_to_date_the_rows_nor_accepted_so(
    client_for, administrator, world
):
    client = client_for(administrator)
    corridor = (PATROLS.parent / "corridor-inspections.csv").read_bytes()
    response = _start(client, world.mission_a, corridor, name="corridor.csv", profile="build")
    form = client.get(response["Location"])
    columns = {bf.label: bf for bf, _, _ in form.context["columns"]}
    departed = columns["Departed #date +departure"]
    inspected = columns["Inspected #date +inspection"]
    # Both carry #date: only the first is guessed to date the rows, the other is kept.
    assert (departed.value(), inspected.value()) == ("occurred_at", "")

    page = client.post(
        f"{BUILD}?staged={_staged(response)}",
        {
            departed.name: "occurred_at",
            inspected.name: "occurred_at",
            "header_row": "1",
            "unknown_parties": "reject",
        },
    )

    assert page.status_code == 200
    assert "goes to occurred_at too" in unescape(page.content.decode())
