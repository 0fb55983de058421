"""What every rule is and returns, and the registry that refuses duplicate codes."""

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from django.db.models import QuerySet

from agreements.models import Clause

TITLE_LENGTH = 300  # what an alert's title holds


@dataclass
class Finding:
    """A clause (and party or area where relevant) for which a rule's condition holds now."""

    rule: str
    clause_id: int
    agreement_id: int
    severity: int
    title: str
    explanation: str
    party_id: int | None = None
    area_id: int | None = None
    evidence: list[int] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def fingerprint(self) -> str:
        """The condition's identity (rule + clause + party/area): one live alert each."""
        key = f"{self.rule}|{self.clause_id}|{self.party_id or ''}|{self.area_id or ''}"
        return hashlib.sha256(key.encode()).hexdigest()

    @cached_property
    def digest(self) -> str:
        """What an alert of this finding shows, hashed: equal digests mean nothing to write."""
        # repr, not JSON: the details are plain values built in a fixed order, and a digest is
        # only ever compared with one this code made (a change of code rewrites alerts once).
        content = (self.title[:TITLE_LENGTH], self.explanation, self.severity, self.details)
        return hashlib.sha1(
            repr((content, self.evidence)).encode(), usedforsecurity=False
        ).hexdigest()


class Rule:
    """A rule flags clauses with one set-based query over all clauses in scope.

    Subclasses set ``code``, ``title``, ``default_severity``, ``defaults`` (parameters) and
    implement ``find``; they must never issue a query per clause. ``find`` gets both clocks
    (docs/time.md): ``as_of``, the moment the picture describes (windows run back from it,
    clauses and mechanisms are taken as they stood then), and ``known_at``, which filings
    count.
    """

    code: ClassVar[str]
    title: ClassVar[str]
    # What the rule checks, for people; ``{name}`` stands for a parameter (see ``describe``).
    description: ClassVar[str]
    default_severity: ClassVar[int]
    defaults: ClassVar[dict[str, Any]] = {}
    time_based: ClassVar[bool] = False

    def find(
        self,
        *,
        clauses: QuerySet[Clause],
        as_of: dt.datetime,
        known_at: dt.datetime,
        params: dict[str, Any],
        severity: int | None,
    ) -> list[Finding]:
        raise NotImplementedError  # pragma: no cover - every registered rule implements it

    def params_with(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The parameters in effect: the defaults, with an agreement's known overrides."""
        given = {k: v for k, v in (overrides or {}).items() if k in self.defaults}
        return {**self.defaults, **given}

    def describe(self, params: dict[str, Any] | None = None) -> str:
        """The description with the parameters' actual values in words ("the last 30 days",
        "moderate severity"), never their names."""
        values = self.params_with(params)
        return self.description.format(**{k: param_words(k, v) for k, v in values.items()})


def param_words(name: str, value: Any) -> str:
    """A parameter's value as a description reads it."""
    if name.endswith("_days"):
        return "day" if value == 1 else f"{value:g} days"
    if name == "min_severity":
        labels = {1: "low", 2: "moderate", 3: "high", 4: "critical"}
        return labels.get(value, str(value))
    if name == "min_verification":
        return str(value).replace("_", " ")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


RULES: dict[str, Rule] = {}


def register(rule_class: type[Rule]) -> type[Rule]:
    """Add a rule to the registry; a second rule with the same code is refused."""
    if rule_class.code in RULES:
        raise ValueError(f"A rule with code {rule_class.code!r} is already registered.")
    RULES[rule_class.code] = rule_class()
    return rule_class


def clause_label(row: dict) -> str:
    """'Minsk II, clause 6 (All-for-all exchange)' from a values() row."""
    agreement = row.get("agreement__short_title") or row.get("agreement__title") or ""
    return f"{agreement}, clause {row['reference']} ({row['title']})"


def ago(moment: dt.datetime | dt.date, as_of: dt.datetime) -> str:
    days = (as_of.date() - (moment.date() if isinstance(moment, dt.datetime) else moment)).days
    if days <= 0:
        return "today"
    if days == 1:
        return "1 day ago"
    # The date too: a count of days alone is hard to cite, and past findings count far back.
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    return f"{days} days ago ({long_date(day)})"


def long_date(day: dt.date | dt.datetime) -> str:
    return f"{day.day} {day:%B %Y}"


def findings_date(findings: list[Finding], as_of: dt.datetime) -> None:
    """Date the findings, in place, as retrospective alerts show them: title and explanation
    say the moment they describe, so a reader of the alert list never takes them for the
    present ("the latest 1 day ago" counts back from that date). In place and with one date
    string for all: a full evaluation has tens of thousands of findings, and copying them
    cost more than the rest of the reconciliation."""
    when = f"As of {long_date(as_of.astimezone(dt.UTC))}"
    title, explanation = f"{when}: ", f"{when} (a retrospective finding): "
    for finding in findings:
        finding.__dict__.pop("digest", None)  # the texts change, so does what it shows
        finding.title = title + finding.title
        finding.explanation = explanation + finding.explanation


CLAUSE_FIELDS = [
    "pk",
    "reference",
    "title",
    "agreement_id",
    "agreement__short_title",
    "agreement__title",
]
