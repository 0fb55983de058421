"""Reads of reports' row-level records, bounded by the reader's reach (accounts.access).

Every page, export, endpoint and admin list that shows missions, reports, observations,
payloads or evidence files reads them through these functions; the rules and the scorecards
read the observations as they stood at a moment, and the mechanisms' last filed report, here.
"""

import datetime as dt
from typing import Any, TypeVar

from django.db.models import Max, Model, Q, QuerySet

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


def observations_known(known_at: dt.datetime) -> QuerySet[Observation]:
    """Observations as known at ``known_at`` (the second clock, docs/time.md): of reports
    accepted by then and not yet corrected then, whatever dates they describe. Callers bound
    ``occurred_at`` by the first clock, ``as_of``."""
    return Observation.objects.filter(
        Q(report__status=ReportStatus.ACCEPTED, report__filed_at__lte=known_at)
        | Q(
            report__status=ReportStatus.SUPERSEDED,
            report__filed_at__lte=known_at,
            report__superseded_by__filed_at__gt=known_at,
        )
    )


def observations_counted(known_at: dt.datetime) -> QuerySet[Observation]:
    """Those of ``observations_known`` that count against their clause: not flagged as
    dated outside its period or placed outside its areas (they are counted apart)."""
    return observations_known(known_at).filter(outside_period=False, outside_area=False)


def mechanisms_with_last_filed(
    *,
    mechanisms: QuerySet[VerificationMechanism] | None = None,
    as_of: dt.datetime | None = None,
) -> QuerySet[VerificationMechanism]:
    """``mechanisms`` (default: all) annotated with ``last_filed``: when their missions last
    filed a report (accepted, or since corrected), by ``as_of`` when given; None if never."""
    filed: dict[str, object] = {"missions__reports__status__in": FILED}
    if as_of is not None:
        filed["missions__reports__filed_at__lte"] = as_of
    if mechanisms is None:
        mechanisms = VerificationMechanism.objects.all()
    return mechanisms.annotate(last_filed=Max("missions__reports__filed_at", filter=Q(**filed)))
