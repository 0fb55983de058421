"""The project's JSON report format (docs/report-format.md, schema in docs/report.schema.json).

Parsed streaming with ijson, so a 100 MB report never becomes one Python object.
"""

import codecs
from collections.abc import Iterator

import ijson

from reports.parsers.base import ParsedPayload, PayloadProblem, RawRow, register
from reports.parsers.source import as_source, is_blank

HEADER_FIELDS = {
    "format",
    "mission",
    "external_id",
    "agreement",
    "period",
    "title",
    "summary",
    "timezone",
    "evidence",
    "observations",
}
ROW_FIELDS = {
    "id",
    "kind",
    "clause",
    "agreement",
    "category",
    "party",
    "occurred_at",
    "place_name",
    "admin_area",
    "latitude",
    "longitude",
    "quantity",
    "severity",
    "description",
    "evidence_urls",
    "source",
    "source_reliability",
    "information_credibility",
    "grade",
    "verification_status",
    "attributes",
}


def _check_utf8(source) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    start = 0
    with source.open() as stream:
        while True:
            chunk = stream.read(1 << 20)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise PayloadProblem(
                    f"the body is not UTF-8 (byte {start + exc.start} is invalid): send UTF-8 JSON"
                ) from None
            if not chunk:
                return
            start += len(chunk)


def _stream(source):
    """A stream of the body without a UTF-8 byte-order mark (RFC 8259 allows one; ijson not)."""
    stream = source.open()
    if source.head(3) == codecs.BOM_UTF8:
        stream.read(3)
    return stream


def _header(source) -> dict:
    builder = ijson.ObjectBuilder()
    skipping = has_observations = False
    try:
        for prefix, event, value in ijson.parse(_stream(source), use_float=True):
            if prefix == "" and event == "map_key":
                skipping = value == "observations"
                if skipping:
                    has_observations = True
                    continue
            if skipping and (prefix == "observations" or prefix.startswith("observations.")):
                continue
            builder.event(event, value)
    except ijson.common.IncompleteJSONError as exc:
        message = (str(exc).strip().splitlines() or ["unexpected end of input"])[0]
        raise PayloadProblem(f"the JSON is truncated or malformed: {message[:200]}") from None
    except ijson.common.JSONError as exc:
        raise PayloadProblem(f"the JSON is malformed: {str(exc)[:200]}") from None
    header = getattr(builder, "value", None)
    if not isinstance(header, dict):
        raise PayloadProblem(
            "the JSON must be an object with mission, external_id and observations"
        )
    if has_observations:
        header["observations"] = None
    return header


def _rows(source) -> Iterator[tuple[int, RawRow]]:
    for number, item in enumerate(
        ijson.items(_stream(source), "observations.item", use_float=True), start=1
    ):
        if not isinstance(item, dict):
            yield number, {"__error__": "each observation must be a JSON object"}
            continue
        unknown = set(item) - ROW_FIELDS
        if unknown:
            yield number, {"__error__": f"unknown field(s) {', '.join(sorted(unknown))}"}
            continue
        yield number, item


@register("json")
def parse_json_report(body, params: dict) -> ParsedPayload:
    """Read a JSON report: the header now, the observations lazily as they are written."""
    source = as_source(body)
    if is_blank(source):
        raise PayloadProblem("the body is empty: send a JSON report")
    _check_utf8(source)
    header = _header(source)
    unknown = set(header) - HEADER_FIELDS
    if unknown:
        raise PayloadProblem(f"unknown top-level field(s): {', '.join(sorted(unknown))}")
    if "observations" not in header:
        raise PayloadProblem('the report has no "observations" list')
    period = header.pop("period", None)
    if period is not None:
        if not isinstance(period, dict) or set(period) - {"start", "end"}:
            raise PayloadProblem('"period" must be an object with "start" and "end"')
        header["period_start"], header["period_end"] = period.get("start"), period.get("end")
    header.pop("observations", None)
    return ParsedPayload(header={**params, **header}, rows=_rows(source))
