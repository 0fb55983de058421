"""Reads of agreements shared by the admin, the API and the scorecards."""

from django.db.models import OuterRef, QuerySet, Subquery

from accounts.access import reach_of
from agreements.models import Agreement, Clause, ImplementationAssessment


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


def clauses_with_latest_level() -> QuerySet[Clause]:
    """Clauses annotated with ``latest_level``: the newest 0-3 assessment, or None."""
    latest = ImplementationAssessment.objects.filter(clause=OuterRef("pk")).order_by(
        "-assessed_on", "-created_at"
    )
    return Clause.objects.annotate(latest_level=Subquery(latest.values("level")[:1]))


def agreements_readable_by(*, user) -> QuerySet[Agreement]:
    """Agreement texts (clauses, mechanisms, parties): public documents, read by every role."""
    if reach_of(user).role in ("anonymous", "none"):
        return Agreement.objects.none()
    return Agreement.objects.all()


def agreements_with_figures_for(*, user) -> QuerySet[Agreement]:
    """Agreements whose scorecards, alerts and feed the user reads: every one for analysts,
    administrators and consumers, those its missions serve for an observer, none otherwise."""
    scope = reach_of(user).figures
    if scope == "all":
        return Agreement.objects.all()
    if scope == "own":
        served = Agreement.objects.filter(mechanisms__missions__members=user).values("pk")
        return Agreement.objects.filter(pk__in=served)
    return Agreement.objects.none()


def clauses_watched_for(*, user) -> QuerySet[Clause]:
    """Clauses an observer may file observations on: those its missions' mechanisms watch;
    every clause for a user whose records are not bounded by missions."""
    if reach_of(user).records != "own":
        return Clause.objects.all()
    covered = Clause.objects.filter(mechanisms__missions__members=user).values("pk")
    return Clause.objects.filter(pk__in=covered)
