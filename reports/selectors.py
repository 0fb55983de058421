"""Reads of reports' row-level records, bounded by the reader's reach (accounts.access).

Every page, export, endpoint and admin list that shows missions, reports, observations,
payloads or evidence files reads them through these functions; the rules and the scorecards
read the observations as they stood at a moment, and the period the mechanisms' reports last
covered, here.
"""

import datetime as dt
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import DateTimeField, F, Max, Model, Q, QuerySet, Value
from django.db.models.functions import Least

from accounts.access import Reader, reach_of
from agreements.models import Clause, VerificationMechanism
from agreements.selectors import clauses_watched_for
from reports.models import (
    EvidenceFile,
    InboundPayload,
    Observation,
    ObserverMission,
    Report,
    ReportStatus,
)

M = TypeVar("M", bound=Model)
FILED = [ReportStatus.ACCEPTED, ReportStatus.SUPERSEDED]


def missions_for_user(*, user: Reader) -> QuerySet[ObserverMission]:
    """Missions whose records the user reads and for which it may act: its own for
    observers, every one for analysts and administrators, none otherwise."""
    scope = reach_of(user).records
    if scope == "all":
        return ObserverMission.objects.all()
    if scope == "own":
        return ObserverMission.objects.filter(members=user.pk)
    return ObserverMission.objects.none()


def own_mission_ids(*, user: Reader) -> QuerySet[ObserverMission, Any]:
    """The ids of the missions ``user`` is a member of, as a subquery."""
    return ObserverMission.objects.filter(members=user.pk).values("pk")


def _own(queryset: QuerySet[M], user: Reader, path: str) -> QuerySet[M]:
    scope = reach_of(user).records
    if scope == "all":
        return queryset
    if scope == "own":
        return queryset.filter(**{f"{path}__in": own_mission_ids(user=user)})
    return queryset.none()


def reports_visible_to(*, user: Reader) -> QuerySet[Report]:
    return _own(Report.objects.all(), user, "mission")


def payloads_visible_to(*, user: Reader) -> QuerySet[InboundPayload]:
    """Payloads of the user's missions, and those it sent itself (one rejected before its
    mission was read has no mission to be seen through)."""
    scoped = _own(InboundPayload.objects.all(), user, "mission")
    if reach_of(user).records == "own":
        return InboundPayload.objects.filter(Q(pk__in=scoped.values("pk")) | Q(sender=user))
    return scoped


def observations_visible_to(*, user: Reader) -> QuerySet[Observation]:
    """Observations of filed (accepted or since corrected) reports the user may read."""
    return _own(Observation.objects.filter(report__status__in=FILED), user, "report__mission")


def evidence_files_visible_to(*, user: Reader) -> QuerySet[EvidenceFile]:
    """Files of reports the user may read, and files staged on its missions."""
    return _own(EvidenceFile.objects.all(), user, "mission")


def observations_withheld_from(*, user: Reader, observations: QuerySet[Observation]) -> int:
    """How many of ``observations`` the user may not read (0 for a reader of all)."""
    if reach_of(user).records == "all":
        return 0
    return observations.exclude(report__mission__in=own_mission_ids(user=user)).count()


def clauses_reportable_by(*, user: Reader) -> QuerySet[Clause]:
    """Clauses a user may attach observations to: for observers, those their missions watch."""
    return clauses_watched_for(user=user)


def known_by_q(known_at: dt.datetime, prefix: str = "") -> Q:
    """Rows of reports accepted by ``known_at`` and not yet corrected then (``prefix``: the
    path to the report, e.g. ``"report__"``)."""
    p = prefix
    return Q(**{f"{p}status": ReportStatus.ACCEPTED, f"{p}filed_at__lte": known_at}) | Q(
        **{
            f"{p}status": ReportStatus.SUPERSEDED,
            f"{p}filed_at__lte": known_at,
            f"{p}superseded_by__filed_at__gt": known_at,
        }
    )


def observations_known(known_at: dt.datetime) -> QuerySet[Observation]:
    """Observations as known at ``known_at`` (the second clock, docs/time.md): of reports
    accepted by then and not yet corrected then, whatever dates they describe. Callers bound
    ``occurred_at`` by the first clock, ``as_of``."""
    return Observation.objects.filter(known_by_q(known_at, "report__"))


def observations_counted(known_at: dt.datetime) -> QuerySet[Observation]:
    """Those of ``observations_known`` that count against their clause: not flagged as
    dated outside its period or placed outside its areas (they are counted apart)."""
    return observations_known(known_at).filter(outside_period=False, outside_area=False)


def mission_active_q(day: dt.date, prefix: str = "") -> Q:
    """Missions whose mandate covers ``day`` (both ends count; no date, no bound on that
    side). ``is_active`` is not read: it says whether a mission may file, not when it ran."""
    p = prefix
    return (Q(**{f"{p}active_from__isnull": True}) | Q(**{f"{p}active_from__lte": day})) & (
        Q(**{f"{p}active_until__isnull": True}) | Q(**{f"{p}active_until__gte": day})
    )


def reports_known_q(known_at: dt.datetime, prefix: str = "") -> Q:
    """Reports filed by ``known_at``: accepted, or corrected only after it (the rule of
    ``observations_known``)."""
    p = prefix
    return Q(**{f"{p}status": ReportStatus.ACCEPTED, f"{p}filed_at__lte": known_at}) | Q(
        **{
            f"{p}status": ReportStatus.SUPERSEDED,
            f"{p}filed_at__lte": known_at,
            f"{p}superseded_by__filed_at__gt": known_at,
        }
    )


def archival_margin() -> dt.timedelta:
    """How long after its period a report may be filed and still count as present-day
    monitoring (settings.ARCHIVAL_MARGIN_DAYS)."""
    return dt.timedelta(days=settings.ARCHIVAL_MARGIN_DAYS)


def _covered_by(*, as_of: dt.datetime, known_at: dt.datetime) -> tuple[Q, Least]:
    """The filter of the reports that count for a mechanism's cadence at ``as_of``, and the
    moment each covers up to (its period's end, not after ``as_of``)."""
    day = as_of.astimezone(dt.UTC).date()
    r = "missions__reports__"
    counted = (
        mission_active_q(day, "missions__")
        & reports_known_q(known_at, r)
        & Q(**{f"{r}period_start__lte": as_of})
    )
    if known_at - as_of <= archival_margin():
        counted &= Q(**{f"{r}archival": False})
    return counted, Least(F(f"{r}period_end"), Value(as_of, output_field=DateTimeField()))


def mechanisms_with_last_covered(
    *,
    mechanisms: QuerySet[VerificationMechanism] | None = None,
    as_of: dt.datetime,
    known_at: dt.datetime,
) -> QuerySet[VerificationMechanism]:
    """``mechanisms`` (default: all) annotated with ``last_covered``, the latest moment up to
    ``as_of`` that a report of theirs covers, and ``last_filed``, when the latest of those
    reports was filed (both None if none).

    Counted: reports known at ``known_at`` whose period started by ``as_of``, of missions
    whose mandate covers ``as_of``'s day (UTC, as mechanisms' periods are read). For the
    present picture (``as_of`` within the archival margin of ``known_at``) archival reports
    are left out: they describe the past, not today's monitoring. One grouped query.
    """
    counted, covered = _covered_by(as_of=as_of, known_at=known_at)
    if mechanisms is None:
        mechanisms = VerificationMechanism.objects.all()
    return mechanisms.annotate(
        last_covered=Max(covered, filter=counted),
        last_filed=Max("missions__reports__filed_at", filter=counted),
    )
