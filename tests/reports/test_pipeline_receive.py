"""Receiving, claiming, requeueing, retrying and replaying payloads."""

import datetime as dt

import pytest
from django.db import OperationalError
from django.utils import timezone

from reports.ingest import receive
from reports.ingest.claims import payload_claim
from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive, payload_replay, payloads_requeue
from reports.models import (
    Channel,
    InboundPayload,
    Report,
)
from reports.parsers import PARSERS
from tests.reports.pipeline_support import (
    State,
    _body,
    _report,
    _stored,
)

pytestmark = pytest.mark.django_db


# --- receiving and claiming ---------------------------------------------------------------


def test_idempotency_key_returns_the_first_payload(world, observer_a, observer_b):
    first = payload_receive(
        body=b"{}",
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=observer_a,
        idempotency_key="k-1",
    )
    again = payload_receive(
        body=b"{ }",
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=observer_a,
        idempotency_key="k-1",
    )
    other_sender = payload_receive(
        body=b"{}",
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=observer_b,
        idempotency_key="k-1",
    )
    assert first.created and not again.created and other_sender.created
    assert again.payload.pk == first.payload.pk
    assert InboundPayload.objects.count() == 2


def test_payload_is_stored_before_anything_is_parsed(world, observer_a):
    result = payload_receive(
        body=b"not json",
        content_type="text/plain",
        format="json",
        channel=Channel.API,
        sender=observer_a,
    )
    payload = InboundPayload.objects.get(pk=result.payload.pk)
    assert bytes(payload.body) == b"not json"
    assert payload.state == State.RECEIVED and payload.size == 8 and len(payload.sha256) == 64


def test_claim_is_exclusive(world):
    payload = _stored()
    assert payload_claim(payload_id=payload.pk) is True
    assert payload_claim(payload_id=payload.pk) is False
    payload.refresh_from_db()
    assert (payload.state, payload.attempts) == (State.PROCESSING, 1)


def test_expired_claim_can_be_taken_again(world, settings):
    payload = _stored()
    assert payload_claim(payload_id=payload.pk)
    expired = timezone.now() - dt.timedelta(seconds=settings.INGEST_CLAIM_TIMEOUT + 5)
    InboundPayload.objects.filter(pk=payload.pk).update(claimed_at=expired)
    assert payload_claim(payload_id=payload.pk) is True
    payload.refresh_from_db()
    assert payload.attempts == 2 and payload.claimed_at > expired


@pytest.mark.parametrize("state", [State.DONE, State.REJECTED, State.QUARANTINED])
def test_finished_payloads_are_not_claimed(world, state):
    payload = _stored(state=state)
    assert payload_claim(payload_id=payload.pk) is False
    assert payload_ingest(payload_id=payload.pk) == "skipped"


def test_requeue_finds_forgotten_and_abandoned_payloads(world, settings, monkeypatch):
    rung: list[int] = []
    monkeypatch.setattr(receive, "payload_enqueue", lambda *, payload_id: rung.append(payload_id))
    now = timezone.now()
    forgotten = _stored()
    abandoned = _stored(state=State.PROCESSING)
    fresh = _stored()
    working = _stored(state=State.PROCESSING)
    _stored(state=State.DONE)
    old = now - dt.timedelta(seconds=settings.INGEST_REQUEUE_AFTER + 5)
    InboundPayload.objects.filter(pk=forgotten.pk).update(received_at=old)
    InboundPayload.objects.filter(pk=abandoned.pk).update(
        received_at=old, claimed_at=now - dt.timedelta(seconds=settings.INGEST_CLAIM_TIMEOUT + 5)
    )
    InboundPayload.objects.filter(pk=working.pk).update(received_at=old, claimed_at=now)

    assert payloads_requeue() == 2
    assert sorted(rung) == sorted([forgotten.pk, abandoned.pk])
    assert fresh.pk not in rung


def test_requeue_with_no_age_rings_every_waiting_payload_now(world, monkeypatch):
    """``older_than=timedelta(0)`` means now (a zero timedelta is falsy: it once fell back
    to INGEST_REQUEUE_AFTER, and a payload waited a minute after its broker came back)."""
    rung: list[int] = []
    monkeypatch.setattr(receive, "payload_enqueue", lambda *, payload_id: rung.append(payload_id))
    fresh = _stored()

    assert payloads_requeue() == 0
    assert payloads_requeue(older_than=dt.timedelta(0)) == 1
    assert rung == [fresh.pk]


def test_transient_fault_releases_the_claim_for_a_retry(world, observer_a, monkeypatch):
    def flaky(body, params):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setitem(PARSERS, "json", flaky)
    payload = _stored(sender=observer_a)
    with pytest.raises(OperationalError):
        payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    assert (payload.state, payload.claimed_at, payload.attempts) == (State.RECEIVED, None, 1)
    assert payload.last_error == "transient: server closed the connection unexpectedly"


def test_too_many_attempts_quarantine_with_the_last_error_kept(
    world, observer_a, settings, monkeypatch
):
    settings.INGEST_MAX_ATTEMPTS = 2

    def flaky(body, params):
        raise OperationalError("database is locked")

    monkeypatch.setitem(PARSERS, "json", flaky)
    payload = _stored(sender=observer_a)
    for _ in range(2):
        with pytest.raises(OperationalError):
            payload_ingest(payload_id=payload.pk)

    assert payload_ingest(payload_id=payload.pk) == State.QUARANTINED
    payload.refresh_from_db()
    assert payload.state == State.QUARANTINED
    assert payload.last_error == (
        "gave up after 2 attempts; last error: transient: database is locked"
    )
    assert bytes(payload.body) == _body(_report(1))


def test_unexpected_parser_error_quarantines_and_keeps_the_payload(world, observer_a, monkeypatch):
    def broken(body, params):
        raise RuntimeError("parser bug")

    monkeypatch.setitem(PARSERS, "json", broken)
    payload = _stored(sender=observer_a)
    assert payload_ingest(payload_id=payload.pk) == State.QUARANTINED
    payload.refresh_from_db()
    assert payload.state == State.QUARANTINED
    assert payload.last_error == "RuntimeError: parser bug"
    assert InboundPayload.objects.filter(pk=payload.pk).exists()
    assert Report.objects.count() == 0


def test_replayed_quarantined_payload_is_ingested(world, observer_a, monkeypatch):
    payload = _stored(sender=observer_a)
    with monkeypatch.context() as patch:
        patch.setitem(PARSERS, "json", lambda body, params: 1 / 0)
        assert payload_ingest(payload_id=payload.pk) == State.QUARANTINED

    replayed = payload_replay(payload=InboundPayload.objects.get(pk=payload.pk))
    assert (replayed.state, replayed.attempts, replayed.claimed_at) == (State.RECEIVED, 0, None)

    assert payload_ingest(payload_id=payload.pk) == State.DONE
    payload.refresh_from_db()
    assert payload.report.observations.count() == 1


def test_only_quarantined_or_rejected_payloads_are_replayed(world):
    with pytest.raises(ValueError, match="not done"):
        payload_replay(payload=_stored(state=State.DONE))
