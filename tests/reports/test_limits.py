"""Input limits (issue 12): every payload is bounded while it is parsed, and a breach is a
clear rejection naming the limit and its setting, before the memory is spent."""

import io
import time
import tracemalloc
import zipfile

import pytest

from reports.parsers import PayloadProblem
from reports.parsers.base import LimitExceeded
from reports.parsers.csv_profile import parse_csv
from reports.parsers.json_report import parse_json_report
from reports.parsers.xlsx import parse_xlsx
from tests.fuzz import corpus

MB = 1 << 20


def _consume(parsed) -> list:
    return list(parsed.rows)


def _parse(parser, body: bytes) -> list:
    return _consume(parser(body, {}))


def _rejected(parser, body: bytes) -> str:
    with pytest.raises(LimitExceeded) as caught:
        _parse(parser, body)
    return str(caught.value)


def _peak(function) -> tuple[int, float]:
    """Peak traced memory in bytes and seconds taken by ``function()``."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        function()
    except PayloadProblem:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, time.monotonic() - started


# --- JSON ---------------------------------------------------------------------------------


def test_limit_exceeded_is_a_payload_problem_so_the_pipeline_rejects_it():
    assert issubclass(LimitExceeded, PayloadProblem)


def test_json_nested_deeper_than_the_limit_is_refused_naming_the_setting():
    message = _rejected(parse_json_report, corpus.deeply_nested(3000))
    assert "INGEST_MAX_DEPTH" in message
    assert "32" in message
    assert "summary" in message


def test_json_nested_100000_deep_is_refused_fast_with_bounded_memory():
    peak, seconds = _peak(lambda: _parse(parse_json_report, corpus.deeply_nested(100_000)))
    assert seconds < 2
    assert peak < 8 * MB


def test_json_nesting_in_an_observations_attributes_is_refused(settings):
    settings.INGEST_MAX_DEPTH = 8
    message = _rejected(parse_json_report, corpus.nested_attributes(10))
    assert "observation 1" in message
    assert "INGEST_MAX_DEPTH" in message


def test_json_nesting_within_the_limit_is_read(settings):
    settings.INGEST_MAX_DEPTH = 8
    rows = _parse(parse_json_report, corpus.nested_attributes(4))
    assert rows[0][1]["attributes"] == {"a": {"a": {"a": {"a": "x"}}}}


def test_json_object_with_too_many_keys_is_refused(settings):
    settings.INGEST_MAX_KEYS = 100
    message = _rejected(
        parse_json_report, corpus.json_report(summary={f"k{i}": i for i in range(101)})
    )
    assert "INGEST_MAX_KEYS" in message
    assert "summary" in message


def test_json_array_with_too_many_items_is_refused(settings):
    settings.INGEST_MAX_ITEMS = 100
    message = _rejected(parse_json_report, corpus.json_report(evidence=list(range(101))))
    assert "INGEST_MAX_ITEMS" in message


def test_json_report_with_too_many_observations_is_refused_before_any_row(settings):
    settings.INGEST_MAX_ROWS = 3
    observations = corpus.GOOD_JSON["observations"] * 4
    with pytest.raises(LimitExceeded, match="INGEST_MAX_ROWS"):
        parse_json_report(corpus.json_report(observations=observations), {})


def test_json_observations_up_to_the_limit_are_read(settings):
    settings.INGEST_MAX_ROWS = 3
    observations = corpus.GOOD_JSON["observations"] * 3
    assert len(_parse(parse_json_report, corpus.json_report(observations=observations))) == 3


@pytest.mark.parametrize("where", ["title", "key", "attribute"])
def test_json_string_longer_than_the_limit_is_refused(settings, where):
    settings.INGEST_MAX_STRING_CHARS = 1000
    long = "x" * 1001
    observation = {**corpus.GOOD_JSON["observations"][0], "attributes": {"note": long}}
    body = {
        "title": corpus.json_report(title=long),
        "key": corpus.json_report(summary={long: 1}),
        "attribute": corpus.json_report(observations=[observation]),
    }[where]
    assert "INGEST_MAX_STRING_CHARS" in _rejected(parse_json_report, body)


def test_json_string_of_escapes_is_counted_in_characters(settings):
    settings.INGEST_MAX_STRING_CHARS = 1000
    body = corpus.json_report(title="\n" * 1000)  # 2000 bytes on the wire, 1000 characters
    assert parse_json_report(body, {}).header["title"] == "\n" * 1000


def test_json_huge_string_is_refused_before_it_is_held_in_memory(settings):
    settings.INGEST_MAX_STRING_CHARS = 1000
    body = corpus.json_report(title="x" * (20 * MB))
    peak, _ = _peak(lambda: _parse(parse_json_report, body))
    assert peak < 4 * MB


def test_json_unknown_field_with_a_control_character_is_named_safely():
    with pytest.raises(PayloadProblem) as caught:
        parse_json_report(corpus.json_report(**{"ti\x00tle": "x"}), {})
    assert "\x00" not in str(caught.value)
    assert "ti\\x00tle" in str(caught.value)


# --- XLSX ---------------------------------------------------------------------------------


def test_xlsx_sheet_whose_dimension_is_smaller_than_its_data_keeps_every_row():
    rows = [*corpus.GOOD_ROWS, ["incident", "", "2025-03-02"], ["incident", "", "2025-03-03"]]
    body = corpus.with_dimension(corpus.xlsx(rows), "A1")
    assert [number for number, _ in _parse(parse_xlsx, body)] == [2, 3, 4]


def test_xlsx_declaring_the_whole_sheet_is_read_fast():
    body = corpus.with_dimension(corpus.xlsx(corpus.GOOD_ROWS), "A1:XFD1048576")
    started = time.monotonic()
    rows = _parse(parse_xlsx, body)
    assert time.monotonic() - started < 2
    assert [number for number, _ in rows] == [2]


def test_xlsx_rows_are_as_wide_as_their_data_not_the_declared_dimension():
    body = corpus.with_dimension(corpus.xlsx(corpus.GOOD_ROWS), "A1:XFD20")
    cells = []
    parsed = parse_xlsx(body, {})
    for _, row in parsed.rows:
        cells.append(row)
    assert cells == [{"kind": "violation", "clause": "1", "occurred_at": "2025-03-01T09:00:00"}]


def test_xlsx_empty_cell_far_away_costs_nothing():
    started = time.monotonic()
    rows = _parse(parse_xlsx, corpus.far_cell("XFD1048576"))
    assert time.monotonic() - started < 2
    assert [number for number, _ in rows] == [2]


def test_xlsx_cell_longer_than_the_limit_is_refused_naming_the_setting(settings):
    settings.INGEST_MAX_STRING_CHARS = 1000
    message = _rejected(parse_xlsx, corpus.huge_cell(1001))
    assert "INGEST_MAX_STRING_CHARS" in message
    assert "B2" in message


def test_xlsx_huge_cell_is_refused_before_it_is_held_in_memory(settings):
    settings.INGEST_MAX_STRING_CHARS = 1000
    body = corpus.huge_cell(20 * MB)
    peak, _ = _peak(lambda: _parse(parse_xlsx, body))
    assert peak < 8 * MB


def test_xlsx_expanding_beyond_the_limit_is_refused(settings):
    settings.INGEST_MAX_XLSX_EXPANDED_BYTES = 100_000
    message = _rejected(parse_xlsx, corpus.huge_cell(200_000))
    assert "INGEST_MAX_XLSX_EXPANDED_BYTES" in message


def test_xlsx_member_lying_about_its_size_is_stopped_while_decompressing(settings):
    settings.INGEST_MAX_XLSX_EXPANDED_BYTES = 100_000
    body = _understate_sizes(corpus.huge_cell(200_000))
    with pytest.raises(PayloadProblem):
        _parse(parse_xlsx, body)


def test_xlsx_with_too_many_zip_members_is_refused(settings):
    settings.INGEST_MAX_XLSX_MEMBERS = 20
    body = corpus.xlsx(corpus.GOOD_ROWS)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in zipfile.ZipFile(io.BytesIO(body)).infolist():
            target.writestr(item.filename, zipfile.ZipFile(io.BytesIO(body)).read(item))
        for number in range(30):
            target.writestr(f"junk/{number}.bin", b"")
    assert "INGEST_MAX_XLSX_MEMBERS" in _rejected(parse_xlsx, out.getvalue())


def test_xlsx_with_too_many_shared_strings_is_refused(settings):
    settings.INGEST_MAX_XLSX_SHARED_STRINGS = 5
    body = corpus.shared_strings(["violation", *[f"text {i}" for i in range(5)]])
    assert "INGEST_MAX_XLSX_SHARED_STRINGS" in _rejected(parse_xlsx, body)


def test_xlsx_shared_strings_up_to_the_limit_are_read(settings):
    settings.INGEST_MAX_XLSX_SHARED_STRINGS = 5
    body = corpus.shared_strings(["violation", *[f"text {i}" for i in range(4)]])
    assert _parse(parse_xlsx, body)[0][1]["kind"] == "violation"


def test_xlsx_shared_strings_larger_than_the_limit_are_refused(settings):
    settings.INGEST_MAX_XLSX_SHARED_CHARS = 1000
    body = corpus.shared_strings(["violation", *["x" * 600] * 2])
    assert "INGEST_MAX_XLSX_SHARED_CHARS" in _rejected(parse_xlsx, body)


def test_xlsx_with_too_many_rows_is_refused(settings):
    settings.INGEST_MAX_ROWS = 3
    body = corpus.xlsx([corpus.GOOD_ROWS[0], *corpus.GOOD_ROWS[1:] * 4])
    assert "INGEST_MAX_ROWS" in _rejected(parse_xlsx, body)


def test_xlsx_with_a_value_beyond_the_column_limit_is_refused(settings):
    settings.INGEST_MAX_COLUMNS = 10
    body = corpus.xlsx([[*corpus.GOOD_ROWS[0], *[None] * 10, "far"], corpus.GOOD_ROWS[1]])
    assert "INGEST_MAX_COLUMNS" in _rejected(parse_xlsx, body)


def _understate_sizes(body: bytes) -> bytes:
    """The zip with every member's declared uncompressed size rewritten to 1 byte."""
    data = bytearray(body)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset : start + offset + 4] = (1).to_bytes(4, "little")
            start += 4
    return bytes(data)


# --- CSV ----------------------------------------------------------------------------------


def test_csv_field_longer_than_the_limit_is_refused_naming_the_setting(settings):
    settings.INGEST_MAX_STRING_CHARS = 1000
    body = b"kind,description\nincident," + b"x" * 1001 + b"\n"
    assert "INGEST_MAX_STRING_CHARS" in _rejected(parse_csv, body)


def test_csv_line_longer_than_the_limit_is_refused_before_it_is_split(settings):
    settings.INGEST_MAX_ROW_CHARS = 10_000
    body = b"kind,description\n" + b"a," * (5 * MB) + b"b\n"
    peak, _ = _peak(lambda: _parse(parse_csv, body))
    assert peak < 4 * MB
    assert "INGEST_MAX_ROW_CHARS" in _rejected(parse_csv, body)


def test_csv_with_too_many_columns_is_refused(settings):
    settings.INGEST_MAX_COLUMNS = 10
    body = b",".join([b"h"] * 11) + b"\n" + b",".join([b"v"] * 11) + b"\n"
    assert "INGEST_MAX_COLUMNS" in _rejected(parse_csv, body)


def test_csv_with_too_many_rows_is_refused(settings):
    settings.INGEST_MAX_ROWS = 3
    body = b"kind,occurred_at\n" + b"incident,2025-03-01\n" * 4
    assert "INGEST_MAX_ROWS" in _rejected(parse_csv, body)


def test_csv_rows_up_to_the_limit_are_read(settings):
    settings.INGEST_MAX_ROWS = 3
    body = b"kind,occurred_at\n" + b"incident,2025-03-01\n" * 3
    assert len(_parse(parse_csv, body)) == 3


def test_csv_line_of_exactly_the_limit_is_read_with_its_row_number(settings):
    settings.INGEST_MAX_ROW_CHARS = 1000
    line = b"incident,2025-03-01," + b"x" * 980
    body = b"kind,occurred_at,description\r\n" + line + b"\r\n" + line + b"\r\n"
    assert [number for number, _ in _parse(parse_csv, body)] == [2, 3]
