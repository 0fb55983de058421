"""Every ingest ends in a final state it can write: unsafe error texts, a rejection that
cannot be stored, memory exhaustion and crashing workers (issue 12)."""

import datetime as dt
import json
import os

import pytest
from django.db import DataError, connection
from django.utils import timezone

from reports.ingest import process, receive
from reports.ingest.claims import error_text, payload_claim, payload_leases_renew
from reports.ingest.errors import PayloadRejected
from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_replay
from reports.models import Channel, InboundPayload, Observation, Report
from reports.parsers import PARSERS
from tests.integration.test_ingest_workers import report_body

pytestmark = pytest.mark.django_db
State = InboundPayload.State
BOOT = "b00t"


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("needs PostgreSQL: set DATABASE_URL=postgres://...")
        pytest.skip("PostgreSQL refuses NUL in text; SQLite does not: set DATABASE_URL")


def _stored(sender=None, body: bytes | None = None) -> InboundPayload:
    return InboundPayload.objects.create(
        body=body or report_body("ERR-1", 3),
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=sender,
    )


def _rejecting(message: str):
    def parser(source, params):
        raise PayloadRejected([message])

    return parser


# --- error texts ------------------------------------------------------------------------------


def test_error_text_has_no_nul_and_a_bounded_length():
    assert error_text("a\x00b") == "a\\x00b"
    assert len(error_text("x" * 5000)) == 2000


@pytest.mark.integration
def test_a_rejection_that_echoes_a_nul_ends_rejected_and_can_be_replayed(
    world, observer_a, monkeypatch, postgresql
):
    monkeypatch.setitem(PARSERS, "json", _rejecting('header, mission: unknown mission "a\x00b"'))
    payload = _stored(observer_a)
    assert payload_ingest(payload_id=payload.pk) == State.REJECTED
    payload.refresh_from_db()
    assert payload.state == State.REJECTED
    assert payload.errors == ['header, mission: unknown mission "a\\x00b"']

    monkeypatch.undo()
    payload_replay(payload=payload)
    assert payload_ingest(payload_id=payload.pk) == State.DONE
    assert Observation.objects.count() == 3


@pytest.mark.integration
def test_a_nul_in_a_report_never_leaves_the_payload_processing(world, observer_a, postgresql):
    document = json.loads(report_body("NUL-1", 2))
    document["mission"] = "mission-a\x00"
    document["observations"][0]["clause"] = "test-ceasefire:\x009"
    document["observations"][1]["surprise\x00key"] = 1
    payload = _stored(observer_a, json.dumps(document).encode())
    assert payload_ingest(payload_id=payload.pk) in (State.REJECTED, State.QUARANTINED)
    payload.refresh_from_db()
    assert payload.state in (State.REJECTED, State.QUARANTINED), payload.last_error
    assert "\x00" not in payload.last_error
    payload_replay(payload=payload)  # a final state: it can be replayed
    assert Report.objects.count() == 0


@pytest.mark.integration
def test_an_unexpected_error_with_a_nul_is_quarantined_with_its_text(
    world, observer_a, monkeypatch, postgresql
):
    def broken(source, params):
        raise RuntimeError("bad byte \x00 here")

    monkeypatch.setitem(PARSERS, "json", broken)
    payload = _stored(observer_a)
    assert payload_ingest(payload_id=payload.pk) == State.QUARANTINED
    payload.refresh_from_db()
    assert payload.last_error == "RuntimeError: bad byte \\x00 here"


def test_a_rejection_that_cannot_be_written_is_quarantined_instead(world, observer_a, monkeypatch):
    def refuse(payload, rejected):
        raise DataError("invalid byte sequence")

    monkeypatch.setitem(PARSERS, "json", _rejecting("row 1, kind: unknown"))
    monkeypatch.setattr(process, "_write_rejected", refuse)
    payload = _stored(observer_a)
    assert payload_ingest(payload_id=payload.pk) == State.QUARANTINED
    payload.refresh_from_db()
    assert payload.state == State.QUARANTINED
    assert payload.last_error.startswith("rejected, but the problems could not be stored")


# --- memory -------------------------------------------------------------------------------


def test_running_out_of_memory_quarantines_with_the_reason(world, observer_a, monkeypatch):
    def hungry(source, params):
        raise MemoryError

    monkeypatch.setitem(PARSERS, "json", hungry)
    payload = _stored(observer_a)
    assert payload_ingest(payload_id=payload.pk) == State.QUARANTINED
    payload.refresh_from_db()
    assert "ran out of memory" in payload.last_error
    assert "INGEST_WORKER_MEMORY_MB" in payload.last_error


# --- leases and crashes -------------------------------------------------------------------


def _lapse(payload: InboundPayload) -> None:
    past = timezone.now() - dt.timedelta(seconds=1)
    InboundPayload.objects.filter(pk=payload.pk).update(lease_expires_at=past)


def test_a_lease_lapses_long_before_the_claim_timeout(world, settings):
    settings.INGEST_LEASE_SECONDS, settings.INGEST_CLAIM_TIMEOUT = 30, 1800
    payload = _stored()
    assert payload_claim(payload_id=payload.pk, owner=f"w@h:{BOOT}:1")
    payload.refresh_from_db()
    lease = (payload.lease_expires_at - payload.claimed_at).total_seconds()
    assert lease == 30
    assert not payload_claim(payload_id=payload.pk, owner=f"w@h:{BOOT}:2")
    _lapse(payload)
    assert payload_claim(payload_id=payload.pk, owner=f"w@h:{BOOT}:2")
    payload.refresh_from_db()
    assert (payload.claimed_by, payload.attempts, payload.crashes) == (f"w@h:{BOOT}:2", 2, 1)


def test_a_claim_nobody_renews_lasts_the_claim_timeout(world, settings):
    settings.INGEST_CLAIM_TIMEOUT = 1800
    payload = _stored()
    assert payload_claim(payload_id=payload.pk)  # a command or the web process
    payload.refresh_from_db()
    assert (payload.lease_expires_at - payload.claimed_at).total_seconds() == 1800


def test_the_heartbeat_renews_the_leases_of_live_processes_only(world, settings):
    settings.INGEST_LEASE_SECONDS = 30
    live, dead, other = _stored(), _stored(), _stored()
    payload_claim(payload_id=live.pk, owner=f"w@h:{BOOT}:{os.getpid()}")
    payload_claim(payload_id=dead.pk, owner=f"w@h:{BOOT}:999999999")
    payload_claim(payload_id=other.pk, owner=f"v@h:{BOOT}:{os.getpid()}")
    for payload in (live, dead, other):
        _lapse(payload)

    assert payload_leases_renew(worker="w@h", boot=BOOT) == 1
    now = timezone.now()
    assert InboundPayload.objects.get(pk=live.pk).lease_expires_at > now
    assert InboundPayload.objects.get(pk=dead.pk).lease_expires_at < now
    assert InboundPayload.objects.get(pk=other.pk).lease_expires_at < now


def test_the_sweep_rings_for_a_lapsed_lease(world, monkeypatch):
    rung: list[int] = []
    monkeypatch.setattr(receive, "payload_enqueue", lambda *, payload_id: rung.append(payload_id))
    held, lapsed = _stored(), _stored()
    for payload in (held, lapsed):
        payload_claim(payload_id=payload.pk, owner=f"w@h:{BOOT}:1")
    _lapse(lapsed)
    assert receive.payloads_requeue() == 1
    assert rung == [lapsed.pk]


def test_a_payload_that_keeps_crashing_its_worker_is_quarantined_at_once(
    world, observer_a, settings
):
    settings.INGEST_MAX_CRASHES = 2
    payload = _stored(observer_a)
    for attempt in range(2):  # claimed, then the process died: nothing renews, nothing finishes
        assert payload_claim(payload_id=payload.pk, owner=f"w@h:{BOOT}:{attempt}")
        _lapse(payload)

    assert payload_ingest(payload_id=payload.pk, owner=f"w@h:{BOOT}:3") == State.QUARANTINED
    payload.refresh_from_db()
    assert payload.crashes == 2
    assert payload.last_error.startswith("the worker stopped 2 times while processing")
    assert Report.objects.count() == 0

    payload_replay(payload=payload)
    payload.refresh_from_db()
    assert (payload.crashes, payload.claimed_by, payload.lease_expires_at) == (0, "", None)


def test_a_transient_fault_is_not_counted_as_a_crash(world, observer_a, monkeypatch):
    from django.db import OperationalError

    def flaky(source, params):
        raise OperationalError("server closed the connection")

    monkeypatch.setitem(PARSERS, "json", flaky)
    payload = _stored(observer_a)
    for _ in range(3):
        with pytest.raises(OperationalError):
            payload_ingest(payload_id=payload.pk, owner=f"w@h:{BOOT}:1")
    payload.refresh_from_db()
    assert (payload.state, payload.crashes, payload.attempts) == (State.RECEIVED, 0, 3)
