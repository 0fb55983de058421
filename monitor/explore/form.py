"""The explorer's filter form: the choices a reader may pick from (only what it may see, by
name, never by code) and the filters said back in words.

The area list is the shipped admin-1 names plus the areas the current filters find (the page's
"Where" table): a distinct scan over every observation on each page view would cost more than
the rest of the page.
"""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import QuerySet

from accounts.access import Reader
from agreements.gazetteer import GEO_DIR
from agreements.models import Agreement, Clause, Party
from monitor.explore.filters import OUTSIDE_CHOICES, UNATTRIBUTED, ExploreFilters
from monitor.explore.selectors import KIND_LABELS
from reports.models import Observation
from reports.selectors import missions_for_user

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
VERIFICATION_LABELS = dict(Observation.Verification.choices)
RELIABILITY_LABELS = dict(Observation.Reliability.choices)
CREDIBILITY_LABELS = {str(k): v for k, v in Observation.Credibility.choices}
CATEGORY_LABELS = dict(Clause.Category.choices)


@dataclass(frozen=True)
class Choices:
    agreements: list[tuple[str, str]]  # (code, name)
    clauses: list[tuple[str, list[tuple[int, str]]]]  # (agreement's name, [(pk, label)])
    parties: list[tuple[str, str]]
    missions: list[tuple[str, str]]
    areas: list[str]

    def name_of(self, options: list[tuple[Any, str]], value: Any) -> str:
        return dict(options).get(value, str(value))

    def clause_name(self, pk: int | None) -> str:
        for _, clauses in self.clauses:
            for clause_pk, label in clauses:
                if clause_pk == pk:
                    return label
        return f"clause {pk}"


@lru_cache(maxsize=1)
def admin1_names() -> tuple[str, ...]:
    """The English names of the shipped admin-1 areas ("Donetsk oblast"), read once."""
    import json

    source = json.loads((GEO_DIR / "admin1.geojson").read_text(encoding="utf-8"))
    return tuple(sorted(f["properties"]["name"] for f in source["features"]))


def agreement_name(agreement: Agreement) -> str:
    return agreement.short_title or agreement.title


def clause_label(clause: Clause) -> str:
    return f"{clause.reference} — {clause.title}"


def explore_choices(
    *,
    user: Reader,
    filters: ExploreFilters,
    agreements: QuerySet[Agreement],
    areas_found: list[str],
) -> Choices:
    """What the form offers ``user``: the agreements it reads, their parties and clauses (of
    the chosen agreement once one is chosen), its missions, and areas by name. Four queries."""
    agreement_rows = list(agreements.order_by("title"))
    clauses = Clause.objects.filter(agreement__in=agreements).select_related("agreement")
    if filters.agreement:
        clauses = clauses.filter(agreement__code=filters.agreement)
    grouped: dict[str, list[tuple[int, str]]] = {}
    for clause in clauses.order_by("agreement__title", "position", "id"):
        grouped.setdefault(agreement_name(clause.agreement), []).append(
            (clause.pk, clause_label(clause))
        )
    parties = Party.objects.filter(agreements__in=agreements).distinct().order_by("name")
    areas = sorted({*admin1_names(), *(a for a in areas_found if a)})
    return Choices(
        agreements=[(a.code, agreement_name(a)) for a in agreement_rows],
        clauses=list(grouped.items()),
        parties=[(p.code, p.name) for p in parties],
        missions=[(m.code, m.name) for m in missions_for_user(user=user).order_by("name")],
        areas=areas,
    )


def day_span(start: dt.date | None, end: dt.date | None) -> str:
    """ "1 Jan – 31 Mar 2015", "from 1 Jan 2015", "up to 31 Mar 2015" or ""."""

    def day(d: dt.date, year: bool = True) -> str:
        return f"{d.day} {MONTHS[d.month - 1]}" + (f" {d.year}" if year else "")

    if start and end:
        return f"{day(start, start.year != end.year)} – {day(end)}"
    if start:
        return f"from {day(start)}"
    if end:
        return f"up to {day(end)}"
    return ""


# The summary counts rows: "Violations in Minsk II", not "Violation in Minsk II".
KINDS_PLURAL = {
    "violation": "Violations",
    "compliance": "Observations of compliance",
    "incident": "Incidents",
    "access_restricted": "Restrictions of the monitors' access",
    "information": "Information",
}


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def filters_in_words(filters: ExploreFilters, choices: Choices) -> str:
    """The filters as a phrase: "Violations in Minsk II, in Donetsk oblast, 1 Jan – 31 Mar
    2015" ("Every observation you may see" without any)."""
    if filters.kind:
        names = [KINDS_PLURAL.get(k, KIND_LABELS[k]) for k in filters.kind]
        subject = names[0] + "".join(", " + n.lower() for n in names[1:-1])
        if len(names) > 1:
            subject += " and " + names[-1].lower()
    else:
        subject = "Observations"
    parts = []
    if filters.agreement:
        parts.append("in " + choices.name_of(choices.agreements, filters.agreement))
    if filters.clause is not None:
        parts.append("on " + choices.clause_name(filters.clause))
    if filters.category:
        parts.append(
            f"on {CATEGORY_LABELS.get(filters.category, filters.category).lower()} clauses"
        )
    if filters.party == UNATTRIBUTED:
        parts.append("attributed to no party")
    elif filters.party:
        parts.append("attributed to " + choices.name_of(choices.parties, filters.party))
    if filters.area:
        parts.append("in " + filters.area)
    if filters.within:
        w, s, e, n = filters.within
        parts.append(f"in the box {w:g}° to {e:g}° longitude, {s:g}° to {n:g}° latitude")
    if filters.mission:
        parts.append("reported by " + choices.name_of(choices.missions, filters.mission))
    if span := day_span(filters.start, filters.end):
        parts.append(span)
    if filters.verification:
        names = [VERIFICATION_LABELS[v].lower() for v in filters.verification]
        parts.append("verification " + _either(names))
    if filters.reliability:
        parts.append("source reliability " + _either(list(filters.reliability)))
    if filters.credibility:
        parts.append("credibility " + _either(list(filters.credibility)))
    if filters.outside:
        parts.append(OUTSIDE_CHOICES[filters.outside].lower())
    if filters.place_mismatch is not None:
        parts.append(
            "with coordinates in another area than named"
            if filters.place_mismatch
            else "with coordinates in the area named"
        )
    if filters.retrospective is not None:
        parts.append(
            "filed after the fact" if filters.retrospective else "filed as present-day monitoring"
        )
    if filters.known_at:
        parts.append(f"as filed by {filters.known_at:%d %b %Y %H:%M} UTC")
    if not parts and not filters.kind:
        return "Every observation you may see"
    return subject + (" " + ", ".join(parts) if parts else "")
