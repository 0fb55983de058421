"""A party's scorecard: its obligations across agreements and the violations attributed to it."""

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from agreements.models import Agreement, Clause, Party
from agreements.selectors import clauses_in_force
from core.db import fetch_rows
from monitor.models import Alert, PartyDay
from monitor.rules.base import long_date
from monitor.scorecards.cards import (
    AgreementViolations,
    CategoryViolations,
    Obligation,
    PartyScorecard,
)
from monitor.status import status_from_rules
from reports.models import Observation
from reports.selectors import observations_counted

# A party may be bound by thousands of clauses: their long texts and timestamps stay unread.
PARTY_CARD_DEFERRED = [
    "text",
    "geometry",
    "deadline_text",
    "created_at",
    "updated_at",
    "agreement__summary",
    "agreement__source_note",
    "agreement__created_at",
    "agreement__updated_at",
]


def party_scorecard(
    *,
    party: Party,
    as_of: dt.datetime | None = None,
    agreements: QuerySet[Agreement] | None = None,
) -> PartyScorecard:
    """A party's obligations across agreements and the violations attributed to it;
    ``agreements`` limits every figure to those (what the viewer may see)."""
    now = as_of or timezone.now()
    clauses = Clause.objects.filter(obliged_parties=party)
    if agreements is not None:
        clauses = clauses.filter(agreement__in=agreements)
    obligations = list(
        clauses.select_related("agreement")
        .defer(*PARTY_CARD_DEFERRED)
        .order_by("agreement__code", "position")
    )
    rules: dict[int, set[str]] = defaultdict(set)
    if as_of is None:
        for clause_id, rule in fetch_rows(
            Alert.objects.filter(clause__in=clauses.values("pk"), state__in=Alert.LIVE_STATES)
            .order_by()
            .values_list("clause_id", "rule")
        ):
            rules[clause_id].add(rule)
    in_force = set(clauses_in_force(clauses, now).values_list("pk", flat=True))
    counts = party_violations(party=party, as_of=as_of, agreements=agreements)
    total = sum(counts.values())
    by_agreement: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    for (code, category), n in counts.items():
        by_agreement[code] += n
        by_category[category] += n
    return PartyScorecard(
        party=party,
        as_of=now,
        obligations=tuple(
            Obligation(
                clause=c,
                status=status_from_rules(
                    rules.get(c.pk, set()), in_force=c.pk in in_force, complied=False
                ),
            )
            for c in obligations
        ),
        violations=total,
        violations_by_agreement=tuple(
            AgreementViolations(agreement=code, violations=n) for code, n in _by_count(by_agreement)
        ),
        violations_by_category=tuple(
            CategoryViolations(category=category, violations=n)
            for category, n in _by_count(by_category)
        ),
        summary=f"{party.name}: {len(obligations)} obligation(s), "
        f"{total} violation(s) attributed as of {long_date(now)}",
    )


def _by_count(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], str(item[0] or "")))


def party_violations(
    *, party: Party, as_of: dt.datetime | None, agreements: QuerySet[Agreement] | None
) -> dict[tuple[str, str], int]:
    """Violations attributed to the party, by (agreement code, clause category), in one
    grouped query.

    Now: from the daily pre-aggregates the rules task keeps current after every ingest (a
    covering index on party: tens of milliseconds at a million observations, where the raw
    rows of one party are scattered over the whole table). As of a past date: from the
    observations as they stood then.
    """
    if as_of is None:
        days = PartyDay.objects.filter(party=party)
        if agreements is not None:
            days = days.filter(agreement__in=agreements)
        rows = fetch_rows(
            days.values("agreement_id", "category")
            .annotate(n=Sum("violations"))
            .order_by()
            .values_list("agreement_id", "category", "n")
        )
        codes = dict(
            Agreement.objects.filter(pk__in={r[0] for r in rows}).values_list("pk", "code")
        )
        return {(codes[agreement_id], category): n for agreement_id, category, n in rows}
    violations = observations_counted(as_of).filter(party=party, kind=Observation.Kind.VIOLATION)
    if agreements is not None:
        violations = violations.filter(clause__agreement__in=agreements)
    return {
        (code, category): n
        for code, category, n in violations.values("clause__agreement__code", "clause__category")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("clause__agreement__code", "clause__category", "n")
    }
