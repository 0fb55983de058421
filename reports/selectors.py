"""Reads of reports, scoped to what a user may see."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from accounts.roles import user_is_observer_only
from agreements.models import Clause
from reports.models import InboundPayload, ObserverMission, Report


def missions_for_user(*, user: AbstractBaseUser) -> QuerySet[ObserverMission]:
    """Missions the user may act for: their own for observers, all for staff with wider roles."""
    if user_is_observer_only(user):
        return ObserverMission.objects.filter(members=user)
    return ObserverMission.objects.all()


def reports_visible_to(*, user: AbstractBaseUser) -> QuerySet[Report]:
    if user_is_observer_only(user):
        return Report.objects.filter(mission__members=user)
    return Report.objects.all()


def payloads_visible_to(*, user: AbstractBaseUser) -> QuerySet[InboundPayload]:
    if user_is_observer_only(user):
        return InboundPayload.objects.filter(mission__members=user)
    return InboundPayload.objects.all()


def clauses_reportable_by(*, user: AbstractBaseUser) -> QuerySet[Clause]:
    """Clauses a user may attach observations to: for observers, those their missions watch."""
    if user_is_observer_only(user):
        covered = Clause.objects.filter(mechanisms__missions__members=user).values("pk")
        return Clause.objects.filter(pk__in=covered)
    return Clause.objects.all()


def clauses_covered_by_mission(*, mission: ObserverMission) -> QuerySet[Clause]:
    return Clause.objects.filter(
        pk__in=Clause.objects.filter(mechanisms__missions=mission).values("pk")
    )
