"""The report ledger: each mission's accepted reports chained by sha256, verified from scratch."""

import datetime as dt
import hashlib
import importlib
import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from reports import ledger
from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.ledger import (
    GENESIS,
    canonical_bytes,
    ledger_append,
    ledger_backfill,
    ledger_verify,
    report_fields,
)
from reports.models import Channel, Report, ReportStatus, ReportStatusChange
from reports.services import report_set_status
from tests.factories import ObservationFactory, ReportFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 3, 1, 0, 0, tzinfo=dt.UTC)
END = dt.datetime(2025, 3, 1, 23, 59, tzinfo=dt.UTC)


def _document(external_id: str, count: int = 3, clause: str = "1", **overrides) -> dict:
    return {
        "format": "accord-monitor/report/v1",
        "mission": "mission-a",
        "external_id": external_id,
        "agreement": "test-ceasefire",
        "period": {"start": START.isoformat(), "end": END.isoformat()},
        "title": "Daily report",
        "observations": [
            {
                "kind": "violation",
                "clause": clause,
                "occurred_at": f"2025-03-01T{6 + n:02d}:15:00+02:00",
                "place_name": f"Checkpoint {n}",
                "latitude": 47.1 + n / 1000,
                "longitude": 37.5,
                "quantity": n,
                "description": f"Shelling heard, {n}",
                "evidence_urls": [f"https://example.org/{n}.jpg"],
            }
            for n in range(1, count + 1)
        ],
        **overrides,
    }


def accept(sender, external_id: str, **overrides) -> Report:
    """File a JSON report through the ingest pipeline, as the API does."""
    payload = payload_receive(
        body=json.dumps(_document(external_id, **overrides)).encode(),
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=sender,
    ).payload
    assert payload_ingest(payload_id=payload.pk) == "done", payload.last_error
    payload.refresh_from_db()
    return Report.objects.get(pk=payload.report_id)


def verify_command(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_ledger", *args, stdout=out)
    return out.getvalue()


def failing_verify(*args) -> str:
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger", *args, stdout=out)
    assert failure.value.returncode == 1
    return out.getvalue()


@pytest.fixture
def chain(world, observer_a) -> list[Report]:
    return [accept(observer_a, f"A-{n:04d}") for n in range(1, 4)]


# --- chaining -----------------------------------------------------------------------------


def test_accepted_reports_are_chained_in_order_per_mission(chain):
    first, second, third = chain
    assert [r.ledger_seq for r in chain] == [1, 2, 3]
    assert first.ledger_prev_hash == GENESIS
    assert second.ledger_prev_hash == first.ledger_hash
    assert third.ledger_prev_hash == second.ledger_hash
    for report in chain:
        expected = hashlib.sha256(canonical_bytes(report) + report.ledger_prev_hash.encode())
        assert report.ledger_hash == expected.hexdigest()
        assert report.ledger_at is not None


def test_each_mission_has_its_own_chain(chain, world, observer_b):
    other = accept(observer_b, "B-0001", mission="mission-b", clause="2")
    assert other.ledger_seq == 1 and other.ledger_prev_hash == GENESIS


def test_canonical_bytes_are_sorted_compact_json_with_utc_times(chain):
    report = chain[0]
    data = json.loads(canonical_bytes(report))
    expected = {**report_fields(report), "observations": data["observations"]}
    compact = json.dumps(
        ledger._plain(expected), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert canonical_bytes(report) == compact.encode("utf-8")
    assert canonical_bytes(Report.objects.get(pk=report.pk)) == canonical_bytes(report)
    assert data["mission"] == "mission-a" and data["filed_by"] == "observer_a"
    assert data["period_start"] == "2025-03-01T00:00:00.000000Z"
    first = data["observations"][0]
    assert first["occurred_at"] == "2025-03-01T05:15:00.000000Z"  # +02:00 turned to UTC
    assert (first["latitude"], first["longitude"]) == ("47.101", "37.5")
    assert (first["agreement"], first["clause"], first["sequence"]) == ("test-ceasefire", "1", 1)
    assert [o["sequence"] for o in data["observations"]] == [1, 2, 3]


@pytest.mark.parametrize(
    "values",
    [
        {},
        {
            "description": 'Quote " backslash \\ tab \t newline \n NUL-ish \x01 é Ж 😀',
            "occurred_at": dt.datetime(
                2025, 3, 1, 8, 5, 9, 1234, tzinfo=dt.timezone(dt.timedelta(hours=3))
            ),
            "latitude": -0.000012,
            "longitude": 180.0,
            "attributes": {"z": 1.5, "a": [None, True, "x", {"k": 2}], "n": 10**20},
            "evidence_urls": ["https://example.org/ä.jpg"],
            "quantity": None,
            "area": None,
        },
    ],
)
def test_the_fast_observation_encoder_writes_what_json_dumps_writes(values):
    row = {key: f"value of {key}" for key, _ in ledger.OBSERVATION_FIELDS}
    row.update(sequence=3, severity=2, information_credibility=6, quantity=12)
    row.update(occurred_at=START, latitude=47.25, longitude=37.0)
    row.update(attributes={}, evidence_urls=[])
    row.update(values)
    # The fields added later are left out when not set, so older reports keep their hash.
    unset = {"actor": "", "amount": None, "unit": "", "to_place_name": "", "to_latitude": None}
    cells = tuple({**unset, "to_longitude": None, **row}[key] for key in ledger._OBSERVATION_KEYS)
    assert ledger.observation_json(cells) == ledger._dump(row)


def test_fields_added_later_are_hashed_when_set():
    from decimal import Decimal

    row = {key: f"value of {key}" for key, _ in ledger.OBSERVATION_FIELDS}
    row.update(sequence=1, severity=2, information_credibility=6, quantity=None)
    row.update(occurred_at=START, latitude=47.25, longitude=37.0, attributes={}, evidence_urls=[])
    added = {"actor": "Forces of Ukraine", "amount": Decimal("12.500000"), "unit": "t"}
    added.update(to_place_name="Istanbul", to_latitude=41.0, to_longitude=29.0)
    cells = tuple({**row, **added}[key] for key in ledger._OBSERVATION_KEYS)
    expected = {**row, **added, "amount": "12.500000"}
    assert ledger.observation_json(cells) == ledger._dump(expected)


def test_streaming_in_small_chunks_gives_the_same_hash(chain, monkeypatch):
    report = chain[1]
    monkeypatch.setattr(ledger, "CHUNK_SIZE", 1)
    assert ledger.link_hash(report, report.ledger_prev_hash) == report.ledger_hash


def test_correction_appends_a_link_naming_the_superseded_one(chain, observer_a):
    original = chain[0]
    correction = accept(observer_a, original.external_id, count=4)
    original.refresh_from_db()
    assert original.status == ReportStatus.SUPERSEDED
    assert (correction.revision, correction.ledger_seq) == (2, 4)
    assert correction.ledger_prev_hash == chain[2].ledger_hash
    assert json.loads(canonical_bytes(correction))["supersedes"] == original.ledger_hash
    # superseding changed the status only: the earlier link and its hash stand
    assert (original.ledger_seq, original.ledger_hash) == (1, chain[0].ledger_hash)
    assert ledger_verify() == []


def test_accepting_through_the_status_service_chains_the_report(world, observer_a):
    report = ReportFactory(mission=world.mission_a, status=ReportStatus.SUBMITTED)
    ObservationFactory(report=report, clause=world.clause_a)
    report_set_status(report=report, status=ReportStatus.ACCEPTED, by=observer_a)
    report.refresh_from_db()
    assert (report.ledger_seq, report.ledger_prev_hash) == (1, GENESIS)
    ledger_append(report=report)  # a second call never rewrites a link
    assert Report.objects.get(pk=report.pk).ledger_hash == report.ledger_hash
    assert ledger_verify(world.mission_a) == []


def test_a_rejected_report_is_not_chained(world, observer_a):
    report = ReportFactory(mission=world.mission_a, status=ReportStatus.SUBMITTED)
    report_set_status(report=report, status=ReportStatus.REJECTED, by=observer_a)
    report.refresh_from_db()
    assert report.ledger_seq is None and report.ledger_hash is None


def test_the_database_refuses_two_links_with_one_sequence_number(chain):
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.filter(pk=chain[2].pk).update(ledger_seq=chain[1].ledger_seq)


def test_the_database_refuses_a_half_written_link(chain):
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.filter(pk=chain[2].pk).update(ledger_hash=None)


# --- verifying ----------------------------------------------------------------------------


def test_verify_ledger_reports_each_mission_ok_with_its_link_count(chain, world):
    out = verify_command()
    assert "OK mission-a: 3 link(s)" in out
    assert "OK mission-b: 0 link(s)" in out
    assert verify_command("--mission", "mission-a").strip() == "OK mission-a: 3 link(s)"
    assert ledger_verify() == []


def test_verify_ledger_names_the_report_whose_observation_was_altered_in_the_database(chain):
    tampered = chain[1]
    observation = tampered.observations.order_by("sequence").last()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reports_observation SET quantity = 40 WHERE id = %s",
            [observation.pk],
        )
    out = failing_verify()
    assert "MISMATCH mission-a: report A-0002 r1" in out
    assert f"id {tampered.pk}, seq 2" in out and "content broken" in out
    assert f"stored {tampered.ledger_hash}" in out
    (problem,) = ledger_verify()
    assert (problem.report_id, problem.broken, problem.stored) == (
        tampered.pk,
        "content",
        tampered.ledger_hash,
    )
    assert problem.expected != problem.stored


def test_verify_ledger_names_the_report_whose_field_was_altered(chain):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reports_report SET summary = 'nothing happened' WHERE id = %s",
            [chain[0].pk],
        )
    out = failing_verify("--mission", "mission-a")
    assert "report A-0001 r1" in out and "content broken" in out


def test_verify_ledger_names_the_report_that_lost_an_observation(chain):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM reports_observation WHERE id = %s",
            [chain[2].observations.first().pk],
        )
    assert "report A-0003 r1" in failing_verify()


def test_verify_ledger_notices_a_whole_link_removed(chain):
    removed = chain[1]
    removed.payloads.update(report=None)
    Report.objects.filter(pk=removed.pk).delete()
    out = failing_verify()
    assert "report A-0003 r1" in out and "link broken" in out
    assert "link 2 is missing" in out


def test_verify_ledger_notices_a_relinked_chain(chain):
    Report.objects.filter(pk=chain[2].pk).update(ledger_prev_hash="0" * 64)
    (problem,) = ledger_verify()
    assert (problem.external_id, problem.broken) == ("A-0003", "link")
    assert (problem.expected, problem.stored) == (chain[1].ledger_hash, "0" * 64)


def test_verify_ledger_notices_an_accepted_report_outside_the_ledger(chain, world):
    ReportFactory(mission=world.mission_a, external_id="A-SNEAKED", status=ReportStatus.ACCEPTED)
    out = failing_verify()
    assert "report A-SNEAKED r1" in out and "not in the ledger" in out


def test_verify_ledger_refuses_an_unknown_mission(chain):
    with pytest.raises(CommandError, match="No mission"):
        call_command("verify_ledger", "--mission", "nowhere")


# --- reports from before the ledger -------------------------------------------------------


def _accepted_before_the_ledger(world, external_id: str, accepted_at: dt.datetime) -> Report:
    report = ReportFactory(
        mission=world.mission_a,
        external_id=external_id,
        status=ReportStatus.ACCEPTED,
        filed_at=accepted_at,
    )
    ObservationFactory(report=report, clause=world.clause_a, description=external_id)
    change = ReportStatusChange.objects.create(
        report=report, from_status="submitted", to_status="accepted"
    )
    ReportStatusChange.objects.filter(pk=change.pk).update(changed_at=accepted_at)
    return report


def test_the_data_migration_chains_existing_reports_by_acceptance_time(world):
    later = _accepted_before_the_ledger(world, "OLD-2", dt.datetime(2024, 5, 2, tzinfo=dt.UTC))
    earlier = _accepted_before_the_ledger(world, "OLD-1", dt.datetime(2024, 5, 1, tzinfo=dt.UTC))
    assert len(ledger_verify()) == 1  # unchained accepted reports do not verify

    migration = importlib.import_module("reports.migrations.0005_ledger_backfill")
    migration.chain_existing(apps, None)

    earlier.refresh_from_db()
    later.refresh_from_db()
    assert (earlier.ledger_seq, later.ledger_seq) == (1, 2)
    assert later.ledger_prev_hash == earlier.ledger_hash
    assert ledger_verify() == []
    assert ledger_backfill(report_model=Report) == 0  # nothing left to chain


# --- the API ------------------------------------------------------------------------------


def test_the_report_api_shows_the_ledger_fields_read_only(client, chain, world, analyst):
    from django.urls import reverse

    from tests.api.conftest import bearer

    draft = ReportFactory(mission=world.mission_a, external_id="A-DRAFT")
    headers = bearer(analyst)
    accepted = client.get(reverse("api:report-detail", args=[chain[1].pk]), **headers).json()
    assert (accepted["ledger_seq"], accepted["ledger_hash"], accepted["ledger_prev_hash"]) == (
        2,
        chain[1].ledger_hash,
        chain[0].ledger_hash,
    )
    pending = client.get(reverse("api:report-detail", args=[draft.pk]), **headers).json()
    assert (pending["ledger_seq"], pending["ledger_hash"], pending["ledger_prev_hash"]) == (
        None,
        None,
        None,
    )
    listed = client.get(reverse("api:report-submit"), {"mission": "mission-a"}, **headers).json()
    assert {r["ledger_seq"] for r in listed["results"]} == {1, 2, 3, None}
