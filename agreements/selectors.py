"""Reads of agreements shared by the admin, the API, the rules and the scorecards."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from accounts.access import Reader, reach_of
from agreements.models import Agreement, Clause, ImplementationAssessment, VerificationMechanism

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


def clauses_in_force(clauses: QuerySet[Clause], as_of: dt.datetime) -> QuerySet[Clause]:
    """Those of ``clauses`` binding at ``as_of``: their agreement in force, their own start
    (if any) passed."""
    day = as_of.date()
    return clauses.filter(
        agreement_in_force_q(day, "agreement__"),
        Q(in_force_from__isnull=True) | Q(in_force_from__lte=day),
    )


def mechanism_active_q(day: dt.date, prefix: str = "") -> Q:
    """Mechanisms active on ``day`` (both ends of the active period count)."""
    p = prefix
    return (Q(**{f"{p}active_from__isnull": True}) | Q(**{f"{p}active_from__lte": day})) & (
        Q(**{f"{p}active_until__isnull": True}) | Q(**{f"{p}active_until__gte": day})
    )


def watched_by_active_mechanism(as_of: dt.datetime) -> Exists:
    """For an annotation of clauses: whether an active mechanism covers the clause."""
    return Exists(
        VerificationMechanism.objects.filter(
            mechanism_active_q(as_of.date()), clauses=OuterRef("pk")
        )
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
