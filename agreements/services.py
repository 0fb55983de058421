"""Writes to agreements: resolving clause dates and recording implementation assessments."""

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from agreements.models import Agreement, Clause, DateAnchor, ImplementationAssessment
from core.history import history_bulk_update


def _anchor_date(*, anchor: str, agreement: Agreement, other: Clause | None) -> dt.date | None:
    if anchor == DateAnchor.AGREEMENT_SIGNED:
        return agreement.signed_on
    if anchor == DateAnchor.AGREEMENT_IN_FORCE:
        return agreement.in_force_on or agreement.signed_on
    if anchor == DateAnchor.CLAUSE_START and other is not None:
        return other.in_force_from
    if anchor == DateAnchor.CLAUSE_DEADLINE and other is not None:
        return other.deadline
    return None


def _shift(base: dt.date | None, days: int | None) -> dt.date | None:
    return None if base is None else base + dt.timedelta(days=days or 0)


def _clause(clauses: dict[int, Clause], pk: int | None) -> Clause | None:
    return clauses.get(pk) if pk is not None else None


@transaction.atomic
def clause_dates_resolve(*, agreement: Agreement) -> int:
    """Compute every clause's effective start and deadline from its anchors; return changes.

    Relative dates may chain ("exchange by day 5 after the withdrawal is complete"), so the
    clauses are resolved until nothing changes; a cycle is refused.
    """
    clauses = {c.pk: c for c in agreement.clauses.all()}
    changed: set[int] = set()
    for _ in range(len(clauses) + 1):
        moved = False
        for clause in clauses.values():
            start, deadline = clause.in_force_from, clause.deadline
            if clause.start_anchor != DateAnchor.FIXED:
                other = _clause(clauses, clause.start_anchor_clause_id)
                base = _anchor_date(anchor=clause.start_anchor, agreement=agreement, other=other)
                start = _shift(base, clause.start_offset_days)
            if clause.deadline_anchor not in ("", DateAnchor.FIXED):
                other = _clause(clauses, clause.deadline_anchor_clause_id)
                base = _anchor_date(anchor=clause.deadline_anchor, agreement=agreement, other=other)
                deadline = _shift(base, clause.deadline_offset_days)
            elif clause.deadline_anchor == "":
                deadline = None
            if (start, deadline) != (clause.in_force_from, clause.deadline):
                clause.in_force_from, clause.deadline = start, deadline
                changed.add(clause.pk)
                moved = True
        if not moved:
            break
    else:
        raise ValidationError(f"Clause dates of {agreement.code} refer to each other in a cycle.")
    history_bulk_update(
        model=Clause,
        objs=[clauses[pk] for pk in changed],
        fields=["in_force_from", "deadline"],
        batch_size=500,
    )
    return len(changed)


def assessment_record(
    *,
    clause: Clause,
    level: int,
    assessed_on: dt.date,
    rationale: str,
    by: User | None,
    evidence: str = "",
    evidence_urls: list[str] | None = None,
) -> ImplementationAssessment:
    """Record an analyst's 0-3 judgement of a clause; earlier judgements stay as history."""
    if level not in ImplementationAssessment.Level.values:
        raise ValidationError({"level": "The implementation level is 0, 1, 2 or 3."})
    if not rationale.strip():
        raise ValidationError(
            {"rationale": "Say why: a level without a rationale is not evidence."}
        )
    assessment = ImplementationAssessment(
        clause=clause,
        level=level,
        assessed_on=assessed_on,
        rationale=rationale,
        evidence=evidence,
        evidence_urls=evidence_urls or [],
        assessed_by=by,
    )
    assessment.full_clean()
    assessment.save()
    return assessment
