"""Small checks for the GeoJSON (RFC 7946, longitude first) stored on clauses."""

from typing import Any


def _ring_problem(ring: Any) -> str | None:
    if not isinstance(ring, list) or len(ring) < 4:
        return "a linear ring needs at least four positions"
    for position in ring:
        if (
            not isinstance(position, list | tuple)
            or len(position) < 2
            or not all(isinstance(v, int | float) for v in position[:2])
        ):
            return "each position must be [longitude, latitude]"
        lon, lat = position[0], position[1]
        if not -180 <= lon <= 180 or not -90 <= lat <= 90:
            return f"position {list(position)} is outside WGS84 (longitude first, then latitude)"
    if list(ring[0][:2]) != list(ring[-1][:2]):
        return "a linear ring must end where it starts"
    return None


def geometry_problem(geometry: Any) -> str | None:
    """Return why ``geometry`` is not a usable GeoJSON Polygon/MultiPolygon, or None."""
    if not isinstance(geometry, dict):
        return "GeoJSON geometry must be an object"
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        polygons = coordinates if isinstance(coordinates, list) else [None]
    else:
        return 'GeoJSON geometry type must be "Polygon" or "MultiPolygon"'
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return "a polygon must be a list of linear rings"
        for ring in polygon:
            problem = _ring_problem(ring)
            if problem:
                return f"GeoJSON {kind}: {problem}"
    return None
