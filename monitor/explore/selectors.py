"""Reads of the explorer: map clusters, the weekly series, a page of the table, the areas with
most observations and one observation with its report, files and alerts.

Each is one query whatever the number of rows (clusters and series are grouped in the
database, never by shipping rows to Python), so a page costs the same number of queries on a
thousand observations as on a million.
"""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Avg,
    Count,
    F,
    FloatField,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Floor, TruncWeek

from accounts.access import Reader
from monitor.models import Alert
from monitor.selectors import alerts_visible_to
from reports.models import EvidenceFile, Observation
from reports.selectors import evidence_files_visible_to, observations_visible_to

KINDS: list[str] = list(Observation.Kind.values)
KIND_LABELS: dict[str, str] = dict(Observation.Kind.choices)
# The grid never has more cells than this over the area asked (a world at zoom 18 would
# have billions): past it the cell doubles, so a response stays small whatever is asked.
MOST_CELLS = 128 * 128
PAGE_SIZE = 50
# ?sort= name -> ordering (ascending); "-name" reverses it. A tie-break on id keeps pages stable.
SORTS: dict[str, tuple[str, ...]] = {
    "occurred": ("occurred_at",),
    "kind": ("kind", "occurred_at"),
    "clause": ("clause__agreement__code", "clause__position", "occurred_at"),
    "party": ("party__name", "actor", "occurred_at"),
    "area": ("admin_area", "place_name", "occurred_at"),
    "mission": ("report__mission__name", "occurred_at"),
    "severity": ("severity", "occurred_at"),
}
DEFAULT_SORT = "-occurred"

Bbox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


def explore_observations(*, user: Reader, filters: Any) -> QuerySet[Observation]:
    """The observations the user may read that ``filters`` (an ExploreFilters) keep."""
    return filters.apply(observations_visible_to(user=user))


# --- the map ---------------------------------------------------------------------------------


def cell_degrees(zoom: int) -> float:
    """The grid's cell at ``zoom``: about 64 screen pixels (a 256-pixel tile is 360/2^zoom°)."""
    return 360 / 2 ** (zoom + 2)


def grid_cell(*, zoom: int, bbox: Bbox | None) -> float:
    """The cell for ``zoom``, doubled until ``bbox`` (default: the world) holds at most
    ``MOST_CELLS`` of them."""
    min_lon, min_lat, max_lon, max_lat = bbox or (-180.0, -90.0, 180.0, 90.0)
    cell = cell_degrees(zoom)
    while (max_lon - min_lon) / cell * max((max_lat - min_lat) / cell, 1) > MOST_CELLS:
        cell *= 2
    return cell


@dataclass(frozen=True)
class Cluster:
    lat: float
    lon: float
    count: int
    kinds: dict[str, int]
    bbox: Bbox
    observation: int | None  # its id when the cluster is one observation

    @property
    def dominant(self) -> str:
        return max(KINDS, key=lambda k: self.kinds.get(k, 0))


@dataclass(frozen=True)
class ClusterMap:
    zoom: int
    cell: float
    clusters: list[Cluster]

    @property
    def total(self) -> int:
        return sum(c.count for c in self.clusters)

    def as_json(self) -> dict[str, Any]:
        return {
            "zoom": self.zoom,
            "cell_degrees": self.cell,
            "total": self.total,
            "clusters": [
                {
                    "lat": round(c.lat, 6),
                    "lon": round(c.lon, 6),
                    "count": c.count,
                    "kinds": c.kinds,
                    "bbox": [round(v, 6) for v in c.bbox],
                    "observation": c.observation,
                }
                for c in self.clusters
            ],
        }


def observation_clusters(
    *, observations: QuerySet[Observation], zoom: int, bbox: Bbox | None = None
) -> ClusterMap:
    """``observations`` with coordinates (inside ``bbox`` if given) grouped into the cells of
    a grid for ``zoom``, in one grouped query: each cell's count by kind, the mean of its
    points (where its marker goes) and the box around them (what a click zooms to)."""
    cell = grid_cell(zoom=zoom, bbox=bbox)
    located = observations.filter(latitude__isnull=False, longitude__isnull=False)
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        located = located.filter(
            longitude__gte=min_lon,
            longitude__lte=max_lon,
            latitude__gte=min_lat,
            latitude__lte=max_lat,
        )
    size = Value(cell, output_field=FloatField())
    rows = (
        located.order_by()
        .annotate(gx=Floor(F("longitude") / size), gy=Floor(F("latitude") / size))
        .values("gx", "gy")
        .annotate(
            n=Count("id"),
            lat=Avg("latitude"),
            lon=Avg("longitude"),
            min_lon=Min("longitude"),
            min_lat=Min("latitude"),
            max_lon=Max("longitude"),
            max_lat=Max("latitude"),
            first=Min("id"),
            **{f"k_{kind}": Count("id", filter=Q(kind=kind)) for kind in KINDS},
        )
        .order_by("-n", "gx", "gy")
    )
    clusters = [
        Cluster(
            lat=row["lat"],
            lon=row["lon"],
            count=row["n"],
            kinds={kind: row[f"k_{kind}"] for kind in KINDS if row[f"k_{kind}"]},
            bbox=(row["min_lon"], row["min_lat"], row["max_lon"], row["max_lat"]),
            observation=row["first"] if row["n"] == 1 else None,
        )
        for row in rows
    ]
    return ClusterMap(zoom=zoom, cell=cell, clusters=clusters)


# --- the weekly series -------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklySeries:
    """Observations per week (weeks start on Monday, of the day they happened) and kind, from
    the first week with any to the last; weeks without any are zero."""

    weeks: list[tuple[dt.date, dict[str, int]]]
    undated: int = 0  # rows without a calendar day (not in any week; counted in the total)

    @property
    def total(self) -> int:
        return self.undated + sum(sum(kinds.values()) for _, kinds in self.weeks)

    @property
    def kinds(self) -> list[str]:
        """The kinds that occur, in the model's order."""
        seen = {k for _, kinds in self.weeks for k, n in kinds.items() if n}
        return [k for k in KINDS if k in seen]

    @property
    def first_day(self) -> dt.date | None:
        return self.weeks[0][0] if self.weeks else None

    @property
    def last_day(self) -> dt.date | None:
        return self.weeks[-1][0] + dt.timedelta(days=6) if self.weeks else None


def observations_weekly(*, observations: QuerySet[Observation]) -> WeeklySeries:
    """Counts per week and kind, grouped in the database (one query)."""
    rows = (
        observations.order_by()
        .annotate(week=TruncWeek("occurred_on"))
        .values("week", "kind")
        .annotate(n=Count("id"))
    )
    counts: dict[dt.date, dict[str, int]] = {}
    undated = 0
    for row in rows:
        week = row["week"]
        if week is None:
            undated += row["n"]
            continue
        if isinstance(week, dt.datetime):  # a backend that answers with a moment
            week = week.date()
        counts.setdefault(week, {})[row["kind"]] = row["n"]
    if not counts:
        return WeeklySeries(weeks=[], undated=undated)
    first, last = min(counts), max(counts)
    weeks = []
    week = first
    while week <= last:
        weeks.append((week, counts.get(week, {})))
        week += dt.timedelta(days=7)
    return WeeklySeries(weeks=weeks, undated=undated)


# --- the table -------------------------------------------------------------------------------


def sort_ordering(sort: str) -> list[str]:
    """The ORDER BY of a ``?sort=`` value (already checked against ``SORTS``)."""
    name = sort.lstrip("-")
    descending = sort.startswith("-")
    columns = [f"-{c}" if descending else c for c in SORTS[name]]
    return [*columns, "-id" if descending else "id"]


@dataclass(frozen=True)
class TablePage:
    rows: Sequence[Observation]
    number: int
    pages: int
    total: int
    sort: str

    @property
    def first_row(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.rows) - 1 if self.rows else 0


def observations_table_page(
    *, observations: QuerySet[Observation], total: int, sort: str, number: int
) -> TablePage:
    """Page ``number`` (from 1, brought within the pages there are) of ``observations``
    sorted by ``sort``; ``total`` is known already (the series' sum), so this is one query."""
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    number = min(max(number, 1), pages)
    start = (number - 1) * PAGE_SIZE
    ordering = sort_ordering(sort)
    # The page's ids are sorted narrow (only the columns the filters and the sort need), then
    # its 50 rows are read whole: sorting every matching row with all its joined columns
    # costs several times more. One query: the ids are a subquery.
    ids = observations.order_by(*ordering).values("pk")[start : start + PAGE_SIZE]
    rows = list(
        Observation.objects.filter(pk__in=ids)
        .select_related("report__mission", "clause__agreement", "party")
        .order_by(*ordering)
    )
    return TablePage(rows=rows, number=number, pages=pages, total=total, sort=sort)


# --- where -----------------------------------------------------------------------------------


def observations_by_area(*, observations: QuerySet[Observation], most: int = 30) -> list[tuple]:
    """(admin area, count) of the ``most`` areas with most observations (one query); "" for
    observations placed in no admin area."""
    rows = (
        observations.order_by()
        .values("admin_area")
        .annotate(n=Count("id"))
        .order_by("-n", "admin_area")[:most]
    )
    return [(row["admin_area"], row["n"]) for row in rows]


# --- one observation -------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservationDetail:
    observation: Observation
    evidence: list[EvidenceFile] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def observation_detail(*, user: Reader, pk: int) -> ObservationDetail | None:
    """The observation ``pk`` if the user may read it, with its report, mission, clause and
    party, the evidence files it may see, and the alerts it supports that it may see."""
    observation = (
        observations_visible_to(user=user)
        .select_related(
            "report__mission", "report__superseded_by", "clause__agreement", "party", "area"
        )
        .filter(pk=pk)
        .first()
    )
    if observation is None:
        return None
    report = observation.report
    evidence = list(
        evidence_files_visible_to(user=user)
        .filter(Q(observation=observation) | Q(report=report, observation__isnull=True))
        .order_by("observation", "id")
    )
    alerts = list(
        alerts_visible_to(user=user)
        .filter(evidence=observation)
        .select_related("clause")
        .order_by("-last_seen", "-id")
    )
    return ObservationDetail(observation=observation, evidence=evidence, alerts=alerts)
