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


Ring = tuple[tuple[float, float], ...]
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


def _ring_contains(ring: Ring, lon: float, lat: float) -> bool:
    """Even-odd ray casting towards east; a point on an edge may fall either way."""
    inside = False
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        if (y1 > lat) != (y2 > lat) and lon < (x1 - x2) * (lat - y2) / (y1 - y2) + x2:
            inside = not inside
        x1, y1 = x2, y2
    return inside


class Shape:
    """A Polygon or MultiPolygon prepared for many point tests: rings as tuples, each polygon
    with its bounding box, so most points are answered by a box comparison."""

    __slots__ = ("box", "polygons")

    def __init__(self, geometry: dict[str, Any]) -> None:
        coordinates = geometry["coordinates"]
        polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
        self.polygons: list[tuple[Box, Ring, tuple[Ring, ...]]] = []
        for polygon in polygons:
            outer, *holes = (tuple((float(p[0]), float(p[1])) for p in ring) for ring in polygon)
            lons, lats = [p[0] for p in outer], [p[1] for p in outer]
            box = (min(lons), min(lats), max(lons), max(lats))
            self.polygons.append((box, outer, tuple(holes)))
        self.box: Box = (
            min(p[0][0] for p in self.polygons),
            min(p[0][1] for p in self.polygons),
            max(p[0][2] for p in self.polygons),
            max(p[0][3] for p in self.polygons),
        )

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the point lies in one of the polygons and in none of that one's holes."""
        if not box_contains(self.box, lon, lat):
            return False
        return any(
            box_contains(box, lon, lat)
            and _ring_contains(outer, lon, lat)
            and not any(_ring_contains(hole, lon, lat) for hole in holes)
            for box, outer, holes in self.polygons
        )


def shape_of(geometry: Any) -> Shape | None:
    """The prepared shape of a stored geometry, or None when it is missing or unusable."""
    if geometry is None or geometry_problem(geometry) is not None:
        return None
    return Shape(geometry)
