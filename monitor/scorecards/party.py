"""A party's scorecard: its obligations across agreements and the violations attributed to it.

A party is bound by agreements in force and by agreements long over, so by default each
agreement is read over its own active life: one whose life is over as of the end of that life
(statuses from the rules evaluated then), one in force now from its entry into force to today
(statuses from the live alerts). ``as_of`` reads every agreement at that moment (its life up to
then); a period (``from``/``to``) counts the same days for all, statuses as of its end.
``known_at`` counts what had been filed by then (default now) everywhere.
"""

import datetime as dt
from collections import Counter, defaultdict
from functools import reduce
from operator import or_

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from agreements.models import Agreement, Clause, Party
from agreements.selectors import agreement_in_force_q, agreement_zone
from core.db import fetch_rows
from core.params import DateWindow
from monitor.models import ClauseDay, PartyDay
from monitor.rules.base import long_date
from monitor.scorecards.cards import (
    AgreementViolations,
    CategoryViolations,
    Obligation,
    PartyAgreement,
    PartyScorecard,
)
from monitor.scorecards.figures import observed_day
from monitor.scorecards.picture import ActivePeriod, agreements_active_periods, end_of_day
from monitor.selectors import alerts_live
from monitor.status import status_in_period
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


def _shown(
    life: ActivePeriod | None,
    *,
    now: dt.datetime,
    as_of: dt.datetime | None,
    known_at: dt.datetime | None,
    period: DateWindow | None,
) -> tuple[str, DateWindow | None, dt.datetime, bool]:
    """(kind, period counted, moment of the statuses, live) of one agreement on the card.

    Days end in the agreement's zone, as on its own card: Minsk II's last day, 21 February
    2022, ends at midnight Kyiv time, when it still bound; midnight UTC is already the 22nd.
    """
    today = now.date()
    zone = life.zone if life is not None else dt.UTC
    if as_of is not None:
        as_of = end_of_day(as_of.date(), zone)
    if period is not None:
        end = min(period.end, as_of.date() if as_of else today)
        window = DateWindow(start=period.start, end=max(period.start, end))
        moment = as_of or min(end_of_day(window.end, zone), now)
        live = as_of is None and known_at is None and window.end >= today
        return "chosen", window, moment, live
    if life is None:
        return "never_in_force", None, as_of or now, as_of is None and known_at is None
    day = as_of.date() if as_of else today
    life_so_far = life.so_far(day) if life.start <= day else None
    if as_of is not None:
        return "before_as_of", life_so_far, as_of, False
    if life.ended_by(today) and life_so_far is not None:
        return "active_life", life_so_far, min(end_of_day(life_so_far.end, zone), now), False
    return "active_life_so_far", life_so_far, now, known_at is None


def party_scorecard(
    *,
    party: Party,
    as_of: dt.datetime | None = None,
    known_at: dt.datetime | None = None,
    period: DateWindow | None = None,
    agreements: QuerySet[Agreement] | None = None,
) -> PartyScorecard:
    """A party's obligations across agreements and the violations attributed to it, each
    agreement over its own period (see the module); ``agreements`` limits every figure to
    those (what the viewer may see)."""
    now = timezone.now()
    clauses = Clause.objects.filter(obliged_parties=party)
    if agreements is not None:
        clauses = clauses.filter(agreement__in=agreements)
    obligations = list(
        clauses.select_related("agreement")
        .defer(*PARTY_CARD_DEFERRED)
        .order_by("agreement__code", "position")
    )
    attributed = (
        PartyDay.objects.filter(party=party)
        if known_at is None
        else observations_counted(known_at).filter(party=party, kind=Observation.Kind.VIOLATION)
    )
    concerned = Agreement.objects.filter(
        Q(pk__in=clauses.values("agreement_id"))
        | Q(pk__in=attributed.values("agreement_id" if known_at is None else "clause__agreement"))
    ).defer("summary", "source_note")
    if agreements is not None:
        concerned = concerned.filter(pk__in=agreements.values("pk"))
    bound = list(concerned.order_by("code"))
    lives = agreements_active_periods(bound)
    shown = {
        a.pk: _shown(lives[a.pk], now=now, as_of=as_of, known_at=known_at, period=period)
        for a in bound
    }
    clause_violations = _violations(
        shown, known_at=known_at, by="clause", clause_ids=[c.pk for c in obligations]
    )
    statuses = _statuses(obligations, shown, bound, known_at, clause_violations)
    counts = _violations(shown, known_at=known_at, by="category", party=party)
    by_agreement: Counter[int] = Counter()
    by_category: Counter[str] = Counter()
    for (agreement_id, category), n in counts.items():
        by_agreement[agreement_id] += n
        by_category[category] += n
    codes = {a.pk: a.code for a in bound}
    total = sum(by_agreement.values())
    kind = "chosen" if period else ("as_of" if as_of else "each_active_life")
    when = "over each agreement's active life" if kind == "each_active_life" else ""
    if kind == "as_of" and as_of is not None:
        when = f"as of {long_date(as_of)}"
    elif kind == "chosen" and period is not None:
        when = f"from {long_date(period.start)} to {long_date(period.end)}"
    return PartyScorecard(
        party=party,
        as_of=as_of or now,
        known_at=known_at or now,
        kind=kind,
        agreements=tuple(
            PartyAgreement(
                agreement=a,
                kind=shown[a.pk][0],
                period=shown[a.pk][1],
                as_of=shown[a.pk][2],
                live=shown[a.pk][3],
                violations=by_agreement.get(a.pk, 0),
            )
            for a in bound
        ),
        obligations=tuple(Obligation(clause=c, status=statuses[c.pk]) for c in obligations),
        violations=total,
        violations_by_agreement=tuple(
            AgreementViolations(agreement=codes[pk], violations=n)
            for pk, n in sorted(by_agreement.items(), key=lambda i: (-i[1], codes[i[0]]))
        ),
        violations_by_category=tuple(
            CategoryViolations(category=category, violations=n)
            for category, n in sorted(by_category.items(), key=lambda i: (-i[1], i[0]))
        ),
        summary=f"{party.name}: {_counted(len(obligations), 'obligation')}, "
        f"{_counted(total, 'violation')} attributed {when}".rstrip(),
    )


Shown = dict[int, tuple[str, DateWindow | None, dt.datetime, bool]]


def _statuses(
    obligations: list[Clause],
    shown: Shown,
    bound: list[Agreement],
    known_at: dt.datetime | None,
    violations: dict[tuple[int, str], int],
) -> dict[int, str]:
    """Each obligation's status at its agreement's moment: live alerts for a live agreement,
    the rules evaluated at that moment otherwise (one evaluation per distinct moment)."""
    if not obligations:
        return {}
    ids = [c.pk for c in obligations]
    zones = {a.pk: agreement_zone(a) for a in bound}
    on_day: dict[dt.date, list[int]] = defaultdict(list)
    for pk, (_, _, moment, _) in shown.items():
        on_day[moment.astimezone(zones[pk]).date()].append(pk)
    in_force = set(
        Clause.objects.filter(
            reduce(
                or_,
                (
                    Q(agreement_id__in=agreement_ids)
                    & agreement_in_force_q(day, "agreement__")
                    & (Q(in_force_from__isnull=True) | Q(in_force_from__lte=day))
                    for day, agreement_ids in on_day.items()
                ),
            ),
            pk__in=ids,
        ).values_list("pk", flat=True)
    )
    rules: dict[int, set[str]] = defaultdict(set)
    live = [pk for pk, (*_, is_live) in shown.items() if is_live]
    for clause_id, rule in fetch_rows(
        alerts_live()
        .filter(clause_id__in=ids, agreement_id__in=live)
        .order_by()
        .values_list("clause_id", "rule")
    ):
        rules[clause_id].add(rule)
    past: dict[dt.datetime, list[str]] = defaultdict(list)
    for a in bound:
        _, _, moment, is_live = shown[a.pk]
        if not is_live:
            past[moment].append(a.code)
    if past:
        from monitor.services import rules_evaluate  # services sit above the scorecards' reads

        wanted = set(ids)
        for moment, codes in past.items():
            evaluation = rules_evaluate(as_of=moment, known_at=known_at, agreement_codes=codes)
            for finding in evaluation.findings:
                if finding.clause_id in wanted:
                    rules[finding.clause_id].add(finding.rule)
    first_compliance = _first_compliance(ids, known_at)
    return {
        c.pk: status_in_period(
            rules.get(c.pk, set()),
            in_force=c.pk in in_force,
            complied=c.pk in first_compliance
            and first_compliance[c.pk] <= shown[c.agreement_id][2],
            violations=violations.get((c.pk, ""), 0),
        )
        for c in obligations
    }


def _first_compliance(ids: list[int], known_at: dt.datetime | None) -> dict[int, dt.datetime]:
    """By clause id: when compliance was first observed on it (as known at ``known_at``)."""
    if known_at is None:
        rows = (
            ClauseDay.objects.filter(clause_id__in=ids, compliance__gt=0)
            .values("clause_id")
            .annotate(first=Min("day"))
            .order_by()
            .values_list("clause_id", "first")
        )
        return {pk: dt.datetime(f.year, f.month, f.day, tzinfo=dt.UTC) for pk, f in rows}
    return dict(
        observations_counted(known_at)
        .filter(clause_id__in=ids, kind=Observation.Kind.COMPLIANCE)
        .values("clause_id")
        .annotate(first=Min("occurred_at"))
        .order_by()
        .values_list("clause_id", "first")
    )


def _violations(
    shown: Shown,
    *,
    known_at: dt.datetime | None,
    by: str,
    party: Party | None = None,
    clause_ids: list[int] | None = None,
) -> dict[tuple[int, str], int]:
    """Violations in each agreement's period, in one grouped query: by (clause id, "") or,
    for ``party``, by (agreement id, clause category)."""
    spans: dict[tuple[dt.date, dt.date], list[int]] = defaultdict(list)
    for pk, (_, window, _, _) in shown.items():
        if window is not None:
            spans[(window.start, window.end)].append(pk)
    if not spans:
        return {}
    raw = known_at is not None
    agreement = "clause__agreement_id" if raw else "agreement_id"
    within = reduce(
        or_,
        (Q(**{f"{agreement}__in": ids}, day__gte=s, day__lte=e) for (s, e), ids in spans.items()),
    )
    if by == "clause":
        keys = ["clause_id"]
    else:
        keys = [agreement, "clause__category" if raw else "category"]
    if raw:
        assert known_at is not None
        source = observations_counted(known_at).filter(kind=Observation.Kind.VIOLATION)
        if party is not None:
            source = source.filter(party=party)
        if clause_ids is not None:
            source = source.filter(clause_id__in=clause_ids)
        rows = fetch_rows(
            source.annotate(day=observed_day())
            .filter(within)
            .values(*keys)
            .annotate(n=Count("id"))
            .order_by()
            .values_list(*keys, "n")
        )
    else:
        days = (
            PartyDay.objects.filter(party=party)
            if party is not None
            else ClauseDay.objects.filter(violations__gt=0)
        )
        if clause_ids is not None:
            days = days.filter(clause_id__in=clause_ids)
        rows = fetch_rows(
            days.filter(within)
            .values(*keys)
            .annotate(n=Sum("violations"))
            .order_by()
            .values_list(*keys, "n")
        )
    if by == "clause":
        return {(clause_id, ""): n or 0 for clause_id, n in rows}
    return {(agreement_id, category): n or 0 for agreement_id, category, n in rows}


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
