"""The admin-1 areas and populated places shipped in agreements/data/geo (docs/geography.md):
which admin-1 a point lies in, which one a name means, and where a named place is.

Nothing here goes to the network. The files are read once per process, on first use, and
never written: the index is shared by every thread. Boundaries and places load separately,
so a payload with coordinates only never reads the gazetteer of places.
"""

import csv
import json
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import shapely

from agreements.places import name_key, place_key

GEO_DIR = Path(__file__).resolve().parent / "data" / "geo"
# Coordinates are looked up at 4 decimals (about 11 m, the boundaries' own precision), so the
# cache by coordinate gives every point of a cell the same answer whatever the order of rows.
PRECISION = 4
_CACHE_LIMIT = 200_000
GRID_STEP = 0.2
_EARTH_KM = 6371.0


@dataclass(frozen=True, slots=True)
class Admin1:
    """A first-level administrative area: an oblast, a province, a city with its status."""

    code: str  # ISO 3166-2, "UA-14"
    country: str  # ISO 3166-1 alpha-2
    name: str  # English, in the form agreement areas use: "Donetsk oblast"
    name_uk: str
    name_ru: str
    name_local: str
    other_names: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Every name it is known by, the usual ones first."""
        usual = (self.name, self.name_uk, self.name_ru, self.name_local)
        return tuple(n for n in (*usual, *self.other_names) if n)


@dataclass(frozen=True, slots=True)
class Place:
    """A populated place of the gazetteer."""

    name: str
    country: str
    admin1: str  # the code of the admin-1 it lies in; "" when none does
    latitude: float
    longitude: float
    population: int


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


# A cell of the grid: the admin-1 that covers it whole, or the indices of those it touches.
_Cell = Admin1 | tuple[int, ...]


def _grid(areas: list[Admin1], geometries: np.ndarray) -> dict[tuple[int, int], _Cell]:
    """Cells of GRID_STEP degrees over the boundaries: most points are answered by one dict
    look-up, and only those in a cell a boundary crosses by a point-in-polygon test."""
    min_x, min_y, max_x, max_y = shapely.total_bounds(geometries)
    xs = np.arange(math.floor(min_x / GRID_STEP), math.ceil(max_x / GRID_STEP))
    ys = np.arange(math.floor(min_y / GRID_STEP), math.ceil(max_y / GRID_STEP))
    cx, cy = (a.ravel() for a in np.meshgrid(xs, ys, indexing="ij"))
    boxes = shapely.box(cx * GRID_STEP, cy * GRID_STEP, (cx + 1) * GRID_STEP, (cy + 1) * GRID_STEP)
    tree = shapely.STRtree(geometries)
    touching: dict[tuple[int, int], list[int]] = {}
    for box, index in tree.query(boxes, predicate="intersects").T:
        touching.setdefault((int(cx[box]), int(cy[box])), []).append(int(index))
    grid: dict[tuple[int, int], _Cell] = {k: tuple(sorted(v)) for k, v in touching.items()}
    for box, index in tree.query(boxes, predicate="within").T:
        grid[(int(cx[box]), int(cy[box]))] = areas[int(index)]
    return grid


def _unique(codes: Iterable[str] | None) -> str | None:
    found = set(codes or ())
    return found.pop() if len(found) == 1 else None


class Gazetteer:
    """The index over one folder of shipped files (see ops/geodata_build.py for their shape)."""

    def __init__(self, directory: Path = GEO_DIR) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._at: dict[tuple[float, float], Admin1 | None] = {}

    @cached_property
    def _boundaries(self) -> tuple[list[Admin1], np.ndarray, dict[tuple[int, int], _Cell]]:
        with (self.directory / "admin1.geojson").open(encoding="utf-8") as handle:
            features = json.load(handle)["features"]
        areas = [
            Admin1(
                code=p["code"],
                country=p["country"],
                name=p["name"],
                name_uk=p["name_uk"],
                name_ru=p["name_ru"],
                name_local=p["name_local"],
                other_names=tuple(p["other"]),
            )
            for p in (feature["properties"] for feature in features)
        ]
        geometries = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
        shapely.prepare(geometries)
        return areas, geometries, _grid(areas, geometries)

    @cached_property
    def areas(self) -> dict[str, Admin1]:
        """Every admin-1 by its ISO 3166-2 code."""
        return {area.code: area for area in self._boundaries[0]}

    @cached_property
    def _area_names(self) -> list[dict[str, set[str]]]:
        """Name to codes, most certain first: usual names as written, other names and codes
        as written, then every name's place key (see admin1_named)."""
        usual: dict[str, set[str]] = {}
        other: dict[str, set[str]] = {}
        keys: dict[str, set[str]] = {}
        for area in self.areas.values():
            for name in area.names:
                tier = usual if name in area.names[:4] else other
                tier.setdefault(name_key(name), set()).add(area.code)
                if key := place_key(name):
                    keys.setdefault(key, set()).add(area.code)
            # The ISO code, also as written without its hyphen (OCHA's Ukrainian P-codes).
            for code in (area.code, area.code.replace("-", "")):
                other.setdefault(name_key(code), set()).add(area.code)
        return [usual, other, keys]

    @cached_property
    def _places(self) -> tuple[list[Place], dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
        places: list[Place] = []
        exact: dict[str, set[int]] = {}
        keyed: dict[str, set[int]] = {}
        # The functions under the caches: the rows' look-ups keep the caches to themselves.
        raw_key, raw_name = place_key.__wrapped__, name_key.__wrapped__
        with (self.directory / "places.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                index = len(places)
                places.append(
                    Place(
                        name=row["name"],
                        country=row["country"],
                        admin1=row["admin1"],
                        latitude=float(row["latitude"]),
                        longitude=float(row["longitude"]),
                        population=int(row["population"] or 0),
                    )
                )
                names = [row["name"], *filter(None, row["alternate_names"].split("|"))]
                for name in names:
                    exact.setdefault(raw_name(name), set()).add(index)
                    if key := raw_key(name):
                        keyed.setdefault(key, set()).add(index)
        return (
            places,
            {k: tuple(sorted(v)) for k, v in exact.items()},
            {k: tuple(sorted(v)) for k, v in keyed.items()},
        )

    def admin1_at(self, latitude: float, longitude: float) -> Admin1 | None:
        """The admin-1 the point lies in; None at sea, abroad, or beyond the shipped countries."""
        cell = (round(latitude, PRECISION), round(longitude, PRECISION))
        try:
            return self._at[cell]
        except KeyError:
            pass
        areas, geometries, grid = self._boundaries
        lat, lon = cell
        found = grid.get((math.floor(lon / GRID_STEP), math.floor(lat / GRID_STEP)))
        if isinstance(found, tuple):
            found = next(
                (areas[i] for i in found if shapely.intersects_xy(geometries[i], lon, lat)), None
            )
        with self._lock:
            if len(self._at) >= _CACHE_LIMIT:
                self._at.clear()
            self._at[cell] = found
        return found

    def admin1_named(self, text: str) -> Admin1 | None:
        """The one admin-1 ``text`` names, in any of its names or spellings ("Donetsk",
        "Донецька обл.", "Donetskaya oblast"); None when it names none or several."""
        if not text.strip():
            return None
        exact = name_key(text)
        for tier, key in zip(self._area_names, (exact, exact, place_key(text)), strict=True):
            if codes := tier.get(key):
                code = _unique(codes)
                return self.areas[code] if code else None
        return None

    def places_named(self, text: str, *, countries: Iterable[str] | None = None) -> list[Place]:
        """The places ``text`` names, by name or alternate name as written, else by place
        key ("Avdiivka", "Авдіївка", "Avdeevka"), in ``countries`` when given."""
        places, exact, keyed = self._places
        indices = exact.get(name_key(text)) or keyed.get(place_key(text)) or ()
        wanted = set(countries) if countries is not None else None
        return [places[i] for i in indices if wanted is None or places[i].country in wanted]


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The process-wide index over the shipped files."""
    return Gazetteer()


def admin1(code: str) -> Admin1:
    """The admin-1 of an ISO 3166-2 code of the shipped countries (KeyError otherwise)."""
    return gazetteer().areas[code]


def admin1_at(latitude: float, longitude: float) -> Admin1 | None:
    """The admin-1 a point lies in (see Gazetteer.admin1_at)."""
    return gazetteer().admin1_at(latitude, longitude)


@lru_cache(maxsize=4096)
def admin1_named(text: str) -> Admin1 | None:
    """The one admin-1 a name means (see Gazetteer.admin1_named)."""
    return gazetteer().admin1_named(text)


def places_named(text: str, *, countries: Iterable[str] | None = None) -> list[Place]:
    """The populated places a name means (see Gazetteer.places_named)."""
    return gazetteer().places_named(text, countries=countries)
