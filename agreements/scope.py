"""Whether an observation falls within its clause: the clause's period and its areas.

Pure functions over data prepared once per payload (``agreements.selectors.clause_scopes``):
a row costs a few comparisons, a box test or a point-in-polygon test, and dictionary lookups.
A row is flagged only on evidence: a row without any place information, or with a place
nothing known decides, is not flagged.

Period: from the clause's ``in_force_from`` (else the agreement's entry into force, else its
signature, as ``agreement_in_force_q`` reads it) to the agreement's ``expires_on``, that whole
day included, in the agreement's zone. The start is an instant: the start day at the
agreement's ``in_force_time`` when it is the agreement's own day of entry into force,
otherwise at 00:00. A row dated without a time is compared by its calendar day
(``occurred_on``), one with a time by its instant.

Areas, in this order:
1. coordinates, when the clause's places have shapes: inside the clause's geometry, an area's
   geometry, or the bounding box of an area without geometry; outside when every place of the
   clause has a shape and the point is in none;
2. names: ``admin_area`` and ``place_name`` (keys of ``agreements.places``) or the row's area,
   matching a clause area, one of its descendants (``Area.parent``) or one whose box lies
   within a clause area's box, are inside; a known area elsewhere is outside, unless it
   contains a clause area (a row "in Zaporizhzhia oblast" may be in a corridor there); an
   unknown ``admin_area`` is outside only when the clause's areas are all first-level regions
   of a country (oblasts), since then it names another region.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from agreements.geo import Box, Shape, box_contains, box_within
from agreements.places import place_key
from core.days import end_of_day, local_instant, zone_or_utc

MONTHS = (
    *("January", "February", "March", "April", "May", "June", "July"),
    *("August", "September", "October", "November", "December"),
)
NOTE_LIMIT = 300


@lru_cache(maxsize=4096)
def day_text(day: dt.date) -> str:
    """A date written out: 3 January 2014."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _zone_text(zone: dt.tzinfo) -> str:
    key = getattr(zone, "key", "UTC")
    if key in ("UTC", "Etc/UTC"):
        return "UTC"
    return key.rsplit("/", 1)[-1].replace("_", " ") + " time"


@dataclass(frozen=True)
class Period:
    """When a clause binds: from ``start_at`` (its day ``start_day``) to the end of
    ``end_day``, ``end_at`` being the first instant after it; None is open."""

    clause_label: str
    agreement_label: str
    zone: dt.tzinfo
    start_day: dt.date | None = None
    start_at: dt.datetime | None = None
    end_day: dt.date | None = None
    end_at: dt.datetime | None = None


def period_of(
    *,
    clause_label: str,
    clause_start: dt.date | None,
    agreement_label: str,
    in_force_on: dt.date | None,
    signed_on: dt.date | None,
    in_force_time: dt.time | None,
    expires_on: dt.date | None,
    time_zone: str,
) -> Period:
    """The period of a clause from its own start and its agreement's dates, in its zone."""
    zone = zone_or_utc(time_zone)
    start_day = clause_start or in_force_on or signed_on
    start_at = end_at = None
    if start_day is not None:
        # The agreement's time of entry into force counts on its own day only.
        at = in_force_time if start_day == in_force_on else None
        start_at = local_instant(start_day, at, zone)
    if expires_on is not None:
        end_at = end_of_day(expires_on, zone)
    return Period(clause_label, agreement_label, zone, start_day, start_at, expires_on, end_at)


def period_problem(
    period: Period, *, occurred_at: dt.datetime, occurred_on: dt.date | None, date_only: bool
) -> str:
    """Why the row falls outside the period ("" when it does not)."""
    if date_only:
        day = occurred_on or occurred_at.astimezone(period.zone).date()
        before = period.start_day is not None and day < period.start_day
        after = period.end_day is not None and day > period.end_day
    else:
        before = period.start_at is not None and occurred_at < period.start_at
        after = period.end_at is not None and occurred_at >= period.end_at
    if not (before or after):
        return ""
    local = occurred_at.astimezone(period.zone)
    day = occurred_on or local.date()
    if before and period.start_day and period.start_at:
        bound_text = day_text(period.start_day)
        dated = day_text(day)
        if not date_only and day == period.start_day:
            # The same day on both sides: the times tell them apart.
            dated = f"{dated} at {local:%H:%M} ({_zone_text(period.zone)})"
            bound_text = f"{bound_text} at {period.start_at:%H:%M}"
        return f"dated {dated}, before {period.clause_label} took effect ({bound_text})"
    if after and period.end_day:
        ended = day_text(period.end_day)
        return f"dated {day_text(day)}, after {period.agreement_label} ended ({ended})"
    return ""


@dataclass(frozen=True)
class KnownArea:
    """An area as the checks need it."""

    pk: int
    name: str
    parent_id: int | None
    box: Box | None
    region: bool  # a first-level region of a country (admin level 0-1, country set)


@dataclass
class Places:
    """Every known area, by id and by name key (its name, code and aliases)."""

    areas: dict[int, KnownArea]
    by_key: dict[str, frozenset[int]]
    _children: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, areas: Iterable[tuple[KnownArea, frozenset[str]]]) -> "Places":
        known: dict[int, KnownArea] = {}
        by_key: dict[str, set[int]] = {}
        for area, keys in areas:
            known[area.pk] = area
            for key in keys:
                by_key.setdefault(key, set()).add(area.pk)
        children: dict[int, list[int]] = {}
        for area in known.values():
            if area.parent_id is not None:
                children.setdefault(area.parent_id, []).append(area.pk)
        frozen = {key: frozenset(ids) for key, ids in by_key.items()}
        return cls(known, frozen, children)

    def named(self, text: str) -> frozenset[int]:
        """The areas ``text`` names (several when spellings collide)."""
        return self.by_key.get(place_key(text), frozenset()) if text else frozenset()

    def descendants(self, pk: int) -> set[int]:
        """``pk`` and every area below it."""
        found, stack = set(), [pk]
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(self._children.get(current, ()))
        return found

    def ancestors(self, pk: int) -> set[int]:
        """Every area above ``pk``."""
        found: set[int] = set()
        parent = self.areas[pk].parent_id if pk in self.areas else None
        while parent is not None and parent not in found and parent in self.areas:
            found.add(parent)
            parent = self.areas[parent].parent_id
        return found


@dataclass(frozen=True)
class AreaScope:
    """Where a clause applies, prepared for many rows."""

    label: str  # the clause's areas (Donetsk oblast, Luhansk oblast)
    area_ids: frozenset[int]  # the clause's areas and every area below them
    keys: frozenset[str]  # the name keys of those
    containing_ids: frozenset[int]  # areas above a clause area: a row there is undecided
    boxes: tuple[Box, ...]  # the clause areas' boxes
    shapes: tuple[Shape | Box, ...]
    complete: bool  # every place of the clause has a shape
    regions: bool  # the clause's areas are all first-level regions of a country


def area_scope_of(
    *,
    area_ids: Iterable[int],
    geometry_shape: Shape | None,
    area_shapes: Mapping[int, Shape],
    area_keys: Mapping[int, frozenset[str]],
    places: Places,
) -> AreaScope | None:
    """The area scope of a clause with these areas and shape; None when it names no place."""
    clause_areas = [places.areas[pk] for pk in sorted(set(area_ids)) if pk in places.areas]
    if not clause_areas and geometry_shape is None:
        return None
    inside: set[int] = set()
    containing: set[int] = set()
    for area in clause_areas:
        inside |= places.descendants(area.pk)
        containing |= places.ancestors(area.pk)
    shapes: list[Shape | Box] = [geometry_shape] if geometry_shape is not None else []
    complete = True
    for area in clause_areas:
        shape = area_shapes.get(area.pk) or area.box
        if shape is None:
            complete = False
        else:
            shapes.append(shape)
    names = [area.name for area in clause_areas]
    if geometry_shape is not None:
        names.append("the area drawn for it")
    noun = "area" if len(names) == 1 else "areas"
    return AreaScope(
        label=f"the clause's {noun} ({', '.join(names)})",
        area_ids=frozenset(inside),
        keys=frozenset(key for pk in inside for key in area_keys.get(pk, ())),
        containing_ids=frozenset(containing - inside),
        boxes=tuple(area.box for area in clause_areas if area.box is not None),
        shapes=tuple(shapes),
        complete=complete,
        regions=bool(clause_areas) and all(area.region for area in clause_areas),
    )


def _in_shape(shape: Shape | Box, lon: float, lat: float) -> bool:
    return shape.contains(lon, lat) if isinstance(shape, Shape) else box_contains(shape, lon, lat)


def _by_coordinates(scope: AreaScope, lat: float | None, lon: float | None) -> bool | None:
    """True inside, False outside, None when the coordinates cannot tell."""
    if lat is None or lon is None or not scope.shapes:
        return None
    if any(_in_shape(shape, lon, lat) for shape in scope.shapes):
        return True
    return False if scope.complete else None


def _known_area_verdict(scope: AreaScope, places: Places, ids: frozenset[int]) -> bool | None:
    if ids & scope.area_ids:
        return True
    boxes = [places.areas[pk].box for pk in ids]
    if any(box is not None and box_within(box, outer) for box in boxes for outer in scope.boxes):
        return True
    if ids & scope.containing_ids or any(
        box is not None and box_within(inner, box) for box in boxes for inner in scope.boxes
    ):
        return None  # a larger area around the clause's: the row may be inside it
    return False


def area_problem(
    scope: AreaScope,
    places: Places,
    *,
    latitude: float | None,
    longitude: float | None,
    area_id: int | None,
    admin_area: str,
    place_name: str,
) -> str:
    """Why the row falls outside the clause's areas ("" when it does not or nothing tells)."""
    verdict = _by_coordinates(scope, latitude, longitude)
    if verdict is False:
        where = (
            f"{place_name} ({latitude:g}, {longitude:g})"
            if place_name
            else (f"{latitude:g}, {longitude:g}")
        )
        return f"placed at {where}, outside {scope.label}"
    if verdict:
        return ""
    if {place_key(admin_area), place_key(place_name)} & scope.keys:
        return ""
    ids = places.named(admin_area) | places.named(place_name)
    if area_id is not None:
        ids |= {area_id}
    if ids:
        known = _known_area_verdict(scope, places, ids)
        if known is not False:
            return ""
        name = admin_area or place_name or places.areas[next(iter(ids))].name
        return f"placed in {name}, outside {scope.label}"
    if admin_area and scope.regions and place_key(admin_area):
        return f"placed in {admin_area}, outside {scope.label}"
    return ""


@dataclass(frozen=True)
class ClauseScope:
    """A clause's period and areas, and whether its agreement rejects rows outside them."""

    period: Period
    area: AreaScope | None
    reject: bool


class ScopeVerdict(NamedTuple):
    outside_period: bool
    outside_area: bool
    note: str


IN_SCOPE = ScopeVerdict(False, False, "")


def scope_check(
    scope: ClauseScope,
    places: Places,
    *,
    occurred_at: dt.datetime,
    occurred_on: dt.date | None,
    date_only: bool,
    latitude: float | None,
    longitude: float | None,
    area_id: int | None,
    admin_area: str,
    place_name: str,
) -> ScopeVerdict:
    """The row's flags and the reason in plain words, both problems joined."""
    when = period_problem(
        scope.period, occurred_at=occurred_at, occurred_on=occurred_on, date_only=date_only
    )
    where = ""
    if scope.area is not None:
        where = area_problem(
            scope.area,
            places,
            latitude=latitude,
            longitude=longitude,
            area_id=area_id,
            admin_area=admin_area,
            place_name=place_name,
        )
    if not (when or where):
        return IN_SCOPE
    note = "; ".join(problem for problem in (when, where) if problem)
    if len(note) > NOTE_LIMIT:
        note = note[: NOTE_LIMIT - 1] + "…"
    return ScopeVerdict(bool(when), bool(where), note)
