"""Small checks for the GeoJSON (RFC 7946, longitude first) stored on clauses."""

from typing import Any

import shapely
import shapely.geometry


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


Box = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


def box_contains(box: Box, lon: float, lat: float) -> bool:
    """Whether the point lies in the box, edges included."""
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def box_within(inner: Box, outer: Box) -> bool:
    """Whether ``inner`` lies entirely inside ``outer``."""
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and (inner[3] <= outer[3])
    )


class Shape:
    """A Polygon or MultiPolygon prepared for many point tests (shapely, GEOS): a box
    comparison first, then a prepared point-in-polygon test that honours holes."""

    __slots__ = ("box", "geometry")

    def __init__(self, geometry: dict[str, Any]) -> None:
        self.geometry = shapely.geometry.shape(geometry)
        shapely.prepare(self.geometry)
        min_lon, min_lat, max_lon, max_lat = self.geometry.bounds
        self.box: Box = (min_lon, min_lat, max_lon, max_lat)

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the point lies in the shape (in a polygon, in none of its holes); a point
        on an edge counts as inside."""
        if not box_contains(self.box, lon, lat):
            return False
        return bool(shapely.intersects_xy(self.geometry, lon, lat))


def shape_of(geometry: Any) -> Shape | None:
    """The prepared shape of a stored geometry, or None when it is missing or unusable."""
    if geometry is None or geometry_problem(geometry) is not None:
        return None
    return Shape(geometry)
