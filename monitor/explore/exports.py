"""The explorer's downloads: every observation its filters match, as CSV (header row, then
an HXL hashtag row), GeoJSON or XLSX, with the same columns in each (docs/explore-downloads.md).

CSV and GeoJSON stream row by row; XLSX is written by openpyxl in write-only mode to a
temporary file, then sent. Over ``MOST_ROWS`` matching rows the answer is a 400 page saying
how many matched: never a silently cut file.
"""

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from accounts.access import reach_of
from agreements.models import Agreement, Clause, Party
from monitor.explore.filters import OUTSIDE_CHOICES, UNATTRIBUTED, ExploreFilters
from monitor.explore.filters import clause_category_label as category_label
from monitor.views import agreements_visible_to, page
from reports.formats import csv_stream, geojson_stream, path, point, safe_cell
from reports.models import Observation, ObserverMission
from reports.selectors import observations_visible_to

# As the API's exports (reports.api.reads.EXPORT_LIMIT).
MOST_ROWS = 100_000
CHUNK = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (key, header, HXL hashtag, width in the spreadsheet). Keys name GeoJSON's properties.
COLUMNS: list[tuple[str, str, str, int]] = [
    ("id", "id", "#meta +id", 9),
    ("report", "report", "#meta +report", 16),
    ("filed_at", "report filed at (UTC)", "#date +reported", 19),
    ("retrospective", "filed after the fact", "#x_retrospective", 10),
    ("mission", "mission", "#org +mission +name", 24),
    ("mission_code", "mission code", "#org +mission +code", 16),
    ("agreement", "agreement", "#x_agreement +name", 24),
    ("agreement_code", "agreement code", "#x_agreement +code", 16),
    ("clause", "clause", "#x_clause +ref", 8),
    ("clause_title", "clause title", "#x_clause +name", 28),
    ("kind", "kind", "#event +type", 14),
    ("party", "attributed party", "#org +name", 22),
    ("party_code", "party code", "#org +code", 14),
    ("occurred_at", "occurred at (UTC)", "#date +occurred", 19),
    ("occurred_on", "day (agreement's time zone)", "#date +occurred +day", 12),
    ("time_zone", "agreement's time zone", "#x_time_zone", 16),
    ("date_only", "date only", "#x_date_only", 8),
    ("place_name", "place", "#loc +name", 20),
    ("admin_area", "admin area", "#adm1 +name", 18),
    ("latitude", "latitude", "#geo +lat", 10),
    ("longitude", "longitude", "#geo +lon", 10),
    ("to_place_name", "to place", "#loc +name +dest", 18),
    ("to_latitude", "to latitude", "#geo +lat +dest", 10),
    ("to_longitude", "to longitude", "#geo +lon +dest", 10),
    ("quantity", "quantity", "#indicator +num", 9),
    ("amount", "amount", "#indicator +amount", 9),
    ("unit", "unit", "#indicator +unit", 8),
    ("actor", "actor as the source names it", "#org +actor", 18),
    ("severity", "severity", "#severity", 10),
    ("verification", "verification", "#status", 13),
    ("grade", "grade", "#x_grade", 7),
    ("source", "source", "#meta +source", 16),
    ("description", "description", "#description", 60),
    ("outside", "outside the clause's", "#x_outside", 12),
    ("scope_note", "why outside", "#x_outside +reason", 30),
    ("place_mismatch", "place mismatch", "#x_place_mismatch", 9),
    ("place_note", "why the place is flagged", "#x_place_mismatch +reason", 30),
]
CSV_COLUMNS = [(key, header, tag) for key, header, tag, _ in COLUMNS]


def export_observations(*, user, filters: ExploreFilters) -> QuerySet[Observation]:
    """The rows of a download: what ``user`` may read and ``filters`` match, oldest first."""
    return filters.apply(observations_visible_to(user=user)).order_by("occurred_at", "id")


# What a row reads, names through joins, in one query: plain tuples, not six model objects a
# row (reports.formats.observation_row's way cost 0.3 ms a row, 30 s for a full download).
FIELDS = (
    "id",
    "report__external_id",
    "report__filed_at",
    "report__archival",
    "report__mission__name",
    "report__mission__code",
    "clause__agreement__title",
    "clause__agreement__short_title",
    "clause__agreement__code",
    "clause__agreement__time_zone",
    "clause__reference",
    "clause__title",
    "kind",
    "party__name",
    "party__code",
    "occurred_at",
    "occurred_on",
    "date_only",
    "place_name",
    "admin_area",
    "latitude",
    "longitude",
    "to_place_name",
    "to_latitude",
    "to_longitude",
    "quantity",
    "amount",
    "unit",
    "actor",
    "severity",
    "verification_status",
    "source_reliability",
    "information_credibility",
    "source",
    "description",
    "outside_period",
    "outside_area",
    "scope_note",
    "place_mismatch",
    "place_note",
)
KINDS = dict(Observation.Kind.choices)
SEVERITIES = dict(Observation.Severity.choices)
VERIFICATIONS = dict(Observation.Verification.choices)


def export_rows(observations: QuerySet[Observation]) -> Iterator[dict[str, Any]]:
    for values in observations.values_list(*FIELDS).iterator(chunk_size=CHUNK):
        yield export_row(dict(zip(FIELDS, values, strict=True)))


def export_row(v: dict[str, Any]) -> dict[str, Any]:
    """One observation's cells, typed (datetimes, dates, numbers, booleans): names where a
    reader reads, codes beside them."""
    amount = v["amount"]
    outside = (("period", v["outside_period"]), ("area", v["outside_area"]))
    return {
        "id": v["id"],
        "report": v["report__external_id"],
        "filed_at": v["report__filed_at"],
        "retrospective": v["report__archival"],
        "mission": v["report__mission__name"],
        "mission_code": v["report__mission__code"],
        # As str(agreement): its short title, else its title.
        "agreement": v["clause__agreement__short_title"] or v["clause__agreement__title"],
        "agreement_code": v["clause__agreement__code"],
        "clause": v["clause__reference"],
        "clause_title": v["clause__title"],
        "kind": KINDS.get(v["kind"], v["kind"]),
        "party": v["party__name"],
        "party_code": v["party__code"],
        "occurred_at": v["occurred_at"],
        "occurred_on": v["occurred_on"],
        "time_zone": v["clause__agreement__time_zone"],
        "date_only": v["date_only"],
        "place_name": v["place_name"],
        "admin_area": v["admin_area"],
        "latitude": v["latitude"],
        "longitude": v["longitude"],
        "to_place_name": v["to_place_name"],
        "to_latitude": v["to_latitude"],
        "to_longitude": v["to_longitude"],
        "quantity": v["quantity"],
        "amount": amount.normalize() if amount is not None else None,
        "unit": v["unit"],
        "actor": v["actor"],
        "severity": SEVERITIES.get(v["severity"], v["severity"]),
        "verification": VERIFICATIONS.get(v["verification_status"], v["verification_status"]),
        "grade": f"{v['source_reliability']}{v['information_credibility']}",
        "source": v["source"],
        "description": v["description"],
        "outside": " and ".join(word for word, flag in outside if flag),
        "scope_note": v["scope_note"],
        "place_mismatch": v["place_mismatch"],
        "place_note": v["place_note"],
    }


def as_text(value: Any) -> Any:
    """A cell for CSV and GeoJSON: times in UTC ISO 8601, days ISO, amounts as written."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def as_cell(value: Any) -> Any:
    """A cell for XLSX: datetimes in UTC (Excel has no zones), text never a formula."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        # openpyxl refuses control characters; a leading "=" would make a formula.
        return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def text_rows(observations: QuerySet[Observation]) -> Iterator[dict[str, Any]]:
    for row in export_rows(observations):
        yield {key: as_text(value) for key, value in row.items()}


def feature(row: dict[str, Any]) -> dict[str, Any]:
    """A Point where it was, a LineString to where it went (a movement), or geometry null
    (RFC 7946 3.2) when no coordinates were given; every column is a property."""
    geometry = path(
        point(row["latitude"], row["longitude"]), point(row["to_latitude"], row["to_longitude"])
    )
    properties = {key: row[key] for key, _, _, _ in COLUMNS}
    return {"type": "Feature", "id": row["id"], "geometry": geometry, "properties": properties}


def csv_response(observations: QuerySet[Observation], **_: Any) -> HttpResponseBase:
    body = csv_stream(text_rows(observations), CSV_COLUMNS, hxl=True)
    return StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")


def geojson_response(observations: QuerySet[Observation], **_: Any) -> HttpResponseBase:
    body = geojson_stream(feature(row) for row in text_rows(observations))
    return StreamingHttpResponse(body, content_type="application/geo+json")


def xlsx_response(
    observations: QuerySet[Observation], *, about: list[tuple[str, str]]
) -> HttpResponseBase:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Observations")
    sheet.freeze_panes = "A3"  # the header and HXL rows stay in view
    for number, (_, _, _, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.append([_styled(sheet, header, bold=True) for _, header, _, _ in COLUMNS])
    sheet.append([_styled(sheet, tag, italic=True) for _, _, tag, _ in COLUMNS])
    for row in export_rows(observations):
        sheet.append([as_cell(row[key]) for key, _, _, _ in COLUMNS])
    notes = workbook.create_sheet("About")
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 90
    for label, text in about:
        notes.append([_styled(notes, label, bold=True), _styled(notes, as_cell(text), wrap=True)])
    # Not a context manager: FileResponse closes it once sent, and the file is deleted then.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(handle, content_type=XLSX_TYPE)


def _styled(sheet, value: Any, *, bold=False, italic=False, wrap=False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if bold or italic:
        cell.font = Font(bold=bold, italic=italic)
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


WRITERS: dict[str, Callable[..., HttpResponseBase]] = {
    "csv": csv_response,
    "geojson": geojson_response,
    "xlsx": xlsx_response,
}


def export_filename(filters: ExploreFilters, fmt: str) -> str:
    """accord-observations-minsk-ii-2015-02-15-2015-03-31.xlsx; "all" without an agreement."""
    parts = ["accord-observations", slugify(filters.agreement)[:60] or "all"]
    if filters.start:
        parts += [filters.start.isoformat()] if filters.end else ["from", filters.start.isoformat()]
    if filters.end:
        parts += [filters.end.isoformat()] if filters.start else ["to", filters.end.isoformat()]
    return "-".join(parts) + "." + fmt


def filters_in_words(filters: ExploreFilters) -> list[tuple[str, str]]:
    """The filters as a reader would say them, for the spreadsheet's About sheet."""
    words: list[tuple[str, str]] = []
    if filters.agreement:
        title = Agreement.objects.filter(code=filters.agreement).values_list("title", flat=True)
        words.append(("Agreement", _named(title.first(), filters.agreement)))
    if filters.clause is not None:
        clause = Clause.objects.select_related("agreement").filter(pk=filters.clause).first()
        words.append(("Clause", str(clause) if clause else f"number {filters.clause} (not found)"))
    if filters.category:
        words.append(("Category", category_label(filters.category)))
    if filters.party == UNATTRIBUTED:
        words.append(("Party", "attributed to no party"))
    elif filters.party:
        party = Party.objects.filter(code=filters.party).first()
        words.append(("Party", _named(party.name if party else None, filters.party)))
    if filters.mission:
        mission = ObserverMission.objects.filter(code=filters.mission).first()
        words.append(("Mission", _named(mission.name if mission else None, filters.mission)))
    if filters.area:
        words.append(("Admin area", filters.area))
    for name, label, choices in (
        ("kind", "Kinds", Observation.Kind),
        ("verification", "Verification", Observation.Verification),
        ("reliability", "Source reliability", Observation.Reliability),
        ("credibility", "Information credibility", None),
    ):
        values = getattr(filters, name)
        if values:
            labels = dict(choices.choices) if choices else dict(_credibility())
            words.append((label, "; ".join(str(labels.get(v, v)) for v in values)))
    if filters.start or filters.end:
        span = f"{filters.start or 'the first'} to {filters.end or 'the last'}"
        words.append(("Days", f"{span} (the day it happened, in the agreement's time zone)"))
    if filters.known_at_text:
        words.append(("Known at", f"reports filed by {filters.known_at_text} (UTC)"))
    if filters.outside:
        words.append(("Scope", OUTSIDE_CHOICES[filters.outside]))
    for name, label, yes, no in (
        ("place_mismatch", "Place", "only rows whose place is flagged", "rows whose place fits"),
        ("retrospective", "Filed", "only reports filed after the fact", "reports filed in time"),
    ):
        value = getattr(filters, name)
        if value is not None:
            words.append((label, yes if value else no))
    return words or [("Filters", "none: every observation you may read")]


def _named(name: str | None, code: str) -> str:
    return f"{name} ({code})" if name else f"{code} (none of that code)"


def _credibility() -> list[tuple[str, str]]:
    return [(str(value), label) for value, label in Observation.Credibility.choices]


def about_sheet(*, request, filters: ExploreFilters, total: int) -> list[tuple[str, str]]:
    user = request.user
    reader = user.get_full_name() or user.get_username()
    bound = (
        "every mission's filed reports"
        if reach_of(user).records == "all"
        else "the filed reports of your missions only"
    )
    link = request.build_absolute_uri(reverse("explore:explore") + "?" + filters.query())
    return [
        ("Observations", "From Accord Monitor: observer missions' reports, one row each."),
        ("Exported at", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Exported by", f"{reader} ({user.get_username()})"),
        ("Rows", f"{total:,}"),
        ("Reading", bound),
        *filters_in_words(filters),
        ("In the explorer", link),
        (
            "Columns",
            "Times are UTC; the day is the calendar day in the agreement's time zone. The "
            "second row holds HXL hashtags (hxlstandard.org).",
        ),
        (
            "Source",
            "Each row's report, mission and source columns say who saw it and who filed it.",
        ),
        (
            "Licence",
            "The reports belong to the missions that filed them; this file adds no licence. "
            "Ask the mission before publishing rows, and cite it and the report.",
        ),
    ]


@page
def export(request, fmt: str):
    agreements_visible_to(request.user)  # refuses roles without pages (403)
    if fmt not in WRITERS:
        raise Http404(f"No download as {fmt}: csv, geojson or xlsx.")
    filters = ExploreFilters.from_params(request.GET)
    observations = export_observations(user=request.user, filters=filters)
    total = observations.count()
    if total > MOST_ROWS:
        context = {
            "total": f"{total:,}",
            "most": f"{MOST_ROWS:,}",
            "explore": reverse("explore:explore") + "?" + filters.query(),
        }
        return render(request, "explore/export_too_many.html", context, status=400)
    about = about_sheet(request=request, filters=filters, total=total) if fmt == "xlsx" else []
    response = WRITERS[fmt](observations, about=about)
    disposition = content_disposition_header(True, export_filename(filters, fmt))
    response["Content-Disposition"] = disposition or "attachment"
    return response
