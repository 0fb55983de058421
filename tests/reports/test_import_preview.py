"""reports.ingest.preview: the ingest's parser and row checks, run without storing anything."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.ingest.preview import constants_parse, preview_file
from reports.models import (
    ImportProfile,
    InboundPayload,
    Observation,
    Report,
    ReportStatusChange,
)
from reports.profiles.registry import profile_from_file, profile_params
from reports.profiles.spec import ProfileProblem, from_yaml
from tests.factories import ReportFactory
from tests.reports.preview_support import (
    INSPECTIONS_PROFILE,
    PATROLS,
    PATROLS_PROFILE,
    clean_patrols,
    inspections_workbook,
    patrol_world,
)

pytestmark = pytest.mark.django_db


def _params(spec=None, **extra) -> dict:
    base = {"mission": "mission-a", "external_id": "patrols", "agreement": "test-ceasefire"}
    return profile_params({**base, **extra}, spec)


def _preview(world, body: bytes, *, fmt: str = "csv", spec=None, **kwargs):
    spec = spec if spec is not None else profile_from_file(PATROLS_PROFILE)
    return preview_file(
        body=body, format=fmt, params=_params(spec), mission=world.mission_a, **kwargs
    )


def _stored() -> tuple[int, int, int, int]:
    return (
        InboundPayload.objects.count(),
        Report.objects.count(),
        Observation.objects.count(),
        ReportStatusChange.objects.count(),
    )


def _figure(preview, name: str) -> dict[str, int]:
    return {entry["label"]: entry["count"] for entry in preview.figures[name]}


def test_csv_preview_counts_every_row_and_lists_each_problem_by_row(world):
    patrol_world(world)

    preview = _preview(world, PATROLS.read_bytes())

    assert (preview.rows_read, preview.valid, preview.with_problems) == (7, 5, 2)
    assert preview.blank_skipped == 1
    assert not preview.accepted and preview.would_store == 0
    assert preview.outcome.startswith("would be rejected: 2 row(s) with problems")
    assert [(p.label, p.field) for p in preview.problems] == [
        ("row 8", "kind"),
        ("row 9", "occurred_at"),
    ]
    assert preview.problems[0].text == (
        'row 8, kind: "rumour" is not one of violation, compliance, incident, '
        "access_restricted, information"
    )
    assert _stored() == (0, 0, 0, 0)


def test_figures_are_those_the_valid_rows_would_store(world):
    patrol_world(world)

    preview = _preview(world, clean_patrols())

    assert preview.accepted and preview.would_store == 5
    assert _figure(preview, "kind") == {"Violation": 3, "Incident": 1, "Information": 1}
    assert _figure(preview, "clause") == {"test-ceasefire clause 1: Ceasefire": 3, "no clause": 2}
    assert preview.figures["party"] == [
        {"label": "East", "count": 2},
        {"label": "West", "count": 1},
        {"label": "unattributed", "count": 1},
        {"label": "Unknown militia", "count": 1, "unknown_actor": True},
    ]
    # Counted on the day in Kyiv: January's late entry, three in March, one in April.
    assert _figure(preview, "month") == {"2025-01": 1, "2025-03": 3, "2025-04": 1}
    assert _figure(preview, "admin_area") == {
        "Alpha oblast": 3,
        "Beta oblast": 1,
        "not given": 1,
    }
    # The clause is in force from 15 January: the entry of the 10th is outside its period.
    assert _figure(preview, "flags") == {
        "outside the clause's period": 1,
        "outside the clause's areas": 0,
        "coordinates in another admin area than the one named": 0,
    }


def test_sample_rows_show_names_and_each_time_as_read_and_stored(world):
    patrol_world(world)

    preview = _preview(world, clean_patrols(), sample=2)

    first, second = preview.sample
    assert first["label"] == "row 2"
    assert (first["kind"], first["clause"], first["party"]) == (
        "Violation",
        "test-ceasefire clause 1: Ceasefire",
        "East",
    )
    assert (first["raw"], first["occurred_at_utc"], first["occurred_at_local"]) == (
        "2025-03-01 09:30",
        "2025-03-01T07:30:00+00:00",
        "2025-03-01T09:30:00+02:00",
    )
    assert (first["zone"], first["occurred_on"], first["quantity"]) == (
        "Europe/Kyiv",
        "2025-03-01",
        12,
    )
    assert first["attributes"] == {"Patrol note": "P-7"}
    assert (second["party"], second["actor"], second["unknown_actor"]) == (
        "",
        "Unknown militia",
        True,
    )
    # One conversion per offset met: winter time, then summer time from 30 March.
    assert [(c["label"], c["occurred_at_local"]) for c in preview.conversions] == [
        ("row 2", "2025-03-01T09:30:00+02:00"),
        ("row 6", "2025-04-05T10:00:00+03:00"),
    ]


def test_preview_is_json_and_names_the_columns_kept_as_attributes(world):
    patrol_world(world)

    data = json.loads(json.dumps(_preview(world, clean_patrols()).as_dict()))

    assert data["totals"] == {
        "rows_read": 5,
        "valid": 5,
        "with_problems": 0,
        "blank_skipped": 1,
        "would_store": 5,
    }
    kept = {c["header"] for c in data["columns"] if c["kept_as"] == "attribute"}
    assert kept == {"Patrol note"}
    assert {"occurred_at", "kind", "party"} <= {
        c["field"] for c in data["columns"] if c["kept_as"] == "field"
    }


def test_xlsx_preview_reads_the_profile_sheet_and_names_it_in_each_problem(world):
    spec = from_yaml(INSPECTIONS_PROFILE, code="inspections")

    preview = _preview(world, inspections_workbook(), fmt="xlsx", spec=spec)

    assert preview.sheet == "Inspections"
    assert (preview.rows_read, preview.valid, preview.with_problems) == (3, 2, 1)
    assert preview.blank_skipped == 1
    assert [p.text for p in preview.problems] == [
        'sheet Inspections, row 3, kind: "sighting" is not one of violation, compliance, '
        "incident, access_restricted, information"
    ]
    assert [(r["amount"], r["unit"]) for r in preview.sample] == [("12.5", "t"), ("40.25", "t")]
    assert _figure(preview, "kind") == {"Incident": 1, "Information": 1}
    assert _stored() == (0, 0, 0, 0)


def test_a_preview_costs_the_same_queries_for_three_rows_or_thirty(world):
    patrol_world(world)
    header, *rows = [r for r in clean_patrols().splitlines(keepends=True) if r.strip()]
    short, long = header + b"".join(rows[:3]), header + b"".join(rows[:3] * 10)

    with CaptureQueriesContext(connection) as few:
        assert _preview(world, short).valid == 3
    with CaptureQueriesContext(connection) as many:
        assert _preview(world, long).valid == 30

    assert len(many) == len(few)
    assert not [
        q
        for q in many.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_a_payload_over_the_row_limit_is_refused_as_the_ingest_refuses_it(world, settings):
    patrol_world(world)
    settings.INGEST_MAX_ROWS = 3

    preview = _preview(world, clean_patrols())

    assert not preview.accepted
    assert preview.refusal == [
        "file: the file has more than 3 data rows (the limit is set by INGEST_MAX_ROWS)"
    ]


def test_a_body_over_the_size_limit_is_refused_unread(world, settings):
    settings.INGEST_MAX_BODY_BYTES = 1024

    preview = _preview(world, b"x" * 2048)

    assert preview.refusal == [
        "file: the body is 2,048 bytes; the limit is 1,024 (INGEST_MAX_BODY_BYTES)"
    ]
    assert preview.rows_read == 0


def test_header_problems_refuse_the_file(world):
    params = {"mission": "mission-a"}  # no report id

    preview = preview_file(
        body=clean_patrols(), format="csv", params=params, mission=world.mission_a
    )

    assert preview.refusal == ["header, external_id: is required"]


def test_a_file_without_rows_is_refused_as_the_ingest_refuses_it(world):
    preview = _preview(world, b"Date,Type\n")

    assert preview.refusal == ["file: the report has no observations"]


def test_reimporting_a_filed_report_says_it_files_a_correction(world):
    patrol_world(world)
    ReportFactory(mission=world.mission_a, external_id="patrols", status="accepted")

    preview = _preview(world, clean_patrols())

    assert preview.notes == [
        'report "patrols" is already filed (revision 1): confirming files a correction of '
        "it, or changes nothing if the content is the same"
    ]


def test_unknown_actors_are_listed_with_their_counts(world):
    patrol_world(world)
    body = b"Date,Type,Actor\n" + b"".join(
        f"2025-03-0{1 + n % 3} 10:00,incident,{name}\n".encode()
        for n, name in enumerate(["Band X", "Band Y", "Band X", "East", "Band X"])
    )

    preview = _preview(world, body)

    unknown = [e for e in preview.figures["party"] if e.get("unknown_actor")]
    assert unknown == [
        {"label": "Band X", "count": 3, "unknown_actor": True},
        {"label": "Band Y", "count": 1, "unknown_actor": True},
    ]


def test_progress_is_reported_in_rows(world):
    patrol_world(world)
    seen: list[int] = []

    _preview(world, clean_patrols(), progress=seen.append)

    assert sum(seen) == 5


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["kind=violation", " clause = 1 "], {"kind": "violation", "clause": "1"}),
        ({"kind": "incident"}, {"kind": "incident"}),
        (["grade=B2=x"], {"grade": "B2=x"}),
    ],
)
def test_constants_are_read_from_pairs_or_a_mapping(given, expected):
    assert constants_parse(given) == expected


def test_a_constant_without_a_value_says_how_to_write_one():
    with pytest.raises(ProfileProblem, match="write FIELD=VALUE"):
        constants_parse(["kind"])


# --- the upload API's dry run and profiles ------------------------------------------------

UPLOAD = "/api/v1/reports/upload"


def _upload(client, body: bytes, name: str = "patrols.csv", **fields):
    data = {"file": SimpleUploadedFile(name, body), "mission": "mission-a", **fields}
    return client.post(UPLOAD, data)


def _stored_profile() -> ImportProfile:
    return ImportProfile.objects.create(
        code="patrol-log", name="Patrol log", definition=PATROLS_PROFILE.read_text()
    )


def test_api_dry_run_answers_the_preview_and_stores_nothing(client_for, observer_a, world):
    patrol_world(world)
    _stored_profile()

    response = _upload(
        client_for(observer_a), PATROLS.read_bytes(), profile="patrol-log", dry_run="true"
    )

    assert response.status_code == 200
    data = response.json()
    assert data["profile"] == "patrol-log"
    assert data["accepted"] is False
    assert data["totals"] == {
        "rows_read": 7,
        "valid": 5,
        "with_problems": 2,
        "blank_skipped": 1,
        "would_store": 0,
    }
    assert [p["label"] for p in data["problems"]] == ["row 8", "row 9"]
    assert _stored() == (0, 0, 0, 0)


def test_api_upload_keeps_the_profile_and_constants_with_the_payload(
    client_for, observer_a, world, django_capture_on_commit_callbacks
):
    patrol_world(world)
    _stored_profile()

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(
            client_for(observer_a),
            clean_patrols(),
            profile="patrol-log",
            set=["verification_status=confirmed", "source=patrol"],
            agreement="test-ceasefire",
        )

    assert response.status_code == 202
    payload = InboundPayload.objects.get()
    assert payload.state == InboundPayload.State.DONE, payload.errors
    assert payload.params["profile"] == "patrol-log"
    assert payload.params["profile_spec"]["set"] == {
        "verification_status": "confirmed",
        "source": "patrol",
    }
    assert "dry_run" not in payload.params and "set" not in payload.params
    assert payload.report.observations.count() == 5


def test_api_constants_may_be_one_json_object(client_for, observer_a, world):
    patrol_world(world)
    _stored_profile()

    response = _upload(
        client_for(observer_a),
        clean_patrols(),
        profile="patrol-log",
        set='{"verification_status": "confirmed"}',
        sheet="Patrols",
        timezone="Europe/Kyiv",
        dry_run="true",
    )

    assert response.status_code == 200
    assert InboundPayload.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"profile": "nowhere"}, 'unknown profile "nowhere"'),
        ({"set": "colour=red"}, '"colour" is not a field'),
        ({"set": "kind"}, "write FIELD=VALUE"),
        ({"timezone": "Mars/Olympus"}, 'unknown time zone "Mars/Olympus"'),
    ],
)
def test_api_profile_problems_answer_400_with_the_message(
    client_for, observer_a, world, fields, message
):
    response = _upload(client_for(observer_a), clean_patrols(), **fields)

    assert response.status_code == 400
    assert message in str(response.json()["error"])
    assert InboundPayload.objects.count() == 0


def test_api_profile_is_a_name_never_a_server_path(client_for, observer_a, world):
    response = _upload(client_for(observer_a), clean_patrols(), profile=str(PATROLS_PROFILE))

    assert response.status_code == 400
    assert InboundPayload.objects.count() == 0


def test_api_profile_of_another_mission_is_refused(client_for, observer_a, world):
    ImportProfile.objects.create(
        code="bravo-log", name="Bravo", mission=world.mission_b, definition="{}"
    )

    response = _upload(client_for(observer_a), clean_patrols(), profile="bravo-log")

    assert response.status_code == 400
    assert "belongs to another mission" in response.json()["error"]["message"]


def test_api_dry_run_for_another_mission_is_refused(client_for, observer_a, world):
    response = _upload(client_for(observer_a), clean_patrols(), mission="mission-b", dry_run="1")

    assert response.status_code == 403


def test_rows_without_their_clause_are_told_where_to_give_one_for_the_whole_file(world):
    from reports.ingest.preview import CLAUSE_HINT

    body = b"kind,occurred_at\nviolation,2025-03-01T10:00:00Z\nviolation,2025-03-01T11:00:00Z\n"
    params = {"mission": world.mission_a.code, "external_id": "x", "agreement": "test-ceasefire"}
    preview = preview_file(body=body, format="csv", params=params, mission=world.mission_a)
    assert not preview.accepted
    assert [p.field for p in preview.problems] == ["clause", "clause"]
    assert CLAUSE_HINT in preview.notes
    clean = preview_file(
        body=body.replace(b"kind,", b"clause,kind,").replace(b"\nviolation", b"\n1,violation"),
        format="csv",
        params=params,
        mission=world.mission_a,
    )
    assert clean.accepted and CLAUSE_HINT not in clean.notes
