"""What changed over a period (/changes/): the alerts' transitions as recorded, the clauses
whose status moved, violations against the previous period of the same length (by the day
they happened), and the implementation assessments of the period."""

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.access import Reader
from agreements.models import Agreement, Clause, ImplementationAssessment, Party
from core.params import ParameterError, date_param
from monitor.explore.filters import UNATTRIBUTED, explore_url
from monitor.models import AlertTransition, ClauseDay, PartyDay
from monitor.scorecards.picture import end_of_day
from monitor.selectors import transitions_visible_to
from monitor.status import STATUS_LABELS, clauses_status_at

Kind = AlertTransition.Kind
LISTED = 30  # transitions listed per section (the count says how many in all)
ROWS = 40  # rows of the violation tables


@dataclass(frozen=True)
class Period:
    since: dt.date
    until: dt.date
    today: dt.date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def previous(self) -> tuple[dt.date, dt.date]:
        """The period of the same length just before."""
        return self.since - dt.timedelta(days=self.days), self.since - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.since.year, self.since.month, self.since.day, tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        after = self.until + dt.timedelta(days=1)
        return dt.datetime(after.year, after.month, after.day, tzinfo=dt.UTC)

    @property
    def up_to_now(self) -> bool:
        return self.until >= self.today

    def presets(self) -> list[tuple[str, str, bool]]:
        """(label, query, current) of the periods one click away."""
        return [
            (
                "Since a week ago" if n == 7 else f"Since {n} days ago",
                "?" + urlencode({"since": (self.today - dt.timedelta(days=n)).isoformat()}),
                self.up_to_now and self.since == self.today - dt.timedelta(days=n),
            )
            for n in (7, 30)
        ]


def period_from_params(params, *, today: dt.date) -> Period:
    """``since`` (default: 7 days before today) to ``until`` (default today), both days
    included; a day after today is today."""
    until = min(date_param(params, "until") or today, today)
    since = date_param(params, "since") or until - dt.timedelta(days=7)
    if since > until:
        raise ParameterError("since", f"a day on or before until ({until})", since.isoformat())
    return Period(since=since, until=until, today=today)


@dataclass
class TransitionList:
    count: int = 0
    shown: list[AlertTransition] = field(default_factory=list)


@dataclass
class Comparison:
    label: str
    now: int
    now_url: str
    before: int
    before_url: str
    agreement: str = ""
    clause_url: str = ""

    @property
    def difference(self) -> int:
        return self.now - self.before


@dataclass
class Changes:
    opened: TransitionList
    escalated: TransitionList
    resolved_by_analyst: TransitionList
    resolved_automatically: TransitionList
    retrospective: int
    statuses: list[tuple[Clause, str, str, str, str]]
    by_clause: list[Comparison]
    clause_rows: int
    by_party: list[Comparison]
    assessments: list[ImplementationAssessment]


def changes_between(*, user: Reader, agreements: QuerySet[Agreement], period: Period) -> Changes:
    """Everything /changes/ shows for ``period``, within ``agreements`` (the reader's)."""
    recorded = transitions_visible_to(user=user).filter(
        alert__agreement__in=agreements, at__gte=period.start, at__lt=period.end
    )
    live = recorded.filter(alert__describes__isnull=True)
    return Changes(
        opened=_listed(live.filter(kind=Kind.OPENED)),
        escalated=_listed(live.filter(kind=Kind.ESCALATED)),
        resolved_by_analyst=_listed(live.filter(kind=Kind.RESOLVED)),
        resolved_automatically=_listed(live.filter(kind=Kind.AUTO_RESOLVED)),
        retrospective=recorded.filter(alert__describes__isnull=False)
        .exclude(kind=Kind.COMMENTED)
        .count(),
        statuses=_statuses(agreements, period),
        **_by_clause(agreements, period),
        by_party=_by_party(agreements, period),
        assessments=list(
            ImplementationAssessment.objects.filter(clause__agreement__in=agreements)
            .filter(
                Q(assessed_on__gte=period.since, assessed_on__lte=period.until)
                | Q(created_at__gte=period.start, created_at__lt=period.end)
            )
            .select_related("clause__agreement", "assessed_by")
            .order_by("-assessed_on", "-created_at")[:100]
        ),
    )


def _listed(transitions: QuerySet[AlertTransition]) -> TransitionList:
    shown = list(
        transitions.select_related(
            "alert__agreement", "alert__clause", "alert__party", "by"
        ).order_by("-alert__severity", "-at")[:LISTED]
    )
    return TransitionList(count=transitions.count(), shown=shown)


def _statuses(agreements: QuerySet[Agreement], period: Period) -> list:
    """(clause, status before, its label, status after, its label) of each clause whose
    status at the end of the day before ``since`` differs from the one at the end of
    ``until`` (now, when the period runs to today)."""
    clauses = list(
        Clause.objects.filter(agreement__in=agreements)
        .select_related("agreement")
        .order_by("agreement__title", "position")
    )
    if not clauses:
        return []
    before = clauses_status_at(clauses, as_of=end_of_day(period.since - dt.timedelta(days=1)))
    # "Now" is evaluated the way "before" is, not read from the live alerts: those name a
    # clause of an ended agreement "Not in force" where an evaluation names it "Violated
    # (before it ended)", and every ended agreement would show a change nobody made.
    after = clauses_status_at(
        clauses, as_of=timezone.now() if period.up_to_now else end_of_day(period.until)
    )
    return [
        (c, before[c.pk], STATUS_LABELS[before[c.pk]], after[c.pk], STATUS_LABELS[after[c.pk]])
        for c in clauses
        if before[c.pk] != after[c.pk]
    ]


def _sums(rows: QuerySet, key: str, start: dt.date, end: dt.date) -> dict:
    return dict(
        rows.filter(day__gte=start, day__lte=end)
        .values(key)
        .annotate(n=Sum("violations"))
        .order_by()
        .values_list(key, "n")
    )


def _by_clause(agreements: QuerySet[Agreement], period: Period) -> dict:
    days = ClauseDay.objects.filter(agreement__in=agreements)
    (p_start, p_end), (c_start, c_end) = period.previous, (period.since, period.until)
    now, before = _sums(days, "clause_id", c_start, c_end), _sums(days, "clause_id", p_start, p_end)
    ids = [pk for pk in {*now, *before} if now.get(pk) or before.get(pk)]
    clauses = Clause.objects.select_related("agreement").in_bulk(ids)
    rows = []
    for pk in ids:
        clause = clauses[pk]
        code = clause.agreement.code
        rows.append(
            Comparison(
                label=f"{clause.reference} · {clause.title}",
                agreement=clause.agreement.short_title or clause.agreement.title,
                clause_url=reverse("scorecards:clause", args=[pk]),
                now=now.get(pk, 0),
                now_url=_violations_url(c_start, c_end, agreement=code, clause=pk),
                before=before.get(pk, 0),
                before_url=_violations_url(p_start, p_end, agreement=code, clause=pk),
            )
        )
    rows.sort(key=lambda r: (-abs(r.difference), -r.now, r.agreement, r.label))
    return {"by_clause": rows[:ROWS], "clause_rows": len(rows)}


def _by_party(agreements: QuerySet[Agreement], period: Period) -> list[Comparison]:
    """Violations per party, and an "Unattributed" row: those no party was named for."""
    (p_start, p_end), (c_start, c_end) = period.previous, (period.since, period.until)
    days = PartyDay.objects.filter(agreement__in=agreements)
    now, before = _sums(days, "party_id", c_start, c_end), _sums(days, "party_id", p_start, p_end)
    totals = ClauseDay.objects.filter(agreement__in=agreements)
    all_now = _sums(totals, "agreement_id", c_start, c_end)
    all_before = _sums(totals, "agreement_id", p_start, p_end)
    parties = Party.objects.in_bulk(list({*now, *before}))
    rows = [
        Comparison(
            label=party.name,
            now=now.get(pk, 0),
            now_url=_violations_url(c_start, c_end, party=party.code),
            before=before.get(pk, 0),
            before_url=_violations_url(p_start, p_end, party=party.code),
        )
        for pk, party in parties.items()
    ]
    rows.sort(key=lambda r: (-r.now, -r.before, r.label))
    unattributed_now = sum(all_now.values()) - sum(now.values())
    unattributed_before = sum(all_before.values()) - sum(before.values())
    if unattributed_now or unattributed_before:
        rows.append(
            Comparison(
                label="Unattributed",
                now=unattributed_now,
                now_url=_violations_url(c_start, c_end, party=UNATTRIBUTED),
                before=unattributed_before,
                before_url=_violations_url(p_start, p_end, party=UNATTRIBUTED),
            )
        )
    return rows


def _violations_url(start: dt.date, end: dt.date, **filters) -> str:
    """The explorer showing the violations a count counts (flagged rows are not counted)."""
    return explore_url(kind=("violation",), start=start, end=end, outside="none", **filters)
