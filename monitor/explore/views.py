"""The explorer (docs/explore.md): every observation the reader may see, narrowed by one set of
filters held in the URL, shown as a map of clusters, a weekly series, the areas with most and
a sortable table; and one observation with its report, files, ledger hash and alerts.

Every view reads through the access policy: ``agreements_visible_to`` refuses roles without
pages, ``observations_visible_to`` bounds the rows (monitor.explore.selectors).
"""

import gzip
from functools import lru_cache

from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.access import reach_of
from core.days import zone_or_utc
from core.params import ParameterError, query_without_empty, text_param, whole_number_param
from monitor.explore import chart
from monitor.explore.basemap import ATTRIBUTION
from monitor.explore.basemap import basemap as basemap_document
from monitor.explore.filters import (
    OUTSIDE_CHOICES,
    UNATTRIBUTED,
    ExploreFilters,
    box_param,
)
from monitor.explore.form import (
    CATEGORY_LABELS,
    CREDIBILITY_LABELS,
    RELIABILITY_LABELS,
    VERIFICATION_LABELS,
    explore_choices,
    filters_in_words,
)
from monitor.explore.selectors import (
    DEFAULT_SORT,
    KIND_LABELS,
    SORTS,
    explore_observations,
    observation_clusters,
    observation_detail,
    observations_by_area,
    observations_table_page,
    observations_weekly,
)
from monitor.views import agreements_visible_to, page

# The table's columns: (heading, ?sort= name or "").
COLUMNS = [
    ("Day", "occurred"),
    ("Kind", "kind"),
    ("Clause", "clause"),
    ("Party", "party"),
    ("Place", "area"),
    ("Mission", "mission"),
    ("Verification", ""),
    ("Grades", "severity"),
    ("Flags", ""),
]
SORT_HEADINGS = {"severity": "Severity"}
# ?sort= name -> (ascending, descending) in words.
SORT_WORDS = {
    "occurred": ("day, oldest first", "day, newest first"),
    "kind": ("kind", "kind, reversed"),
    "clause": ("agreement and clause", "agreement and clause, reversed"),
    "party": ("party", "party, reversed"),
    "area": ("area and place", "area and place, reversed"),
    "mission": ("mission", "mission, reversed"),
    "severity": ("severity, lowest first", "severity, highest first"),
}
DEFAULT_ZOOM = 5


def _sort_param(params) -> str:
    sort = text_param(params, "sort") or DEFAULT_SORT
    if sort.lstrip("-") not in SORTS:
        names = ", ".join(SORTS)
        raise ParameterError("sort", f"one of {names}, each optionally with a leading -", sort)
    return sort


def _zone_label(name: str) -> str:
    return "UTC" if name in ("", "UTC") else name.rsplit("/", 1)[-1].replace("_", " ") + " time"


def _local(observation) -> tuple[str, str]:
    """The time of day in the agreement's zone (the mission's for an observation on no
    clause), written here: the template's date filter would bring it back to UTC."""
    clause = observation.clause
    name = clause.agreement.time_zone if clause else observation.report.mission.time_zone
    local = observation.occurred_at.astimezone(zone_or_utc(name))
    return f"{local:%H:%M}", _zone_label(name or "UTC")


def _headings(filters: ExploreFilters, sort: str) -> list[dict]:
    """Each column's heading, its sort link (ascending first; the current one reverses) and
    its aria-sort."""
    current, descending = sort.lstrip("-"), sort.startswith("-")
    headings = []
    for label, name in COLUMNS:
        heading = {"label": label, "url": "", "aria_sort": "", "note": ""}
        if name:
            active = name == current
            next_sort = (name if descending else f"-{name}") if active else name
            if name == "occurred" and not active:
                next_sort = "-occurred"  # newest first is what a reader wants first
            heading["url"] = "?" + filters.query(sort=next_sort)
            if active:
                heading["aria_sort"] = "descending" if descending else "ascending"
            heading["note"] = SORT_HEADINGS.get(name, "")
        headings.append(heading)
    return headings


@page
def explore(request):
    agreements = agreements_visible_to(request.user)
    if (cleaned := query_without_empty(request.GET)) is not None:
        return redirect(request.path + (f"?{cleaned}" if cleaned else ""))
    filters = ExploreFilters.from_params(request.GET)
    sort = _sort_param(request.GET)
    number = whole_number_param(request.GET, "page", default=1, minimum=1)
    observations = explore_observations(user=request.user, filters=filters)
    series = observations_weekly(observations=observations)
    table = observations_table_page(
        observations=observations, total=series.total, sort=sort, number=number
    )
    areas = observations_by_area(observations=observations)
    choices = explore_choices(
        user=request.user,
        filters=filters,
        agreements=agreements,
        areas_found=[a for a, _ in areas],
    )
    rows = [(row, *_local(row)) for row in table.rows]
    query = filters.query()
    sorted_query = filters.query(sort="" if sort == DEFAULT_SORT else sort)
    kinds = series.kinds
    context = {
        "series_rows": [
            (week, [counts.get(k, 0) for k in kinds], sum(counts.values()))
            for week, counts in series.weeks
        ],
        "sort_label": SORT_WORDS[sort.lstrip("-")][sort.startswith("-")],
        "query_without_within": filters.with_(within=None).query(),
        "filters": filters,
        "choices": choices,
        "summary": filters_in_words(filters, choices),
        # An observer reads its missions' rows only, the scorecards' counts are every
        # mission's: the page says so, or the count a scorecard links to looks wrong here.
        "own_missions": [name for _, name in choices.missions]
        if reach_of(request.user).records == "own"
        else [],
        "series": series,
        "chart_desk": chart.weekly_chart(series, size=chart.DESK),
        "chart_phone": chart.weekly_chart(series, size=chart.PHONE),
        "chart_label": chart.chart_label(series),
        "kind_legend": [
            (k, KIND_LABELS[k], chart.KIND_COLOURS[k]) for k in KIND_LABELS if k in series.kinds
        ],
        "map_legend": [(k, label, chart.KIND_COLOURS[k]) for k, label in KIND_LABELS.items()],
        "table": table,
        "rows": rows,
        "headings": _headings(filters, sort),
        "areas": [(name, n, "?" + filters.with_(area=name).query()) for name, n in areas],
        "query": query,
        "sorted_query": sorted_query,
        "sort": "" if sort == DEFAULT_SORT else sort,
        "page_url": "?" + (sorted_query + "&" if sorted_query else "") + "page=",
        "export_query": query,
        "kinds": KIND_LABELS.items(),
        "verifications": VERIFICATION_LABELS.items(),
        "reliabilities": RELIABILITY_LABELS.items(),
        "credibilities": CREDIBILITY_LABELS.items(),
        "categories": CATEGORY_LABELS.items(),
        "outside_choices": OUTSIDE_CHOICES.items(),
        "unattributed": UNATTRIBUTED,
        "more_open": bool(
            filters.verification
            or filters.reliability
            or filters.credibility
            or filters.outside
            or filters.place_mismatch is not None
            or filters.retrospective is not None
            or filters.known_at_text
            or filters.category
            or filters.mission
            or filters.within
        ),
        "clusters_url": reverse("explore:clusters") + (f"?{query}" if query else ""),
        "basemap_url": reverse("explore:basemap"),
        "attribution": ATTRIBUTION,
    }
    return render(request, "explore/explore.html", context)


@page
def clusters(request):
    """The map's clusters for a zoom and a box (JSON; docs/explore.md)."""
    agreements_visible_to(request.user)
    try:
        filters = ExploreFilters.from_params(request.GET)
        zoom = whole_number_param(request.GET, "zoom", default=DEFAULT_ZOOM, minimum=0, maximum=18)
        bbox = box_param(request.GET, "bbox")
    except ParameterError as bad:
        return JsonResponse(
            {"parameter": bad.name, "expected": bad.expected, "given": bad.given}, status=400
        )
    observations = explore_observations(user=request.user, filters=filters)
    found = observation_clusters(observations=observations, zoom=zoom, bbox=bbox)
    response = JsonResponse(found.as_json())
    response["Cache-Control"] = "private, no-cache"
    return response


@page
def basemap(request):
    """Country outlines and admin-1 boundaries as GeoJSON, the same for everyone."""
    agreements_visible_to(request.user)
    body, etag = basemap_document()
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/geo+json")
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            response.content = _gzipped()
            response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=86400"
    response["Vary"] = "Accept-Encoding, Cookie"
    return response


@lru_cache(maxsize=1)
def _gzipped() -> bytes:
    return gzip.compress(basemap_document()[0], mtime=0)


@page
def observation(request, pk: int):
    agreements_visible_to(request.user)
    detail = observation_detail(user=request.user, pk=pk)
    if detail is None:
        raise Http404("No such observation, or not one you may see.")
    target = detail.observation
    local, zone_label = _local(target)
    report = target.report
    context = {
        "o": target,
        "report": report,
        "local": local,
        "zone_label": zone_label,
        "evidence": detail.evidence,
        "alerts": detail.alerts,
        "kind_colour": chart.KIND_COLOURS.get(target.kind, "#000"),
        "basemap_url": reverse("explore:basemap"),
        "attribution": ATTRIBUTION,
    }
    return render(request, "explore/observation.html", context)
