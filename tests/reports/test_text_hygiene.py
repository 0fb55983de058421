"""Text hygiene and future dates (issue 12): control characters are a row error naming the
row and field, never a raw database error; a date beyond the tolerance is a row error."""

import datetime as dt
import json

import pytest
import time_machine

from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.ingest.rows import RowContext, RowError, validate_row
from reports.models import Channel, InboundPayload, Observation
from reports.parsers.text import control_character, printable
from tests.fuzz import corpus

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def ctx(world):
    return RowContext.load(mission=world.mission_a, agreement_code=None, tz=dt.UTC)


def _error(row: dict, ctx: RowContext) -> str:
    with pytest.raises(RowError) as caught:
        validate_row({"kind": "incident", "occurred_at": "2025-03-01T09:00:00", **row}, ctx)
    return str(caught.value)


@pytest.mark.parametrize(
    "text, expected",
    [("a\x00b", "U+0000"), ("a\x1bb", "U+001B"), ("a\x7fb", "U+007F"), ("a\ud800", "U+D800")],
)
def test_control_character_is_found(text, expected):
    assert expected in control_character(text)


@pytest.mark.parametrize("text", ["plain", "tab\tand\r\nnew lines", "Straße", "شارع", "🙂"])
def test_ordinary_text_has_no_control_character(text):
    assert control_character(text) is None


def test_printable_escapes_control_characters_for_messages():
    assert printable("a\x00b\x1b") == "a\\x00b\\x1b"
    assert printable("kept\ttab") == "kept\ttab"


@pytest.mark.parametrize(
    "row, field",
    [
        ({"description": "shel\x00ling"}, "description"),
        ({"place_name": "Shyro\x07kyne"}, "place_name"),
        ({"party": "nor\x00th"}, "party"),
        ({"kind": "inci\x00dent"}, "kind"),
        ({"attributes": {"note": "a\x00"}}, "attributes"),
        ({"attributes": {"no\x00te": "a"}}, "attributes"),
        ({"attributes": {"nested": ["ok", {"deep": "\x01"}]}}, "attributes"),
        ({"evidence_urls": ["https://example.org/\x00"]}, "evidence_urls"),
    ],
)
def test_control_character_in_a_value_or_key_is_a_row_error_naming_the_field(ctx, row, field):
    message = _error(row, ctx)
    assert message.startswith(f"{field}: ")
    assert "control character" in message
    assert "\x00" not in message


def test_control_character_in_a_field_name_is_a_row_error_that_does_not_quote_it(ctx):
    message = _error({"no\x00te": "x"}, ctx)
    assert message == "row: a field name contains a control character (U+0000, NUL); remove it"


def test_tabs_and_new_lines_in_a_description_are_kept(ctx):
    row = {"kind": "incident", "occurred_at": "2025-03-01", "description": "a\tb\r\nc"}
    assert "a\tb\r\nc" in validate_row(row, ctx)


@time_machine.travel(NOW, tick=False)
def test_date_beyond_the_future_tolerance_is_a_row_error(ctx):
    message = _error({"occurred_at": "2026-03-03T12:00:01Z"}, ctx)
    assert message.startswith("occurred_at: ")
    assert "INGEST_FUTURE_TOLERANCE_HOURS" in message


@time_machine.travel(NOW, tick=False)
def test_date_within_the_future_tolerance_is_accepted(ctx):
    row = {"kind": "incident", "occurred_at": "2026-03-03T12:00:00Z"}
    assert validate_row(row, ctx)[3] == NOW + dt.timedelta(hours=48)


@time_machine.travel(NOW, tick=False)
def test_future_tolerance_is_a_setting(ctx, settings):
    settings.INGEST_FUTURE_TOLERANCE_HOURS = 0
    assert "in the future" in _error({"occurred_at": "2026-03-01T12:01:00Z"}, ctx)


def _ingest(body: bytes, fmt: str, observer) -> InboundPayload:
    upload = fmt != "json"
    payload = payload_receive(
        body=body,
        content_type="application/octet-stream",
        format=fmt,
        channel=Channel.UPLOAD if upload else Channel.API,
        sender=observer,
        mission=observer.missions.first() if upload else None,
        params={"mission": "mission-a", "external_id": "H-1"} if upload else {},
        filename=f"h.{fmt}" if upload else "",
    ).payload
    payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    return payload


@pytest.mark.parametrize(
    "seed, expected",
    [
        ("nul_json", "row 1, description: contains a control character"),
        ("nul_key_json", "row 1: unknown field(s) kin\\x00d"),
        ("future_json", "row 1, occurred_at: "),
        ("nul_csv", "row 2, description: contains a control character"),
        ("future_csv", "row 2, occurred_at: "),
        ("nul_xlsx", "sheet Sheet, row 2, clause: contains a control character"),
    ],
)
def test_bad_text_or_date_rejects_the_payload_row_by_row(world, observer_a, seed, expected):
    fmt, body = corpus.seeds()[seed]
    payload = _ingest(body, fmt, observer_a)
    assert payload.state == InboundPayload.State.REJECTED, payload.last_error
    assert any(error.startswith(expected) for error in payload.errors), payload.errors
    assert not any("\x00" in error for error in payload.errors)
    assert Observation.objects.count() == 0


def test_nul_in_the_json_header_rejects_the_payload_naming_the_field(world, observer_a):
    body = json.dumps({**corpus.GOOD_JSON, "title": "Daily\x00"}).encode()
    payload = _ingest(body, "json", observer_a)
    assert payload.state == InboundPayload.State.REJECTED, payload.last_error
    assert payload.errors == [
        "file: header, title: contains a control character (U+0000, NUL); remove it"
    ]
