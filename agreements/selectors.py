"""Reads of agreements shared by the admin, the API and the scorecards."""

from django.db.models import OuterRef, QuerySet, Subquery

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
