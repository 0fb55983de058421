"""The scorecards as frozen read models: what the pages render and the API serializes
(monitor.api.scorecard_serializers), with no dictionary of magic keys in between."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from agreements.models import Agreement, Clause, Party
from core.params import DateWindow
from monitor.status import STATUS_LABELS

# (violations, compliance) observed in one week.
WeekCell = tuple[int, int]


@dataclass(frozen=True)
class OpenAlert:
    """A live alert on a clause, as the clause table lists it."""

    severity: int
    explanation: str


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


@dataclass(frozen=True)
class AgreementScorecard:
    """Every clause with its status and level, the rates, and violations by party."""

    agreement: Agreement
    as_of: dt.datetime
    period: DateWindow
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


@dataclass(frozen=True)
class PartyScorecard:
    """A party's obligations across agreements and the violations attributed to it."""

    party: Party
    as_of: dt.datetime
    obligations: tuple[Obligation, ...]
    violations: int
    violations_by_agreement: tuple[AgreementViolations, ...]
    violations_by_category: tuple[CategoryViolations, ...]
    summary: str


@dataclass(frozen=True)
class OverviewRow:
    """One agreement at a glance."""

    agreement: Agreement
    implementation_rate: float | None
    open_alerts_by_severity: Mapping[int, int]  # 4 (critical) to 1
    open_alerts: int
    violations_30d: int
    trend: tuple[int, ...]  # violations per week, the last 12 weeks, oldest first
