"""The explorer's basemap, offline: the outline of each country (the union of its admin-1
areas) and the admin-1 boundaries from agreements/data/geo/admin1.geojson (docs/geography.md),
simplified for a map of a country or a province. No tile server, nothing from the network.

Built once per process on first use (shapely, about a second) and served as one JSON document
with an ETag; the browser keeps it for a day.
"""

import hashlib
import json
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry import mapping, shape

from agreements.gazetteer import GEO_DIR

# Degrees: about 1 km, finer than a map of a province shows, and a document of ~100 KB
# instead of ~700 KB.
SIMPLIFY = 0.02
DECIMALS = 3
ATTRIBUTION = (
    'Boundaries: <a href="https://www.amcharts.com/" rel="noopener noreferrer">amCharts</a> '
    "(linkware), names: ISO 3166-2"
)
COUNTRY_NAMES = {"UA": "Ukraine", "TR": "Türkiye"}


def _rounded(geometry: Any) -> dict[str, Any]:
    return mapping(shapely.set_precision(geometry, 10**-DECIMALS))


@lru_cache(maxsize=1)
def basemap() -> tuple[bytes, str]:
    """The basemap as GeoJSON bytes and their ETag."""
    source = json.loads((GEO_DIR / "admin1.geojson").read_text(encoding="utf-8"))
    by_country: dict[str, list[Any]] = {}
    features = []
    for feature in source["features"]:
        props = feature["properties"]
        geometry = shape(feature["geometry"]).buffer(0)
        by_country.setdefault(props["country"], []).append(geometry)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": "admin1",
                    "name": props["name"],
                    "code": props["code"],
                    # Where the map writes its name: a point inside it (not the centroid,
                    # which a crescent-shaped area may not contain).
                    "label": [
                        round(c, DECIMALS) for c in geometry.representative_point().coords[0]
                    ],
                },
                "geometry": _rounded(geometry.simplify(SIMPLIFY, preserve_topology=True)),
            }
        )
    for country, parts in sorted(by_country.items()):
        outline = shapely.union_all(parts).simplify(SIMPLIFY, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": "country", "name": COUNTRY_NAMES.get(country, country)},
                "geometry": _rounded(outline),
            }
        )
    body = json.dumps(
        {"type": "FeatureCollection", "features": features}, separators=(",", ":")
    ).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
