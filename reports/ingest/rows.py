"""Validation of raw observation rows into database values, with errors a person can act on.

Every problem is reported as ``row N, field: problem``; a payload with any problem stores
nothing. The context is loaded once per payload (a few queries), never per row.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone

from agreements.gazetteer import (
    Admin1,
    Place,
    admin1,
    admin1_at,
    admin1_named,
    distance_km,
    places_named,
)
from agreements.models import Area, Clause, ControlArea, Party
from agreements.places import name_key
from agreements.scope import IN_SCOPE, ClauseScope, Places, ScopeVerdict, scope_check
from agreements.selectors import clause_scopes
from core.days import day_in, zone_or_utc
from reports.ingest.dates import DateProblem, Moment, check_not_future, read_moment
from reports.models import Observation, ObserverMission
from reports.parsers.base import RawRow
from reports.parsers.text import control_character, refusal, value_problem

MAX_TEXT = {
    "description": 10_000,
    "place_name": 200,
    "to_place_name": 200,
    "admin_area": 200,
    "control_area": 200,
    "source": 200,
    "actor": 200,
    "unit": 20,
}
MAX_ATTRIBUTES_CHARS = 20_000
# A named place this far from the row's coordinates, in another admin-1, flags the row.
NEAR_KM = 25.0
MAX_EVIDENCE_URLS = 50
_FORMULA = re.compile(r"^\s*[=+@\t\r]|^\s*-\s*[=A-Za-z_]+\s*\(")
_URL = re.compile(r"^https?://[^\s]+$")

KIND_SYNONYMS = {
    "violation": Observation.Kind.VIOLATION,
    "ceasefire violation": Observation.Kind.VIOLATION,
    "breach": Observation.Kind.VIOLATION,
    "compliance": Observation.Kind.COMPLIANCE,
    "complied": Observation.Kind.COMPLIANCE,
    "incident": Observation.Kind.INCIDENT,
    "access_restricted": Observation.Kind.ACCESS_RESTRICTED,
    "access restricted": Observation.Kind.ACCESS_RESTRICTED,
    "access denied": Observation.Kind.ACCESS_RESTRICTED,
    "restriction of movement": Observation.Kind.ACCESS_RESTRICTED,
    "freedom of movement restricted": Observation.Kind.ACCESS_RESTRICTED,
    "information": Observation.Kind.INFORMATION,
    "info": Observation.Kind.INFORMATION,
}
SEVERITY_WORDS = {
    "low": 1,
    "minor": 1,
    "moderate": 2,
    "medium": 2,
    "high": 3,
    "severe": 3,
    "critical": 4,
    "extreme": 4,
}
VERIFICATION = {v.lower(): v for v in Observation.Verification.values}
CLAUSE_KINDS = {Observation.Kind.VIOLATION, Observation.Kind.COMPLIANCE}


class ValidRow(NamedTuple):
    """One observation as validated, in the order of the observations table's columns (a
    tuple: the writers and the content hash take it as it is)."""

    kind: str
    clause_id: int | None
    party_id: int | None
    occurred_at: dt.datetime
    occurred_on: dt.date
    date_only: bool
    place_name: str
    admin_area: str
    area_id: int | None
    latitude: float | None
    longitude: float | None
    quantity: int | None
    severity: int
    description: str
    evidence_urls: list[str]
    source: str
    source_reliability: str
    information_credibility: int
    verification_status: str
    attributes: dict[str, object]
    # Derived from the clause, not sent: left out of the content hash (CONTENT_FIELDS).
    outside_period: bool
    outside_area: bool
    scope_note: str
    # Read from real-world files (issue 15): content, but hashed only when set, so a report
    # filed before these fields existed keeps its content hash (EXTRA_CONTENT).
    actor: str = ""
    amount: Decimal | None = None
    unit: str = ""
    to_place_name: str = ""
    to_latitude: float | None = None
    to_longitude: float | None = None
    # Derived from the gazetteer, like the scope flags: not content.
    place_mismatch: bool = False
    place_note: str = ""


# Columns of the observations table in the order the writers use.
COLUMNS = ["report_id", "sequence", *ValidRow._fields]
# The leading fields of a ValidRow that are the row's content (what a correction changes).
CONTENT_FIELDS = ValidRow._fields.index("outside_period")
# The later fields that are content too, hashed only when one of them is set.
EXTRA_CONTENT = slice(ValidRow._fields.index("actor"), ValidRow._fields.index("place_mismatch"))


class RowError(ValueError):
    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass
class RowContext:
    """Everything a row may refer to, loaded once for the payload's mission."""

    mission: ObserverMission
    agreement_code: str | None
    tz: dt.tzinfo
    date_format: str = ""
    # An actor no party is known by: "reject" the row, or "keep" its name as text (profiles).
    unknown_parties: str = "reject"
    # The import profile's time handling (reports.ingest.dates.read_moment).
    date_only: bool = False
    serial_dates: bool = True
    wall_time: bool = False
    # (agreement code, clause ref) -> clause id, for clauses this mission's mechanisms cover
    covered: dict[tuple[str, str], int] = field(default_factory=dict)
    all_refs: dict[tuple[str, str], int] = field(default_factory=dict)
    covered_agreements: set[str] = field(default_factory=set)
    by_category: dict[str, list[tuple[int, frozenset[int], dt.date | None]]] = field(
        default_factory=dict
    )
    # A party's code, name and aliases by name_key; a key two parties share names neither.
    parties: dict[str, int] = field(default_factory=dict)
    party_clashes: dict[str, list[str]] = field(default_factory=dict)
    # agreement code -> name_key of an area of control or alias -> (its party, its name)
    control_areas: dict[str, dict[str, tuple[int, str]]] = field(default_factory=dict)
    clause_agreements: dict[int, str] = field(default_factory=dict)
    areas: dict[str, int] = field(default_factory=dict)
    clauses_touched: set[int] = field(default_factory=set)
    # Where a timed observation's calendar day is counted: its clause's agreement's zone,
    # else the mission's.
    mission_zone: dt.tzinfo = dt.UTC
    clause_zones: dict[int, dt.tzinfo] = field(default_factory=dict)
    # Each covered clause's period and areas, and every known area (agreements.scope).
    scopes: dict[int, ClauseScope] = field(default_factory=dict)
    places: Places = field(default_factory=lambda: Places({}, {}))

    def day_of(self, moment: Moment, clause_id: int | None) -> dt.date:
        """The calendar day ``moment`` counts on for ``clause_id``: the day given when it
        was a date without a time (or local wall time, whose day is its own), else its day
        in the clause's agreement's zone."""
        if moment.day is not None:
            return moment.day
        return day_in(moment.at, self.clause_zones.get(clause_id or 0, self.mission_zone))

    @classmethod
    def load(
        cls,
        *,
        mission: ObserverMission,
        agreement_code: str | None,
        tz: dt.tzinfo,
        date_format: str = "",
        unknown_parties: str = "reject",
        date_only: bool = False,
        serial_dates: bool = True,
        wall_time: bool = False,
    ) -> "RowContext":
        ctx = cls(
            mission=mission,
            agreement_code=agreement_code,
            tz=tz,
            date_format=date_format,
            unknown_parties=unknown_parties,
            date_only=date_only,
            serial_dates=serial_dates,
            wall_time=wall_time,
        )
        ctx.mission_zone = zone_or_utc(mission.time_zone)
        covered_ids = set(
            Clause.objects.filter(mechanisms__missions=mission).values_list("pk", flat=True)
        )
        agreement_ids = set(
            Clause.objects.filter(pk__in=covered_ids).values_list("agreement_id", flat=True)
        )
        area_links: dict[int, set[int]] = {}
        for clause_id, area_id in Clause.areas.through.objects.filter(
            clause__agreement_id__in=agreement_ids
        ).values_list("clause_id", "area_id"):
            area_links.setdefault(clause_id, set()).add(area_id)
        for pk, ref, code, category, start, zone_name in Clause.objects.filter(
            agreement_id__in=agreement_ids
        ).values_list(
            "pk",
            "reference",
            "agreement__code",
            "category",
            "in_force_from",
            "agreement__time_zone",
        ):
            ctx.all_refs[(code, ref)] = pk
            ctx.clause_agreements[pk] = code
            ctx.clause_zones[pk] = zone_or_utc(zone_name)
            if pk in covered_ids:
                ctx.covered[(code, ref)] = pk
                ctx.covered_agreements.add(code)
                ctx.by_category.setdefault(category, []).append(
                    (pk, frozenset(area_links.get(pk, ())), start)
                )
        ctx._load_parties(agreement_ids)
        for pk, code, name in Area.objects.values_list("pk", "code", "name"):
            ctx.areas[code.lower()] = pk
            ctx.areas[name.lower()] = pk
        ctx.scopes, ctx.places = clause_scopes(clause_ids=covered_ids)
        return ctx

    def _load_parties(self, agreement_ids: set[int]) -> None:
        """Parties by code, name and alias, areas of control by agreement. A code or name
        wins over another party's alias; a name two parties share is left to neither."""
        rows = list(Party.objects.values_list("pk", "code", "name", "aliases"))
        label = {pk: name for pk, _, name, _ in rows}
        for rank in ("names", "aliases"):
            found: dict[str, set[int]] = {}
            for pk, code, name, aliases in rows:
                for text in [code, name] if rank == "names" else aliases or []:
                    key = name_key(str(text))
                    if key and key not in self.parties and key not in self.party_clashes:
                        found.setdefault(key, set()).add(pk)
            for key, pks in found.items():
                if len(pks) == 1:
                    self.parties[key] = pks.pop()
                else:
                    self.party_clashes[key] = sorted(label[pk] for pk in pks)
        for code, area, aliases, party_id in ControlArea.objects.filter(
            agreement_id__in=agreement_ids
        ).values_list("agreement__code", "name", "aliases", "party_id"):
            for text in [area, *(aliases or [])]:
                self.control_areas.setdefault(code, {})[name_key(str(text))] = (party_id, area)

    def area_named(self, admin_area: str) -> int | None:
        """The area ``admin_area`` names: by exact name or code, else by its one name key
        ("Donetska oblast" is Donetsk oblast); None when unknown or ambiguous."""
        if not admin_area:
            return None
        if (pk := self.areas.get(admin_area.lower())) is not None:
            return pk
        named = self.places.named(admin_area)
        return next(iter(named)) if len(named) == 1 else None


def _text(row: RawRow, name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise RowError(name, "must be text")
    text = str(value).strip()
    if len(text) > MAX_TEXT[name]:
        raise RowError(name, f"is {len(text)} characters long; the limit is {MAX_TEXT[name]}")
    if _FORMULA.match(text):
        raise RowError(
            name,
            f'"{text[:30]}" looks like a spreadsheet formula; it is refused so that no '
            "export can run it (remove the leading =, +, - or @)",
        )
    return text


def _number(row: RawRow, name: str, low: float, high: float) -> float | None:
    value = row.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RowError(name, "must be a number")
    try:
        number = (
            float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
        )
    except (TypeError, ValueError):  # TypeError: a JSON list or object
        raise RowError(name, f'"{str(value)[:30]}" is not a number') from None
    if number != number or not low <= number <= high:  # NaN or out of range
        raise RowError(name, f"{number:g} is out of range ({low:g} to {high:g})")
    return number


def _kind(row: RawRow) -> str:
    value = row.get("kind")
    if value is None or str(value).strip() == "":
        raise RowError(
            "kind",
            "is required (violation, compliance, incident, access_restricted or information)",
        )
    kind = KIND_SYNONYMS.get(" ".join(str(value).strip().lower().replace("-", " ").split()))
    if kind is None:
        raise RowError(
            "kind",
            f'"{str(value)[:40]}" is not one of violation, compliance, '
            "incident, access_restricted, information",
        )
    return kind


def _severity(row: RawRow) -> int:
    value = row.get("severity")
    if value is None or value == "":
        return Observation.Severity.MODERATE
    if isinstance(value, str) and value.strip().lower() in SEVERITY_WORDS:
        return SEVERITY_WORDS[value.strip().lower()]
    try:
        level = int(str(value).strip()) if not isinstance(value, int | float) else int(value)
    except ValueError:
        raise RowError(
            "severity", f'"{str(value)[:20]}" is not 1-4 or low/moderate/high/critical'
        ) from None
    if isinstance(value, float) and not value.is_integer() or not 1 <= level <= 4:
        raise RowError("severity", f"{value} is not 1-4")
    return level


def _grades(row: RawRow) -> tuple[str, int]:
    reliability = row.get("source_reliability")
    credibility = row.get("information_credibility")
    grade = row.get("grade")
    if grade not in (None, ""):
        text = str(grade).strip().upper()
        if not re.fullmatch(r"[A-F][1-6]", text):
            raise RowError("grade", f'"{text[:10]}" is not an Admiralty grade such as B2')
        reliability, credibility = text[0], int(text[1])
    reliability = "F" if reliability in (None, "") else str(reliability).strip().upper()
    if reliability not in "ABCDEF" or len(reliability) != 1:
        raise RowError("source_reliability", f'"{reliability[:10]}" is not A-F')
    try:
        credibility = 6 if credibility in (None, "") else int(str(credibility).strip())
    except ValueError:
        raise RowError("information_credibility", f'"{credibility}" is not 1-6') from None
    if not 1 <= credibility <= 6:
        raise RowError("information_credibility", f"{credibility} is not 1-6")
    return reliability, credibility


def _urls(row: RawRow) -> list[str]:
    value = row.get("evidence_urls")
    if value in (None, "", []):
        return []
    urls = value.split() if isinstance(value, str) else value
    if not isinstance(urls, list) or len(urls) > MAX_EVIDENCE_URLS:
        raise RowError("evidence_urls", f"must be a list of at most {MAX_EVIDENCE_URLS} links")
    for url in urls:
        if not isinstance(url, str) or not _URL.match(url) or len(url) > 2000:
            raise RowError("evidence_urls", f'"{str(url)[:60]}" is not an http(s) link')
    return urls


_AMOUNT_HINT = (
    "quantity is a whole count; map a measured column (12.5 tonnes) to amount instead, with "
    "its unit in the cell (12.5 t), a unit column or the profile's set"
)


def _quantity(row: RawRow) -> int | None:
    try:
        value = _number(row, "quantity", 0, 2_000_000_000)
    except RowError as exc:
        if "is not a number" not in str(exc):
            raise
        problem = str(exc).removeprefix("quantity: ")
        raise RowError("quantity", f"{problem}; {_AMOUNT_HINT}") from None
    if value is None:
        return None
    if not float(value).is_integer():
        shown = str(row["quantity"]).strip()[:30]
        raise RowError("quantity", f"{shown} is not a whole number; {_AMOUNT_HINT}")
    return int(value)


def _party(row: RawRow, ctx: RowContext, clause_id: int | None) -> tuple[int | None, str, str]:
    """The party a row names (by code, name or alias, in any case, spacing or punctuation),
    else the one its area of control is attributed to by the row's agreement; with the
    actor and the area of control as the row names them. An actor or area no party is known
    by is refused, or kept as text when the profile says so."""
    value = row.get("party")
    area = _text(row, "control_area")
    if value in (None, ""):
        return _controlled_by(row, ctx, clause_id, area), "", area
    actor = _text({"actor": value}, "actor")
    key = name_key(actor)
    party_id = ctx.parties.get(key)
    if party_id is None and key in ctx.party_clashes:
        clash = " and ".join(ctx.party_clashes[key])
        raise RowError("party", f'"{actor[:60]}" is a name of both {clash}: give the party code')
    if party_id is None and ctx.unknown_parties != "keep":
        raise RowError("party", f'unknown party "{actor[:60]}"')
    return party_id, actor, area


def _controlled_by(row: RawRow, ctx: RowContext, clause_id: int | None, area: str) -> int | None:
    """The side the row's agreement attributes an area of control to."""
    if not area:
        return None
    agreement = (
        ctx.clause_agreements.get(clause_id or 0)
        or str(row.get("agreement") or "").strip()
        or ctx.agreement_code
        or (next(iter(ctx.covered_agreements)) if len(ctx.covered_agreements) == 1 else "")
    )
    known = ctx.control_areas.get(agreement, {})
    party_id, _ = known.get(name_key(area), (None, ""))
    if party_id is None and ctx.unknown_parties != "keep":
        names = sorted({name for _, name in known.values()})
        listed = f" (known: {'; '.join(names)})" if names else ""
        raise RowError(
            "control_area",
            f'unknown area of control "{area[:60]}" for {agreement or "this report"}{listed}',
        )
    return party_id


def _amount(row: RawRow) -> Decimal | None:
    """A measured quantity, decimals allowed ("12.5", "12,5", 12.5)."""
    value = row.get("amount")
    if value is None or value == "":
        return None
    if isinstance(value, bool | dict | list):
        raise RowError("amount", "must be a number")
    text = str(value).strip().replace(",", ".") if isinstance(value, str) else repr(value)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise RowError("amount", f'"{str(value)[:30]}" is not a number') from None
    if not amount.is_finite() or not 0 <= amount < Decimal(10) ** 14:
        raise RowError("amount", f"{str(value)[:30]} is out of range (0 to 10^14)")
    return amount.quantize(Decimal("0.000001"))


def _clause(
    row: RawRow, ctx: RowContext, kind: str, occurred: Moment, area_id: int | None
) -> int | None:
    ref = row.get("clause")
    agreement = str(row.get("agreement") or "").strip()
    if ref not in (None, ""):
        ref = str(ref).strip()
        if ":" in ref and not agreement:
            # "agreement-code:ref" names its agreement; the report's default is for bare refs.
            agreement, ref = ref.split(":", 1)
        agreement = agreement or str(ctx.agreement_code or "").strip()
        if not agreement:
            if len(ctx.covered_agreements) != 1:
                raise RowError(
                    "clause", 'name the agreement (field agreement, or "agreement-code:ref")'
                )
            agreement = next(iter(ctx.covered_agreements))
        key = (agreement, ref)
        if key in ctx.covered:
            return ctx.covered[key]
        if key in ctx.all_refs:
            raise RowError(
                "clause",
                f'clause "{ref}" of {agreement} is not watched by mission '
                f"{ctx.mission.code}'s mechanisms",
            )
        if agreement not in {code for code, _ in ctx.all_refs}:
            raise RowError(
                "agreement",
                f'"{agreement}" is not an agreement mission {ctx.mission.code} monitors',
            )
        raise RowError("clause", f'there is no clause "{ref}" in {agreement}')
    category = str(row.get("category") or "").strip().lower()
    if category:
        candidates = [
            c
            for c in ctx.by_category.get(category, [])
            if c[2] is None or c[2] <= ctx.day_of(occurred, c[0])
        ]
        if area_id is not None:
            in_area = [c for c in candidates if area_id in c[1]]
            candidates = in_area or [c for c in candidates if not c[1]]
        if len(candidates) == 1:
            return candidates[0][0]
        if len(candidates) > 1:
            raise RowError(
                "clause",
                f'category "{category}" matches {len(candidates)} clauses '
                "here; give the clause reference",
            )
        if kind in CLAUSE_KINDS:
            raise RowError(
                "category",
                f'no clause of category "{category}" watched by this '
                "mission was in force there and then",
            )
        return None
    if kind in CLAUSE_KINDS:
        raise RowError("clause", f"a {kind} must name the clause (or a category to match it)")
    return None


def _json_value(value: object) -> object:
    """Spreadsheet cells (dates, times, durations) as JSON-storable attribute values."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value


def _row_texts(row: RawRow) -> list[str] | None:
    """Every key and text of a row whose values are flat (attributes one level deep), or
    None when something is nested deeper or not text-keyed: then each value is walked."""
    texts: list[str] = []
    for name, value in row.items():
        texts.append(name)
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or isinstance(item, dict | list):
                    return None
                texts.append(key)
                if isinstance(item, str):
                    texts.append(item)
        elif isinstance(value, list):
            return None
    return texts


def _check_text(row: RawRow) -> None:
    """Control characters anywhere in the row, keys included, before any value is quoted
    back in a message (PostgreSQL refuses NUL in text, so it must never reach a column)."""
    texts = _row_texts(row)
    # One search over the whole row (tab is allowed, so joining adds nothing refused); the
    # value that holds a refused character is found below only when there is one.
    if texts is not None and control_character("\t".join(texts)) is None:
        return
    for name, value in row.items():
        if problem := value_problem(name):
            raise RowError("row", f"a field name {refusal(problem)}")
        if problem := value_problem(value):
            raise RowError(name, refusal(problem))


def _occurred(row: RawRow, ctx: RowContext) -> Moment:
    raw_time = row.get("occurred_at")
    if raw_time in (None, ""):
        raise RowError("occurred_at", "is required")
    try:
        occurred = read_moment(
            raw_time,
            tz=ctx.tz,
            date_format=ctx.date_format,
            date_only=ctx.date_only,
            serial_dates=ctx.serial_dates,
            wall_time=ctx.wall_time,
        )
        check_not_future(
            occurred.at,
            now=timezone.now(),
            tolerance_hours=settings.INGEST_FUTURE_TOLERANCE_HOURS,
        )
    except DateProblem as exc:
        raise RowError("occurred_at", str(exc)) from None
    return occurred


class PlaceCheck(NamedTuple):
    admin_area: str
    mismatch: bool
    note: str


def _place(
    latitude: float | None, longitude: float | None, admin_area: str, place_name: str
) -> PlaceCheck:
    """The row's place against the shipped boundaries and gazetteer (docs/geography.md): an
    admin-1 named in any spelling is written in its one form, a blank admin area is filled
    from the coordinates (or from a place name only one admin-1 has), and coordinates that
    lie in another admin-1 than the row names are flagged in words; the row is kept."""
    named = admin1_named(admin_area) if admin_area else None
    if latitude is None or longitude is None:
        if named is None and not admin_area and place_name:
            named = _place_admin1(place_name)
        return PlaceCheck(named.name if named is not None else admin_area, False, "")
    at = admin1_at(latitude, longitude)
    if at is None:
        return PlaceCheck(named.name if named is not None else admin_area, False, "")
    notes = []
    if named is not None and named.code != at.code:
        notes.append(
            f"coordinates {_point(latitude, longitude)} lie in {at.name}, not {named.name} as named"
        )
    if place_name and (far := _place_far(place_name, at, latitude, longitude)):
        place, km = far
        where = admin1(place.admin1).name
        notes.append(
            f"{place_name} ({where}) is {km:.0f} km from them"
            if notes
            else f"{place_name} is in {where}, {km:.0f} km from the coordinates "
            f"{_point(latitude, longitude)} in {at.name}"
        )
    area = named.name if named is not None else admin_area or at.name
    note = "; ".join(notes)
    return PlaceCheck(area, bool(notes), note if len(note) <= 300 else note[:299] + "…")


def _point(latitude: float, longitude: float) -> str:
    return f"{round(latitude, 4):g}, {round(longitude, 4):g}"


def _place_far(
    place_name: str, at: Admin1, latitude: float, longitude: float
) -> tuple[Place, float] | None:
    """The nearest place of that name in the point's country, when every such place lies in
    one other admin-1 and none is within NEAR_KM of the point."""
    places, region = _places_in_one_admin1(place_name, at.country)
    if region is None or region == at.code:
        return None
    km, nearest = min(
        (distance_km(latitude, longitude, p.latitude, p.longitude), i) for i, p in enumerate(places)
    )
    return (places[nearest], km) if km > NEAR_KM else None


@lru_cache(maxsize=4096)
def _places_in_one_admin1(place_name: str, country: str) -> tuple[tuple[Place, ...], str | None]:
    """The places of that name in the country, and their admin-1 when they share one."""
    places = tuple(places_named(place_name, countries=(country,)))
    regions = {place.admin1 for place in places}
    return places, regions.pop() if len(regions) == 1 and "" not in regions else None


@lru_cache(maxsize=4096)
def _place_admin1(place_name: str) -> Admin1 | None:
    """The admin-1 of a place name when every place of that name lies in the same one."""
    regions = {place.admin1 for place in places_named(place_name)}
    return admin1(regions.pop()) if len(regions) == 1 and "" not in regions else None


def _scope(
    ctx: RowContext,
    clause_id: int | None,
    occurred: Moment,
    place: tuple[float | None, float | None, int | None, str, str],
) -> ScopeVerdict:
    """The row's place in its clause's period and areas (``place``: latitude, longitude,
    area, admin area, place name); a RowError with the reason instead when the clause's
    agreement rejects rows outside them."""
    scope = ctx.scopes.get(clause_id) if clause_id is not None else None
    if scope is None:
        return IN_SCOPE
    latitude, longitude, area_id, admin_area, place_name = place
    verdict = scope_check(
        scope,
        ctx.places,
        occurred_at=occurred.at,
        occurred_on=ctx.day_of(occurred, clause_id),
        date_only=occurred.date_only,
        latitude=latitude,
        longitude=longitude,
        area_id=area_id,
        admin_area=admin_area,
        place_name=place_name,
    )
    if not (verdict.note and scope.reject):
        return verdict
    if verdict.outside_period:
        name = "occurred_at"
    else:
        name = "latitude" if latitude is not None else "admin_area" if admin_area else "place_name"
    agreement = scope.period.agreement_label
    refusal = f"{agreement} takes no observations outside a clause's period or areas"
    raise RowError(name, f"{verdict.note}; {refusal}")


def validate_row(row: RawRow, ctx: RowContext) -> ValidRow:
    """One raw row to its column values (see COLUMNS, without report and sequence)."""
    if "__error__" in row:
        raise RowError("row", row["__error__"])
    _check_text(row)
    kind = _kind(row)
    occurred = _occurred(row, ctx)
    latitude = _number(row, "latitude", -90, 90)
    longitude = _number(row, "longitude", -180, 180)
    if (latitude is None) != (longitude is None):
        raise RowError(
            "latitude" if latitude is None else "longitude", "latitude and longitude come together"
        )
    to_latitude = _number(row, "to_latitude", -90, 90)
    to_longitude = _number(row, "to_longitude", -180, 180)
    if (to_latitude is None) != (to_longitude is None):
        raise RowError(
            "to_latitude" if to_latitude is None else "to_longitude",
            "to_latitude and to_longitude come together",
        )
    sent_area = _text(row, "admin_area")
    place_name = _text(row, "place_name")
    admin_area, place_mismatch, place_note = _place(latitude, longitude, sent_area, place_name)
    area_id = ctx.area_named(admin_area)
    clause_id = _clause(row, ctx, kind, occurred, area_id)
    scope = _scope(ctx, clause_id, occurred, (latitude, longitude, area_id, admin_area, place_name))
    party_id, actor, control_area = _party(row, ctx, clause_id)
    verification = str(row.get("verification_status") or "unverified").strip().lower()
    if verification not in VERIFICATION:
        raise RowError(
            "verification_status",
            f'"{verification[:20]}" is not one of unverified, corroborated, confirmed, disputed',
        )
    reliability, credibility = _grades(row)
    attributes = row.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise RowError("attributes", "must be an object")
    if row.get("id") not in (None, ""):
        attributes = {**attributes, "id": str(row["id"])[:200]}
    attributes = {k: _json_value(v) for k, v in attributes.items()}
    if sent_area and sent_area != admin_area:
        attributes["admin_area_as_sent"] = sent_area
    if control_area:
        attributes["control_area"] = control_area
    if len(str(attributes)) > MAX_ATTRIBUTES_CHARS:
        raise RowError("attributes", f"are longer than {MAX_ATTRIBUTES_CHARS} characters")
    for value in attributes.values():
        if isinstance(value, str) and _FORMULA.match(value):
            raise RowError("attributes", f'"{value[:30]}" looks like a spreadsheet formula')
    if clause_id is not None:
        ctx.clauses_touched.add(clause_id)
    return ValidRow(
        kind,
        clause_id,
        party_id,
        occurred.at,
        ctx.day_of(occurred, clause_id),
        occurred.date_only,
        place_name,
        admin_area,
        area_id,
        latitude,
        longitude,
        _quantity(row),
        _severity(row),
        _text(row, "description"),
        _urls(row),
        _text(row, "source"),
        reliability,
        credibility,
        VERIFICATION[verification],
        attributes,
        *scope,
        actor=actor,
        amount=_amount(row),
        unit=_text(row, "unit"),
        to_place_name=_text(row, "to_place_name"),
        to_latitude=to_latitude,
        to_longitude=to_longitude,
        place_mismatch=place_mismatch,
        place_note=place_note,
    )
