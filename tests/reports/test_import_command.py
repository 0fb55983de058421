"""``manage.py import_reports``: the same pipeline as the API, run in this process."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from reports.models import Channel, ImportProfile, InboundPayload, Observation, Report
from tests.reports.preview_support import (
    INSPECTIONS_PROFILE,
    PATROLS,
    PATROLS_PROFILE,
    clean_patrols,
    inspections_workbook,
    patrol_world,
)

pytestmark = pytest.mark.django_db

CSV = (
    b"kind,clause,occurred_at,place_name\n"
    b"violation,test-ceasefire:1,2025-03-01T09:00:00,Shyrokyne\n"
    b"information,,2025-03-01T10:00:00,HQ\n"
    b"incident,,2025-03-01T11:00:00,Mariupol\n"
)


def _json_report(**overrides) -> bytes:
    document = {
        "mission": "mission-a",
        "external_id": "A-CLI-1",
        "observations": [
            {"kind": "violation", "clause": "1", "occurred_at": "2025-03-01T09:00:00Z"},
            {"kind": "incident", "occurred_at": "2025-03-01T12:00:00Z"},
        ],
        **overrides,
    }
    return json.dumps(document).encode()


def _import(*paths, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_reports", *[str(p) for p in paths], stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path):
    (tmp_path / "daily.json").write_bytes(_json_report())
    (tmp_path / "patrol-7.csv").write_bytes(CSV)
    return tmp_path


def test_imports_json_and_csv_for_a_mission_and_prints_counts(world, files):
    out, _ = _import(files / "daily.json", files / "patrol-7.csv", mission="mission-a")

    json_report = Report.objects.get(external_id="A-CLI-1")
    csv_report = Report.objects.get(external_id="patrol-7")  # the file name is the id
    assert out.splitlines() == [
        f"{files / 'daily.json'}: 2 observations, report {json_report.pk}",
        f"{files / 'patrol-7.csv'}: 3 observations, report {csv_report.pk}",
    ]
    assert Observation.objects.count() == 5
    payloads = InboundPayload.objects.all()
    assert {p.channel for p in payloads} == {Channel.COMMAND}
    assert {p.state for p in payloads} == {InboundPayload.State.DONE}
    assert {p.sender for p in payloads} == {None}
    assert csv_report.observations.get(sequence=1).clause == world.clause_a


def test_bad_file_raises_command_error_and_prints_the_problems(world, files):
    document = json.loads(_json_report())
    document["observations"][1]["latitude"] = "north"
    document["observations"][1]["longitude"] = 1
    bad = files / "bad.json"
    bad.write_bytes(json.dumps(document).encode())

    with pytest.raises(CommandError, match="1 file\\(s\\) were not ingested"):
        _import(files / "patrol-7.csv", bad, mission="mission-a")

    assert Report.objects.get().external_id == "patrol-7"  # the good file still went in


def test_problems_of_a_bad_file_go_to_stderr(world, files):
    bad = files / "bad.csv"
    bad.write_bytes(b"kind,occurred_at\nrumour,31.02.2015\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_reports", str(bad), mission="mission-a", stdout=io.StringIO(), stderr=err
        )
    lines = err.getvalue().splitlines()
    assert lines[0].startswith(f"{bad}: rejected: ")
    assert (
        lines[1] == '  row 2, kind: "rumour" is not one of violation, compliance, incident, '
        "access_restricted, information"
    )
    assert Observation.objects.count() == 0


def test_reimport_says_already_imported(world, files):
    _import(files / "daily.json", mission="mission-a")
    out, _ = _import(files / "daily.json", mission="mission-a")
    report = Report.objects.get()
    assert out.strip() == (
        f"{files / 'daily.json'}: 2 observations, report {report.pk} "
        "(already imported: nothing changed)"
    )
    assert Observation.objects.count() == 2


def test_profile_timezone_applies_unless_one_is_given(world, tmp_path):
    ImportProfile.objects.create(
        code="kyiv-form",
        name="Kyiv form",
        definition="columns: {Date: occurred_at, Type: kind}\n"
        "time: {zone: Europe/Kyiv, date_format: '%d.%m.%Y %H:%M'}\n",
    )
    (tmp_path / "winter.csv").write_bytes(b"Date,Type\n20.01.2025 08:00,incident\n")
    (tmp_path / "utc.csv").write_bytes(b"Date,Type\n20.01.2025 08:00,incident\n\n")

    _import(tmp_path / "winter.csv", mission="mission-a", profile="kyiv-form")
    _import(tmp_path / "utc.csv", mission="mission-a", profile="kyiv-form", timezone="UTC")

    winter = Observation.objects.get(report__external_id="winter").occurred_at
    utc = Observation.objects.get(report__external_id="utc").occurred_at
    assert winter == dt.datetime(2025, 1, 20, 6, 0, tzinfo=dt.UTC)
    assert utc == dt.datetime(2025, 1, 20, 8, 0, tzinfo=dt.UTC)


def test_unknown_mission_is_refused(world, files):
    with pytest.raises(CommandError, match='Unknown mission "mission-z"'):
        _import(files / "daily.json", mission="mission-z")
    assert InboundPayload.objects.count() == 0


def test_file_of_unknown_format_is_refused(world, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(CommandError, match="cannot tell the format; pass --format"):
        _import(path, mission="mission-a")


def test_missing_file_is_refused(world, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        _import(tmp_path / "absent.json", mission="mission-a")


def test_format_option_overrides_the_extension(world, tmp_path):
    path = tmp_path / "export.txt"
    path.write_bytes(CSV)
    out, _ = _import(path, mission="mission-a", format="csv")
    assert "3 observations" in out


# --- profiles, constants and the dry run (issue 15) ---------------------------------------


def test_dry_run_prints_what_would_be_stored_and_stores_nothing(world):
    patrol_world(world)
    with pytest.raises(CommandError, match=r"1 file\(s\) would be rejected; nothing was stored"):
        out, _ = _import(PATROLS, mission="mission-a", profile=str(PATROLS_PROFILE), dry_run=True)
    assert InboundPayload.objects.count() == Observation.objects.count() == 0


def test_dry_run_text_lists_problems_rows_and_figures(world, capsys):
    patrol_world(world)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_reports",
            str(PATROLS),
            mission="mission-a",
            profile=str(PATROLS_PROFILE),
            dry_run=True,
            stdout=out,
        )
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        f"{PATROLS}: would be rejected: 2 row(s) with problems; nothing is stored until every "
        "one is fixed (dry run: nothing was stored)"
    )
    assert "  rows read 7; valid 5; with problems 2; blank rows skipped 1" in lines
    assert '    row 8, kind: "rumour" is not one of violation, compliance, incident, ' in "\n".join(
        lines
    )
    assert "  by kind: Violation 3; Incident 1; Information 1" in lines
    assert "  by party: East 2; West 1; unattributed 1; Unknown militia (unknown actor) 1" in lines
    assert "    Patrol note -> kept as attribute Patrol note" in lines


def test_dry_run_as_json(world, tmp_path):
    patrol_world(world)
    path = tmp_path / "patrols.csv"
    path.write_bytes(clean_patrols())

    out, _ = _import(
        path, mission="mission-a", profile=str(PATROLS_PROFILE), dry_run=True, json=True
    )

    (preview,) = json.loads(out)
    assert preview["file"] == str(path)
    assert preview["accepted"] is True
    assert preview["totals"]["would_store"] == 5
    assert preview["profile"] == "preview_patrols"
    assert InboundPayload.objects.count() == 0


def test_import_with_a_profile_file_and_constants(world, tmp_path):
    patrol_world(world)
    path = tmp_path / "patrols.csv"
    path.write_bytes(clean_patrols())

    out, _ = _import(
        path,
        mission="mission-a",
        agreement="test-ceasefire",
        profile=str(PATROLS_PROFILE),
        set=["verification_status=corroborated", "source=patrol log"],
    )

    payload = InboundPayload.objects.get()
    assert payload.state == InboundPayload.State.DONE, payload.errors
    assert payload.params["profile"] == "preview_patrols"
    assert payload.params["profile_spec"]["set"] == {
        "verification_status": "corroborated",
        "source": "patrol log",
    }
    assert payload.params["profile_spec"]["columns"]["Shells"] == "quantity"
    observations = Observation.objects.filter(report=payload.report)
    assert observations.count() == 5
    assert set(observations.values_list("verification_status", "source")) == {
        ("corroborated", "patrol log")
    }
    assert out.strip() == f"{path}: 5 observations, report {payload.report_id}"


def test_sheet_option_reads_that_sheet(world, tmp_path):
    path = tmp_path / "inspections.xlsx"
    path.write_bytes(inspections_workbook())
    profile = tmp_path / "inspections.yaml"
    profile.write_text(INSPECTIONS_PROFILE.replace("sheet: Inspections\n", ""))
    out = io.StringIO()

    with pytest.raises(CommandError, match="would be rejected"):  # its sighting is no kind
        call_command(
            "import_reports",
            str(path),
            mission="mission-a",
            profile=str(profile),
            sheet="Inspections",
            dry_run=True,
            json=True,
            stdout=out,
        )

    (preview,) = json.loads(out.getvalue())
    assert (preview["sheet"], preview["totals"]["rows_read"]) == ("Inspections", 3)
    assert preview["problems"][0]["label"] == "sheet Inspections, row 3"


def test_unknown_profile_is_refused_before_anything_is_stored(world, files):
    with pytest.raises(CommandError, match='--profile nowhere: unknown profile "nowhere"'):
        _import(files / "patrol-7.csv", mission="mission-a", profile="nowhere")
    assert InboundPayload.objects.count() == 0


def test_profile_file_with_a_problem_is_refused(world, files, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns: {Date: when}\n")
    with pytest.raises(CommandError, match='"when" is not a field'):
        _import(files / "patrol-7.csv", mission="mission-a", profile=str(bad))
    assert InboundPayload.objects.count() == 0


def test_a_constant_must_be_field_equals_value(world, files):
    with pytest.raises(CommandError, match="write FIELD=VALUE"):
        _import(files / "patrol-7.csv", mission="mission-a", set=["kind"])
    with pytest.raises(CommandError, match='"colour" is not a field'):
        _import(files / "patrol-7.csv", mission="mission-a", set=["colour=red"])
    assert InboundPayload.objects.count() == 0


def test_json_output_goes_with_a_dry_run(world, files):
    with pytest.raises(CommandError, match="--json goes with --dry-run"):
        _import(files / "patrol-7.csv", mission="mission-a", json=True)
