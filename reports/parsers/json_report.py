"""The project's JSON report format (docs/report-format.md, schema in docs/report.schema.json).

Parsed streaming with ijson, so a 100 MB report never becomes one Python object; the input
limits (``reports.parsers.limits``) are checked on the way, before any row is built.
"""

import codecs
from collections.abc import Iterator

import ijson

from reports.parsers.base import ParsedPayload, PayloadProblem, RawRow, register
from reports.parsers.json_bounds import RawStringScan, read_header
from reports.parsers.limits import Limits, current_limits
from reports.parsers.source import as_source, is_blank
from reports.parsers.text import printable, refusal, value_problem

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
    "amount",
    "unit",
    "to_place_name",
    "to_latitude",
    "to_longitude",
    "control_area",
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


def _prescan(source, limits: Limits) -> None:
    """One pass over the raw bytes: UTF-8 only, and no string token beyond any limit."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    strings = RawStringScan(limits.string_chars)
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
            strings.feed(chunk)
            start += len(chunk)


def _stream(source):
    """A stream of the body without a UTF-8 byte-order mark (RFC 8259 allows one; ijson not)."""
    stream = source.open()
    if source.head(3) == codecs.BOM_UTF8:
        stream.read(3)
    return stream


def _header(source, limits: Limits) -> dict:
    """The report without its observations, walking the whole body within the limits."""
    try:
        header, has_observations = read_header(_stream(source), limits)
    except ijson.common.IncompleteJSONError as exc:
        message = (str(exc).strip().splitlines() or ["unexpected end of input"])[0]
        raise PayloadProblem(
            f"the JSON is truncated or malformed: {printable(message, 200)}"
        ) from None
    except ijson.common.JSONError as exc:
        raise PayloadProblem(f"the JSON is malformed: {printable(str(exc), 200)}") from None
    if not isinstance(header, dict):
        raise PayloadProblem(
            "the JSON must be an object with mission, external_id and observations"
        )
    if has_observations:
        header["observations"] = None
    return header


def _check_header_text(header: dict) -> None:
    for name, value in header.items():
        if problem := value_problem(value):
            raise PayloadProblem(f"header, {printable(name)}: {refusal(problem)}")


def _listed(names: set[str]) -> str:
    return ", ".join(printable(name, 40) for name in sorted(names))


def _rows(source) -> Iterator[tuple[int, RawRow]]:
    # The header pass has walked the whole body within the limits, so ijson's own (C) item
    # builder is safe here: no depth for its prefixes to grow with.
    for number, item in enumerate(
        ijson.items(_stream(source), "observations.item", use_float=True), start=1
    ):
        if not isinstance(item, dict):
            yield number, {"__error__": "each observation must be a JSON object"}
            continue
        unknown = set(item) - ROW_FIELDS
        if unknown:
            yield number, {"__error__": f"unknown field(s) {_listed(unknown)}"}
            continue
        yield number, item


@register("json")
def parse_json_report(body, params: dict) -> ParsedPayload:
    """Read a JSON report: the header now, the observations lazily as they are written."""
    source = as_source(body)
    if is_blank(source):
        raise PayloadProblem("the body is empty: send a JSON report")
    limits = current_limits()
    _prescan(source, limits)
    header = _header(source, limits)
    unknown = set(header) - HEADER_FIELDS
    if unknown:
        raise PayloadProblem(f"unknown top-level field(s): {_listed(unknown)}")
    _check_header_text(header)
    if "observations" not in header:
        raise PayloadProblem('the report has no "observations" list')
    period = header.pop("period", None)
    if period is not None:
        if not isinstance(period, dict) or set(period) - {"start", "end"}:
            raise PayloadProblem('"period" must be an object with "start" and "end"')
        header["period_start"], header["period_end"] = period.get("start"), period.get("end")
    header.pop("observations", None)
    return ParsedPayload(header={**params, **header}, rows=_rows(source))
