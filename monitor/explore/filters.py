"""The explorer's filters: one parsed, bounded set of query parameters that the map, the
weekly series, the table, the exports and every "see these rows" link share.

The URL is the state: ``ExploreFilters.from_params(request.GET)`` reads it (a bad value
raises ``core.params.ParameterError``, answered with the 400 page), ``.query()`` writes it
back, and ``.apply(queryset)`` narrows observations the reader may already see (the access
policy is applied before, by ``reports.selectors.observations_visible_to``).

Parameters (docs/explore.md):
  agreement=CODE  clause=ID  category=CODE  party=CODE|unattributed  mission=CODE  area=NAME
  kind=K (repeatable)  verification=V (repeatable)  reliability=A..F (repeatable)
  credibility=1..6 (repeatable)  from=YYYY-MM-DD  to=YYYY-MM-DD (the calendar day it happened)
  known_at=DATE[THH:MM] (which filings count; default: everything filed so far)
  outside=period|area|any|none (flagged outside the clause's period / area; none: the rows
  the figures count)  place_mismatch=true|false  retrospective=true|false (filed after the
  fact: the report is archival)  within=min_lon,min_lat,max_lon,max_lat (a box on the map)
"""

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.urls import reverse

from agreements.models import Clause
from core.params import ParameterError, date_param, known_at_param, text_param
from reports.models import Observation
from reports.selectors import known_by_q

UNATTRIBUTED = "unattributed"
OUTSIDE_CHOICES = {
    "period": "Dated outside the clause's period",
    "area": "Placed outside the clause's areas",
    "any": "Outside the clause's period or areas",
    "none": "Counted (inside the clause's period and areas)",
}
BOOLEAN_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
# A repeated parameter takes at most this many values (there are at most six of any choice).
MOST_VALUES = 12
LONGEST_TEXT = 200


def _choices(params: Any, name: str, allowed: Iterable[str]) -> tuple[str, ...]:
    """Every value given for ``name`` (repeated parameters), each one of ``allowed``."""
    allowed = list(allowed)
    getlist = getattr(params, "getlist", None)
    given = getlist(name) if getlist else ([params[name]] if params.get(name) else [])
    values = [v for v in given if v != ""]
    if len(values) > MOST_VALUES:
        raise ParameterError(name, f"at most {MOST_VALUES} values", f"{len(values)} values")
    for value in values:
        if "\x00" in value or value not in allowed:
            raise ParameterError(name, "one of " + ", ".join(allowed), value.replace("\x00", "\\0"))
    return tuple(dict.fromkeys(values))  # in the order given, once each


def _text(params: Mapping[str, str], name: str) -> str:
    value = text_param(params, name).strip()
    if len(value) > LONGEST_TEXT:
        raise ParameterError(name, f"at most {LONGEST_TEXT} characters", value[:40] + "…")
    return value


def box_param(params: Mapping[str, str], name: str) -> tuple[float, float, float, float] | None:
    """``min_lon,min_lat,max_lon,max_lat`` in degrees (a box on the map), or None if absent."""
    value = _text(params, name)
    if not value:
        return None
    expected = "four numbers min_lon,min_lat,max_lon,max_lat, e.g. 37.5,47.8,38.2,48.3"
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in value.split(","))
    except ValueError:
        raise ParameterError(name, expected, value) from None
    if not all(map(math.isfinite, (min_lon, min_lat, max_lon, max_lat))):
        raise ParameterError(name, expected, value)
    if not (-90 <= min_lat <= max_lat <= 90):
        raise ParameterError(name, "latitudes from -90 to 90, the smaller first", value)
    # A map panned round the world gives longitudes past 180: the box is cut at the edges.
    min_lon, max_lon = max(min_lon, -180.0), min(max_lon, 180.0)
    if min_lon > max_lon:
        raise ParameterError(name, "longitudes from -180 to 180, the smaller first", value)
    return (min_lon, min_lat, max_lon, max_lat)


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _boolean(params: Mapping[str, str], name: str) -> bool | None:
    value = _text(params, name).lower()
    if not value:
        return None
    if value not in BOOLEAN_WORDS:
        raise ParameterError(name, "true or false", value)
    return BOOLEAN_WORDS[value]


@dataclass(frozen=True)
class ExploreFilters:
    """What the explorer shows; every field empty means every observation the reader sees."""

    agreement: str = ""
    clause: int | None = None
    category: str = ""
    party: str = ""  # a party's code, or "unattributed"
    mission: str = ""
    area: str = ""  # an admin area (oblast, province...), as stored (normalised at ingest)
    kind: tuple[str, ...] = ()
    verification: tuple[str, ...] = ()
    reliability: tuple[str, ...] = ()
    credibility: tuple[str, ...] = ()
    start: dt.date | None = None  # ?from=
    end: dt.date | None = None  # ?to=
    known_at: dt.datetime | None = None
    known_at_text: str = field(default="", compare=False)
    outside: str = ""
    place_mismatch: bool | None = None
    retrospective: bool | None = None
    # ?within=min_lon,min_lat,max_lon,max_lat: a box on the map ("show these in the table").
    within: tuple[float, float, float, float] | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> "ExploreFilters":
        clause_text = _text(params, "clause")
        if clause_text and not clause_text.isdigit():
            raise ParameterError(
                "clause", "a clause's number in the database (digits)", clause_text
            )
        outside = _text(params, "outside")
        if outside and outside not in OUTSIDE_CHOICES:
            raise ParameterError("outside", "one of " + ", ".join(OUTSIDE_CHOICES), outside)
        start, end = date_param(params, "from"), date_param(params, "to")
        if start and end and end < start:
            raise ParameterError("to", f"a day on or after from ({start})", str(end))
        known_at = known_at_param(params)
        if known_at is not None:
            known_at = min(known_at, dt.datetime.now(dt.UTC))
        return cls(
            agreement=_text(params, "agreement"),
            clause=int(clause_text) if clause_text else None,
            category=_text(params, "category"),
            party=_text(params, "party"),
            mission=_text(params, "mission"),
            area=_text(params, "area"),
            kind=_choices(params, "kind", Observation.Kind.values),
            verification=_choices(params, "verification", Observation.Verification.values),
            reliability=_choices(params, "reliability", Observation.Reliability.values),
            credibility=_choices(
                params, "credibility", [str(v) for v in Observation.Credibility.values]
            ),
            start=start,
            end=end,
            known_at=known_at,
            known_at_text=_text(params, "known_at") if known_at else "",
            outside=outside,
            place_mismatch=_boolean(params, "place_mismatch"),
            retrospective=_boolean(params, "retrospective"),
            within=box_param(params, "within"),
        )

    def q(self) -> Q:
        """The filters as one condition on ``Observation`` (the reader's bound aside)."""
        known_at = self.known_at or dt.datetime.now(dt.UTC)
        condition = known_by_q(known_at, "report__")
        simple = {
            "clause__agreement__code": self.agreement,
            "clause_id": self.clause,
            "clause__category": self.category,
            "report__mission__code": self.mission,
            "admin_area__iexact": self.area,
            "occurred_on__gte": self.start,
            "occurred_on__lte": self.end,
            "place_mismatch": self.place_mismatch,
            "report__archival": self.retrospective,
        }
        for lookup, value in simple.items():
            if value not in ("", None):
                condition &= Q(**{lookup: value})
        # The same days as a bound on the moment, which the (kind, occurred_at) index can use
        # (occurred_on has none): a calendar day anywhere lies within a day of the UTC one.
        if self.start:
            condition &= Q(occurred_at__gte=_utc_midnight(self.start - dt.timedelta(days=1)))
        if self.end:
            condition &= Q(occurred_at__lt=_utc_midnight(self.end + dt.timedelta(days=2)))
        if self.party == UNATTRIBUTED:
            condition &= Q(party__isnull=True)
        elif self.party:
            condition &= Q(party__code=self.party)
        many = {
            "kind__in": self.kind,
            "verification_status__in": self.verification,
            "source_reliability__in": self.reliability,
            "information_credibility__in": [int(v) for v in self.credibility],
        }
        for lookup, values in many.items():
            if values:
                condition &= Q(**{lookup: list(values)})
        if self.within is not None:
            min_lon, min_lat, max_lon, max_lat = self.within
            condition &= Q(
                longitude__gte=min_lon,
                longitude__lte=max_lon,
                latitude__gte=min_lat,
                latitude__lte=max_lat,
            )
        if self.outside == "period":
            condition &= Q(outside_period=True)
        elif self.outside == "area":
            condition &= Q(outside_area=True)
        elif self.outside == "any":
            condition &= Q(outside_period=True) | Q(outside_area=True)
        elif self.outside == "none":
            condition &= Q(outside_period=False, outside_area=False)
        return condition

    def apply(self, observations: QuerySet[Observation]) -> QuerySet[Observation]:
        return observations.filter(self.q())

    def params(self) -> list[tuple[str, str]]:
        """The non-empty filters as query parameters, in a stable order."""
        pairs: list[tuple[str, str]] = []
        for name, value in (
            ("agreement", self.agreement),
            ("clause", "" if self.clause is None else str(self.clause)),
            ("category", self.category),
            ("party", self.party),
            ("mission", self.mission),
            ("area", self.area),
        ):
            if value:
                pairs.append((name, value))
        for name in ("kind", "verification", "reliability", "credibility"):
            pairs.extend((name, v) for v in getattr(self, name))
        if self.start:
            pairs.append(("from", self.start.isoformat()))
        if self.end:
            pairs.append(("to", self.end.isoformat()))
        if self.known_at_text:
            pairs.append(("known_at", self.known_at_text))
        if self.outside:
            pairs.append(("outside", self.outside))
        for name in ("place_mismatch", "retrospective"):
            value = getattr(self, name)
            if value is not None:
                pairs.append((name, "true" if value else "false"))
        if self.within is not None:
            pairs.append(("within", ",".join(f"{v:g}" for v in self.within)))
        return pairs

    def query(self, **extra: str) -> str:
        """The query string of these filters (``extra``: sort, page... added after)."""
        return urlencode([*self.params(), *((k, v) for k, v in extra.items() if v)])

    def with_(self, **changes: Any) -> "ExploreFilters":
        return replace(self, **changes)

    @property
    def is_empty(self) -> bool:
        return not self.params()


def explore_url(**filters: Any) -> str:
    """The explorer showing ``filters`` (field names of ExploreFilters: ``start``/``end``
    are ``from``/``to``), e.g. ``explore_url(agreement="minsk-ii", kind=("violation",),
    party="unattributed", start=day, end=day, outside="none")``: what a scorecard's count links to.
    """
    known = {f.name for f in fields(ExploreFilters)}
    unknown = set(filters) - known
    if unknown:
        raise TypeError(f"Not an explorer filter: {', '.join(sorted(unknown))}")
    for name in ("kind", "verification", "reliability", "credibility"):
        if isinstance(filters.get(name), str):
            filters[name] = (filters[name],)
    if filters.get("known_at") and not filters.get("known_at_text"):
        filters["known_at_text"] = filters["known_at"].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    query = ExploreFilters(**filters).query()
    return reverse("explore:explore") + (f"?{query}" if query else "")


def clause_category_label(code: str) -> str:
    return dict(Clause.Category.choices).get(code, code)
