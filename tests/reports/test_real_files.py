"""Files shaped like the ones observers really exchange (tests/data/imports/), each imported
once through the command line and once through the admin's import pages: the same exact
observations either way, and nothing a file held is lost without a word."""

import csv
import io
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from agreements.models import Party
from reports.models import ImportProfile, InboundPayload, Observation
from reports.profiles.registry import SHIPPED
from tests.reports.admin_support import admin_url
from tests.reports.import_support import workbook
from tests.reports.preview_support import INSPECTIONS_PROFILE

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
START = admin_url("reports_inboundpayload_import")
PREVIEW = admin_url("reports_inboundpayload_import_preview")


def _profile_text(case: dict) -> str:
    """The profile as a YAML file, with this import's constants written into it (what an
    administrator saves for a mission's use of a shipped profile)."""
    source = case["profile"]
    text = (SHIPPED / f"{source}.yaml").read_text() if "\n" not in source else source
    if case.get("set"):
        text += "\nset:\n" + "".join(f"  {k}: '{v}'\n" for k, v in case["set"].items())
    return text


# name -> the file (bytes and format), its profile, this import's constants, and what must
# be stored: the count, the kinds, and the attributes every row keeps.
CASES = {
    "acled-export": {
        "file": "acled-ukraine-2025.csv",
        "profile": "acled",
        "set": {"clause": "1"},
        "count": 5,
        "kinds": {"violation": 3, "information": 2},
        "kept": {"event_type", "sub_event_type", "fatalities", "timestamp"},
    },
    "hxl-dataset": {
        "file": "hxl-access-incidents.csv",
        "profile": "hxl",
        "set": {"clause": "1"},
        "count": 3,
        "kinds": None,
        "kept": None,
    },
    "kobo-form-export": {
        "file": "kobo-ceasefire-observations.xlsx",
        "profile": "kobo",
        "count": 2,
        "kinds": None,
        "kept": None,
    },
    "odk-central-export": {
        "file": "odk-ceasefire-observations.csv",
        "profile": "odk",
        "count": 2,
        "kinds": None,
        "kept": None,
    },
    "corridor-inspections": {
        "file": "corridor-inspections.csv",
        "profile": (DATA / "corridor-inspections.yaml").read_text(),
        "count": 7,
        "kinds": {"compliance": 5, "incident": 1, "access_restricted": 1},
        "kept": {"Vessel", "departure", "Voyage status", "Cargo"},
    },
    "workbook-with-a-read-me-first": {
        "body": workbook(
            {
                "Read me": [["The joint centre's inspections, one row each, on the next sheet."]],
                "Inspections": [
                    ["Inspected at", "Kind", "Place", "Tonnage", "Status"],
                    ["2025-03-01T08:00:00Z", "incident", "Port A", 12.5, "cleared"],
                    [],
                    ["2025-03-02T10:00:00Z", "information", "Port A", 40.25, "repeat"],
                ],
            }
        ),
        "file": "inspections.xlsx",
        "profile": INSPECTIONS_PROFILE,
        "count": 2,
        "kinds": {"incident": 1, "information": 1},
        "kept": {"Status"},
    },
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def parties(world):
    Party.objects.create(code="ua", name="Military Forces of Ukraine (2019-)")
    Party.objects.create(code="north", name="North Forces")


def _body(case: dict) -> bytes:
    return case.get("body") or (DATA / case["file"]).read_bytes()


def _rows(payload: InboundPayload) -> list[tuple]:
    assert payload.state == InboundPayload.State.DONE, payload.errors
    return [
        (o.kind, o.clause_id, o.party_id, o.actor, o.occurred_at, o.occurred_on, o.amount,
         o.unit, o.place_name, o.admin_area, o.latitude, o.place_mismatch, o.attributes)
        for o in Observation.objects.filter(report=payload.report).order_by("sequence")
    ]  # fmt: skip


def _by_command(case: dict, world, tmp_path) -> InboundPayload:
    path = tmp_path / "command" / case["file"]
    path.parent.mkdir()
    path.write_bytes(_body(case))
    profile = tmp_path / "profile.yaml"
    profile.write_text(_profile_text(case))
    call_command(
        "import_reports",
        str(path),
        "--mission",
        world.mission_a.code,
        "--agreement",
        case.get("agreement", "test-ceasefire"),
        "--profile",
        str(profile),
        "--here",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    return InboundPayload.objects.get(filename=case["file"], channel="command")


def _by_admin(case, world, client, capture) -> InboundPayload:
    ImportProfile.objects.update_or_create(
        code="mission-profile",
        defaults={"name": "Mission profile", "definition": _profile_text(case)},
    )
    started = client.post(
        START,
        {
            "file": SimpleUploadedFile(case["file"], _body(case)),
            "mission": str(world.mission_a.pk),
            "agreement": case.get("agreement", "test-ceasefire"),
            "profile": "mission-profile",
            "format": "",
            "external_id": "by-admin",
        },
    )
    assert started.status_code == 302, started.content.decode()[:2000]
    staged = parse_qs(urlparse(started["Location"]).query)["staged"][0]
    page = client.get(started["Location"])
    assert "Ready to import." in page.content.decode()
    with capture(execute=True):
        done = client.post(f"{PREVIEW}?staged={staged}", {"digest": page.context["digest"]})
    assert done.status_code == 302
    return InboundPayload.objects.get(channel="upload")


@pytest.mark.parametrize("name", CASES)
def test_a_real_file_stores_the_same_exact_rows_by_command_and_by_admin(
    name, world, parties, client_for, observer_a, tmp_path, django_capture_on_commit_callbacks
):
    case = CASES[name]
    by_command = _rows(_by_command(case, world, tmp_path))
    by_admin = _rows(
        _by_admin(case, world, client_for(observer_a), django_capture_on_commit_callbacks)
    )

    assert by_admin == by_command
    if case["count"] is not None:
        assert len(by_command) == case["count"]
    if case["kinds"] is not None:
        assert Counter(row[0] for row in by_command) == case["kinds"]
    for attributes in (row[-1] for row in by_command):
        assert (case["kept"] or set()) <= set(attributes)


def test_the_report_page_shows_the_day_a_date_only_row_counts_on_and_what_the_file_said():
    import datetime as dt

    from django.contrib import admin

    from reports.admin import ObservationInline

    inline = ObservationInline(Observation, admin.site)
    row = Observation(
        occurred_at=dt.datetime(2022, 2, 14, 22, 0, tzinfo=dt.UTC),
        occurred_on=dt.date(2022, 2, 15),
        date_only=True,
    )
    assert inline.counted_on(row) == "15 Feb 2022 (sent as a date, without a time)"
    row.date_only = False
    assert inline.counted_on(row) == "15 Feb 2022"
    assert {"actor", "amount", "unit", "to_place_name", "place_note"} <= set(inline.readonly_fields)


# Minsk II files: a mis-geocoded row, and actors in many spellings and languages.
MINSK_CASES = {
    "mis-geocoded-rows": {
        "file": "geo_misgeocoded.csv",
        "profile": "name: SMM log\n",
        "flagged": 2,
    },
    "actors-in-many-spellings": {
        "file": "parties_actors.csv",
        "profile": "name: Actors\nunknown_parties: keep\n",
        "flagged": 0,
    },
}


@pytest.mark.parametrize("name", MINSK_CASES)
def test_a_minsk_ii_file_stores_the_same_rows_by_command_and_by_admin_and_loses_none(
    name, world, client_for, observer_a, tmp_path, django_capture_on_commit_callbacks
):
    import agreements
    from agreements.loader import agreement_load_file
    from agreements.models import VerificationMechanism

    agreement_load_file(path=Path(agreements.__file__).parent / "data" / "minsk-ii.yaml")
    smm = VerificationMechanism.objects.get(agreement__code="minsk-ii", code="osce-smm")
    world.mission_a.mechanisms.add(smm)
    case = {**MINSK_CASES[name], "agreement": "minsk-ii"}
    sent = [row for row in csv.DictReader(io.StringIO(_body(case).decode())) if any(row.values())]

    by_command = _rows(_by_command(case, world, tmp_path))
    by_admin = _rows(
        _by_admin(case, world, client_for(observer_a), django_capture_on_commit_callbacks)
    )

    assert by_admin == by_command
    assert len(by_command) == len(sent)  # every row of the file, none lost
    assert sum(row[11] for row in by_command) == case["flagged"]
    # Each actor the file names is kept: as a party, or as the text the file wrote.
    for stored, row in zip(by_command, sent, strict=True):
        if row.get("party"):
            assert stored[2] is not None or stored[3] == row["party"], row
