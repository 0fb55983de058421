"""Reads of agreements shared by the admin, the API, the rules and the scorecards."""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from accounts.access import Reader, reach_of
from agreements.geo import shape_of
from agreements.models import (
    Agreement,
    Area,
    Clause,
    ImplementationAssessment,
    VerificationMechanism,
)
from agreements.places import place_keys
from agreements.scope import ClauseScope, KnownArea, Places, area_scope_of, period_of
from core.days import day_in, end_of_day, local_instant, zone_or_utc

# Statuses under which an agreement binds (a terminated one until it expires).
BINDING_STATUSES = [
    Agreement.Status.PROVISIONAL,
    Agreement.Status.SIGNED,
    Agreement.Status.IN_FORCE,
    Agreement.Status.TERMINATED,
]


def clause_tree(*, agreement: Agreement) -> list[tuple[int, Clause]]:
    """The agreement's clauses in document order, each with its depth in the tree."""
    clauses = list(agreement.clauses.order_by("position", "id"))
    children: dict[int | None, list[Clause]] = {}
    for clause in clauses:
        children.setdefault(clause.parent_id, []).append(clause)
    ordered: list[tuple[int, Clause]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for clause in children.get(parent_id, []):
            ordered.append((depth, clause))
            walk(clause.pk, depth + 1)

    walk(None, 0)
    return ordered


def clauses_with_latest_level(*, as_of: dt.date | None = None) -> QuerySet[Clause]:
    """Clauses annotated with ``latest_level``: the newest 0-3 assessment (made on or before
    ``as_of`` when given), or None."""
    latest = ImplementationAssessment.objects.filter(clause=OuterRef("pk"))
    if as_of is not None:
        latest = latest.filter(assessed_on__lte=as_of)
    latest = latest.order_by("-assessed_on", "-created_at")
    return Clause.objects.annotate(latest_level=Subquery(latest.values("level")[:1]))


def agreement_in_force_q(day: dt.date, prefix: str = "") -> Q:
    """Agreements binding on ``day``: started, not expired, not draft or suspended.

    A terminated agreement counts for the days before its ``expires_on``; without that date
    it is taken as no longer binding. A suspension has no dates, so it counts as now.
    """
    p = prefix
    return (
        Q(**{f"{p}status__in": BINDING_STATUSES})
        & (
            Q(**{f"{p}in_force_on__lte": day})
            | Q(**{f"{p}in_force_on__isnull": True, f"{p}signed_on__lte": day})
        )
        & (Q(**{f"{p}expires_on__isnull": True}) | Q(**{f"{p}expires_on__gte": day}))
        & ~Q(**{f"{p}status": Agreement.Status.TERMINATED, f"{p}expires_on__isnull": True})
    )


def agreement_zone(agreement: Agreement) -> dt.tzinfo:
    """The zone the agreement's dates and times are read in (UTC if the name is unknown)."""
    return zone_or_utc(agreement.time_zone)


def agreement_in_force_at(agreement: Agreement) -> dt.datetime | None:
    """The instant the agreement enters into force: ``in_force_on`` (else ``signed_on``) at
    ``in_force_time`` (else the start of that day) in its zone; None without a date.

    Minsk II: 15 February 2015 at 00:00 in Europe/Kyiv, i.e. 22:00 UTC on the 14th.
    """
    day = agreement.in_force_on or agreement.signed_on
    if day is None:
        return None
    return local_instant(day, agreement.in_force_time, agreement_zone(agreement))


def deadline_instant(
    day: dt.date | None, time: dt.time | None, zone: dt.tzinfo
) -> dt.datetime | None:
    """The instant a deadline passes: ``day`` at ``time`` in ``zone``, or, without a time,
    the end of that day there (the whole day counts)."""
    if day is None:
        return None
    return local_instant(day, time, zone) if time is not None else end_of_day(day, zone)


def clause_deadline_at(clause: Clause) -> dt.datetime | None:
    """The instant the clause's deadline passes (``deadline_instant`` in its agreement's
    zone); None without a deadline."""
    return deadline_instant(clause.deadline, clause.deadline_time, agreement_zone(clause.agreement))


def agreements_in_force_at(as_of: dt.datetime) -> dict[dt.date, list[int]]:
    """The agreements binding at the instant ``as_of``, grouped by the calendar day it is in
    each one's zone: entered into force (date and time, ``agreement_in_force_at``), not past
    the end of its ``expires_on`` there, not draft or suspended; terminated ones only with an
    expiry date. Agreements are few: one query, the instants computed here."""
    binding = Agreement.objects.filter(status__in=BINDING_STATUSES).exclude(
        status=Agreement.Status.TERMINATED, expires_on__isnull=True
    )
    fields = ("pk", "signed_on", "in_force_on", "in_force_time", "expires_on", "time_zone")
    by_day: dict[dt.date, list[int]] = {}
    for agreement in binding.only(*fields):
        start = agreement_in_force_at(agreement)
        zone = agreement_zone(agreement)
        if start is None or as_of < start:
            continue
        if agreement.expires_on is not None and as_of >= end_of_day(agreement.expires_on, zone):
            continue
        by_day.setdefault(day_in(as_of, zone), []).append(agreement.pk)
    return by_day


def clauses_in_force(clauses: QuerySet[Clause], as_of: dt.datetime) -> QuerySet[Clause]:
    """Those of ``clauses`` binding at the instant ``as_of``: their agreement in force then
    (its time and zone honoured), their own start (if any) reached on the calendar day
    ``as_of`` is in the agreement's zone. Still one query over the clauses."""
    in_force = Q(pk__in=[])
    for day, agreement_ids in agreements_in_force_at(as_of).items():
        in_force |= Q(agreement_id__in=agreement_ids) & (
            Q(in_force_from__isnull=True) | Q(in_force_from__lte=day)
        )
    return clauses.filter(in_force)


def mechanism_active_q(day: dt.date, prefix: str = "") -> Q:
    """Mechanisms active on ``day`` (both ends of the active period count)."""
    p = prefix
    return (Q(**{f"{p}active_from__isnull": True}) | Q(**{f"{p}active_from__lte": day})) & (
        Q(**{f"{p}active_until__isnull": True}) | Q(**{f"{p}active_until__gte": day})
    )


def agreement_days(as_of: dt.datetime) -> dict[dt.date, list[int]]:
    """Every agreement's id grouped by the calendar day the instant ``as_of`` is in its zone
    (one query; the days are one or two)."""
    by_zone: dict[str, list[int]] = {}
    for pk, zone_name in Agreement.objects.values_list("pk", "time_zone"):
        by_zone.setdefault(zone_name, []).append(pk)
    days: dict[dt.date, list[int]] = {}
    for zone_name, ids in by_zone.items():
        days.setdefault(day_in(as_of, zone_or_utc(zone_name)), []).extend(ids)
    return days


def mechanism_active_at_q(as_of: dt.datetime, prefix: str = "") -> Q:
    """Mechanisms active at the instant ``as_of``: ``mechanism_active_q`` of the calendar day
    it is in their agreement's zone."""
    active = Q(**{f"{prefix}pk__in": []})
    for day, agreement_ids in agreement_days(as_of).items():
        active |= Q(**{f"{prefix}agreement_id__in": agreement_ids}) & mechanism_active_q(
            day, prefix
        )
    return active


def watched_by_active_mechanism(as_of: dt.datetime) -> Exists:
    """For an annotation of clauses: whether a mechanism active at ``as_of`` (on the day it is
    in the agreement's zone) covers the clause."""
    return Exists(
        VerificationMechanism.objects.filter(mechanism_active_at_q(as_of), clauses=OuterRef("pk"))
    )


def agreements_readable_by(*, user: Reader) -> QuerySet[Agreement]:
    """Agreement texts (clauses, mechanisms, parties): public documents, read by every role."""
    if reach_of(user).role in ("anonymous", "none"):
        return Agreement.objects.none()
    return Agreement.objects.all()


def agreements_with_figures_for(*, user: Reader) -> QuerySet[Agreement]:
    """Agreements whose scorecards, alerts and feed the user reads: every one for analysts,
    administrators and consumers, those its missions serve for an observer, none otherwise."""
    scope = reach_of(user).figures
    if scope == "all":
        return Agreement.objects.all()
    if scope == "own":
        served = Agreement.objects.filter(mechanisms__missions__members=user.pk).values("pk")
        return Agreement.objects.filter(pk__in=served)
    return Agreement.objects.none()


def clauses_watched_for(*, user: Reader) -> QuerySet[Clause]:
    """Clauses an observer may file observations on: those its missions' mechanisms watch;
    every clause for a user whose records are not bounded by missions."""
    if reach_of(user).records != "own":
        return Clause.objects.all()
    covered = Clause.objects.filter(mechanisms__missions__members=user.pk).values("pk")
    return Clause.objects.filter(pk__in=covered)


def places_known() -> tuple[Places, dict[int, frozenset[str]]]:
    """Every area for the scope checks, with the name keys of each (name, code, aliases)."""
    areas, keys = [], {}
    rows = Area.objects.values_list(
        "pk", "code", "name", "aliases", "parent_id", "admin_level", "country",
        "min_lon", "min_lat", "max_lon", "max_lat",
    )  # fmt: skip
    for pk, code, name, aliases, parent_id, level, country, *box in rows:
        aliases = [a for a in aliases if isinstance(a, str)] if isinstance(aliases, list) else []
        keys[pk] = place_keys([name, code, *aliases])
        west, south, east, north = box
        full_box = None
        if west is not None and south is not None and east is not None and north is not None:
            full_box = (west, south, east, north)
        region = level <= 1 and bool(country)
        areas.append((KnownArea(pk, name, parent_id, full_box, region), keys[pk]))
    return Places.build(areas), keys


def clause_scopes(*, clause_ids: Iterable[int]) -> tuple[dict[int, ClauseScope], Places]:
    """The period and areas of each clause, and every known area, loaded in a few queries for
    checking many rows (``agreements.scope.scope_check``)."""
    places, keys = places_known()
    clause_ids = set(clause_ids)
    links: dict[int, list[int]] = {}
    for clause_id, area_id in Clause.areas.through.objects.filter(
        clause_id__in=clause_ids
    ).values_list("clause_id", "area_id"):
        links.setdefault(clause_id, []).append(area_id)
    linked = {pk for ids in links.values() for pk in ids}
    area_shapes = {
        pk: shape
        for pk, geometry in Area.objects.filter(pk__in=linked, geometry__isnull=False).values_list(
            "pk", "geometry"
        )
        if (shape := shape_of(geometry)) is not None
    }
    scopes = {}
    clauses = Clause.objects.filter(pk__in=clause_ids).select_related("agreement")
    for clause in clauses.only(
        "reference", "in_force_from", "geometry", *(f"agreement__{f}" for f in _PERIOD_FIELDS)
    ):
        agreement = clause.agreement
        period = period_of(
            clause_label=f"clause {clause.reference}",
            clause_start=clause.in_force_from,
            agreement_label=agreement.short_title or agreement.title,
            in_force_on=agreement.in_force_on,
            signed_on=agreement.signed_on,
            in_force_time=agreement.in_force_time,
            expires_on=agreement.expires_on,
            time_zone=agreement.time_zone,
        )
        area = area_scope_of(
            area_ids=links.get(clause.pk, ()),
            geometry_shape=shape_of(clause.geometry),
            area_shapes=area_shapes,
            area_keys=keys,
            places=places,
        )
        reject = agreement.out_of_scope_rows == Agreement.OutOfScopeRows.REJECT
        scopes[clause.pk] = ClauseScope(period=period, area=area, reject=reject)
    return scopes, places


_PERIOD_FIELDS = (
    "short_title", "title", "in_force_on", "signed_on", "in_force_time", "expires_on",
    "time_zone", "out_of_scope_rows",
)  # fmt: skip
