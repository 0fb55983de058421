"""The whole ingest on fuzzed payloads: each ends accepted or rejected, never left
``processing``, and a rejected one stores nothing at all (issue 12)."""

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.models import Channel, InboundPayload, Observation, Report
from reports.parsers.text import value_problem
from tests.fuzz import corpus
from tests.fuzz.strategies import EXAMPLES, FUZZ, csv_bodies, json_reports, mutated, sheets

pytestmark = pytest.mark.django_db
State = InboundPayload.State
UPLOAD = {"mission": "mission-a", "external_id": "FUZZ-UPLOAD"}
ENDS = {
    "good_json": "done",
    "good_csv": "done",
    "good_hxl": "done",
    "good_xlsx": "done",
    "lying_dimension": "done",
    "huge_dimension": "done",
    "far_cell": "done",
    "deep_json": "INGEST_MAX_DEPTH",
    "deep_attributes": "INGEST_MAX_DEPTH",
    "long_json_string": "INGEST_MAX_STRING_CHARS",
    "many_keys": "INGEST_MAX_KEYS",
    "wide_csv": "INGEST_MAX_COLUMNS",
    "huge_cell": "INGEST_MAX_STRING_CHARS",
    "nul_json": "control character",
    "nul_key_json": "unknown field(s) kin\\x00d",
    "nul_csv": "control character",
    "nul_xlsx": "control character",
    "future_json": "INGEST_FUTURE_TOLERANCE_HOURS",
    "future_csv": "INGEST_FUTURE_TOLERANCE_HOURS",
}
PAYLOADS = st.one_of(
    st.tuples(st.just("json"), mutated("json", limit=100_000) | json_reports()),
    st.tuples(st.just("csv"), mutated("csv", limit=100_000) | csv_bodies()),
    st.tuples(st.just("hxl"), mutated("hxl", limit=100_000) | csv_bodies(hxl=True)),
    st.tuples(st.just("xlsx"), mutated("xlsx", limit=50_000) | sheets()),
)


def _ingest(fmt: str, body: bytes, sender) -> InboundPayload:
    upload = fmt != "json"
    payload = payload_receive(
        body=body,
        content_type="application/octet-stream",
        format=fmt,
        channel=Channel.UPLOAD if upload else Channel.API,
        sender=sender,
        mission=sender.missions.first() if upload else None,
        params=UPLOAD if upload else {},
        filename=f"fuzz.{fmt}" if upload else "",
    ).payload
    payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    return payload


def _assert_all_or_nothing(payload: InboundPayload) -> None:
    assert payload.state in (State.DONE, State.REJECTED), (payload.state, payload.last_error)
    assert not value_problem(payload.errors), "an error quotes a character it refuses"
    if payload.state == State.REJECTED:
        assert payload.report is None and payload.errors
        assert not Report.objects.exists()
        assert not Observation.objects.exists()
    else:
        stored = Observation.objects.filter(report=payload.report).count()
        assert stored == payload.result["observations"] > 0


def test_every_seed_has_an_expected_end():
    assert set(ENDS) == set(corpus.seeds())


@pytest.mark.parametrize("name", sorted(ENDS))
def test_seed_ends_as_expected_and_all_or_nothing(world, observer_a, name):
    fmt, body = corpus.seeds()[name]
    payload = _ingest(fmt, body, observer_a)
    _assert_all_or_nothing(payload)
    if ENDS[name] == "done":
        assert payload.state == State.DONE
    else:
        assert any(ENDS[name] in error for error in payload.errors), payload.errors


@FUZZ.__class__(FUZZ, max_examples=max(5, EXAMPLES // 2))
@given(payload=PAYLOADS)
def test_fuzzed_payload_is_accepted_or_rejected_whole(world, observer_a, payload):
    fmt, body = payload
    savepoint = transaction.savepoint()  # each example starts from the same empty tables
    try:
        _assert_all_or_nothing(_ingest(fmt, body, observer_a))
    finally:
        transaction.savepoint_rollback(savepoint)
