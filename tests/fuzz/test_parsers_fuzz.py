"""Fuzz targets for the JSON, CSV, HXL and XLSX parsers: whatever the bytes, a parser returns
rows or raises its own PayloadProblem, quickly and within a memory bound (issue 12)."""

import time
import tracemalloc

import pytest
from hypothesis import given

from reports.parsers import PayloadProblem, get_parser
from reports.parsers.base import LimitExceeded
from tests.fuzz import corpus
from tests.fuzz.strategies import (
    FUZZ,
    MAX_RSS_BYTES,
    MAX_TRACED_BYTES,
    csv_bodies,
    json_reports,
    mutated,
    rss_bytes,
    sheets,
    traced_peak,
)

# Seeds that must be refused for a limit (with defaults in force), and the setting named.
REFUSED = {
    "deep_json": "INGEST_MAX_DEPTH",
    "long_json_string": "INGEST_MAX_STRING_CHARS",
    "many_keys": "INGEST_MAX_KEYS",
    "wide_csv": "INGEST_MAX_COLUMNS",
    "huge_cell": "INGEST_MAX_STRING_CHARS",
}


@pytest.fixture(autouse=True, scope="module")
def traced():
    tracemalloc.start()
    yield
    tracemalloc.stop()
    assert rss_bytes() < MAX_RSS_BYTES


def _read(fmt: str, body: bytes) -> None:
    """Parse and consume every row; only the parser's own error may come out."""
    try:
        parsed = get_parser(fmt)(body, {})
        for _number, row in parsed.rows:
            assert isinstance(row, dict)
    except PayloadProblem:
        pass


def _bounded(fmt: str, body: bytes) -> None:
    started = time.monotonic()
    peak = traced_peak(lambda: _read(fmt, body))
    assert peak < MAX_TRACED_BYTES, f"{peak:,} bytes traced for a {len(body):,}-byte body"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("name", sorted(corpus.seeds()))
def test_seed_is_read_or_refused_cleanly_within_bounds(name):
    fmt, body = corpus.seeds()[name]
    _bounded(fmt, body)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_seed_is_refused_naming_its_setting(name):
    fmt, body = corpus.seeds()[name]
    with pytest.raises(LimitExceeded, match=REFUSED[name]):
        list(get_parser(fmt)(body, {}).rows)


@FUZZ
@given(body=mutated("json") | json_reports())
def test_json_parser_survives_any_body(body):
    _bounded("json", body)


@FUZZ
@given(body=mutated("csv") | csv_bodies())
def test_csv_parser_survives_any_body(body):
    _bounded("csv", body)


@FUZZ
@given(body=mutated("hxl") | csv_bodies(hxl=True))
def test_hxl_parser_survives_any_body(body):
    _bounded("hxl", body)


@FUZZ
@given(body=mutated("xlsx", limit=50_000) | sheets())
def test_xlsx_parser_survives_any_body(body):
    _bounded("xlsx", body)
