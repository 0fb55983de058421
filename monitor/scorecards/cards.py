"""The scorecards as frozen read models: what the pages render and the API serializes
(monitor.api.scorecard_serializers), with no dictionary of magic keys in between."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from agreements.models import Agreement, Clause, Party
from core.params import DateWindow
from monitor.scorecards.buckets import Buckets
from monitor.scorecards.picture import ActivePeriod, Picture
from monitor.status import STATUS_LABELS

# (violations, compliance) observed in one week.
WeekCell = tuple[int, int]


@dataclass(frozen=True)
class OpenAlert:
    """A live alert on a clause, or a finding of the rules as of a past moment, as the
    clause table lists it."""

    severity: int
    explanation: str


@dataclass(frozen=True)
class RetrospectiveAlert:
    """A finding about a past moment (``Alert.describes`` set), listed with the period it
    describes and never among the live alerts."""

    id: int
    clause_id: int
    clause_reference: str
    clause_title: str
    rule: str
    severity: int
    state: str
    title: str
    explanation: str
    describes: dt.datetime
    first_seen: dt.datetime


@dataclass(frozen=True)
class ClauseRow:
    """One clause of an agreement's scorecard."""

    clause: Clause
    depth: int
    status: str
    level: int | None
    in_force: bool
    rules: frozenset[str]
    open_alerts: tuple[OpenAlert, ...]
    # One cell per week of the period; None when nothing was observed on it in the period.
    weekly: tuple[WeekCell, ...] | None
    # Observations in the period flagged outside the clause's period or area (not counted).
    outside: int = 0

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def violations(self) -> int:
        """Violations observed in the period."""
        return sum(v for v, _ in self.weekly or ())

    @property
    def compliance(self) -> int:
        """Compliance observations in the period."""
        return sum(c for _, c in self.weekly or ())


@dataclass(frozen=True)
class CategoryFigures:
    """The clauses of one category: how many, their statuses, their implementation rate."""

    category: str
    label: str
    clauses: int
    statuses: Mapping[str, int]
    implementation_rate: float | None
    assessed: int


@dataclass(frozen=True)
class PartyViolations:
    """Violations attributed to a party (by its code) in a period."""

    party: str
    violations: int


@dataclass(frozen=True)
class PeriodFigures:
    """An agreement's weekly figures over a period, from the daily pre-aggregates."""

    weeks: tuple[dt.date, ...]  # the Monday of each week
    heatmap: Mapping[int, tuple[WeekCell, ...]]  # by clause id; only clauses with data
    party_weeks: Mapping[str, tuple[int, ...]]  # violations by party code, per week
    party_categories: Mapping[str, Mapping[str, int]]  # violations by party code and category
    by_party: tuple[PartyViolations, ...]  # most violations first
    # Every violation counted per week, attributed or not.
    violation_weeks: tuple[int, ...] = ()


@dataclass(frozen=True)
class AgreementScorecard:
    """Every clause with its status and level, the rates, and violations by party."""

    agreement: Agreement
    picture: Picture
    rows: tuple[ClauseRow, ...]
    implementation_rate: float | None
    assessed: int
    not_assessed: int
    not_in_force: int
    statuses: Mapping[str, int]
    by_category: Mapping[str, CategoryFigures]  # by category code, in the choices' order
    weeks: tuple[dt.date, ...]
    violations_by_party: tuple[PartyViolations, ...]
    party_weeks: Mapping[str, tuple[int, ...]]
    party_categories: Mapping[str, Mapping[str, int]]
    outside: int  # flagged observations in the period, every clause
    retrospective: tuple[RetrospectiveAlert, ...]  # findings about moments in the period
    violation_weeks: tuple[int, ...] = ()  # every violation counted, per week

    @property
    def violations(self) -> int:
        """Violations counted in the period, attributed to a party or not."""
        return sum(self.violation_weeks)

    @property
    def unattributed_weeks(self) -> tuple[int, ...]:
        """Violations per week attributed to no party: every violation minus the attributed
        ones (an observation names one party at most), from the same aggregates."""
        attributed = [0] * len(self.violation_weeks)
        for weeks in self.party_weeks.values():
            for i, n in enumerate(weeks):
                attributed[i] += n
        return tuple(v - a for v, a in zip(self.violation_weeks, attributed, strict=True))

    @property
    def violations_unattributed(self) -> int:
        return sum(self.unattributed_weeks)

    @property
    def as_of(self) -> dt.datetime:
        return self.picture.as_of

    @property
    def known_at(self) -> dt.datetime:
        return self.picture.known_at

    @property
    def period(self) -> DateWindow:
        return self.picture.period

    @property
    def life(self) -> ActivePeriod | None:
        return self.picture.life


@dataclass(frozen=True)
class Obligation:
    """A clause binding a party, with its status."""

    clause: Clause
    status: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class AgreementViolations:
    agreement: str  # its code
    violations: int


@dataclass(frozen=True)
class CategoryViolations:
    category: str
    violations: int

    @property
    def label(self) -> str:
        return str(dict(Clause.Category.choices).get(self.category, self.category))


@dataclass(frozen=True)
class PartyAgreement:
    """One agreement on a party's card: the period its figures count and the moment of its
    statuses (each agreement over its own active life by default)."""

    agreement: Agreement
    kind: str  # "active_life", "active_life_so_far", "before_as_of", "chosen", "never_in_force"
    period: DateWindow | None  # None: never in force, nothing counted
    as_of: dt.datetime
    live: bool  # statuses from the live alerts
    violations: int  # attributed to the party in the period


@dataclass(frozen=True)
class PartyScorecard:
    """A party's obligations across agreements and the violations attributed to it."""

    party: Party
    as_of: dt.datetime  # the moment asked for, or now
    known_at: dt.datetime
    kind: str  # "each_active_life" (the default), "as_of" or "chosen" (a period was given)
    agreements: tuple[PartyAgreement, ...]
    obligations: tuple[Obligation, ...]
    violations: int
    violations_by_agreement: tuple[AgreementViolations, ...]
    violations_by_category: tuple[CategoryViolations, ...]
    summary: str


@dataclass(frozen=True)
class OverviewRow:
    """One agreement at a glance, over its own active period (monitor.scorecards.overview).

    ``kind``: "last_30_days" (in force: figures of the last 30 days, a 12-week trend),
    "active_life" (its life is over or suspended: figures over its active life),
    "not_yet_in_force" or "never_in_force" (no figures).
    """

    agreement: Agreement
    kind: str
    life: ActivePeriod | None
    period: DateWindow | None  # what ``violations`` counts; None: no figures
    as_of: dt.datetime  # the moment of the rate (the end of the period)
    implementation_rate: float | None
    assessed: int  # clauses in force then with a level then
    assessments: int  # assessments of its clauses, at any date
    open_alerts_by_severity: Mapping[int, int]  # 4 (critical) to 1; live alerts only
    open_alerts: int
    violations: int | None
    buckets: Buckets | None  # the trend's buckets
    trend: tuple[int, ...]  # violations per bucket, oldest first

    @property
    def violations_30d(self) -> int | None:
        """Violations in the last 30 days: only for an agreement in force."""
        return self.violations if self.kind == "last_30_days" else None

    @property
    def trend_unit(self) -> str | None:
        return self.buckets.unit if self.buckets else None

    @property
    def trend_starts(self) -> tuple[dt.date, ...]:
        return self.buckets.starts if self.buckets else ()
