"""The inbox's query parameters: an interface other pages link with (agreement=, clause=,
party=, rule=, severity=, state=, retrospective=, q=, sort=, page=), parsed once, strictly."""

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from core.params import ParameterError, choice_param, text_param, whole_number_param
from monitor.rules import RULES

STATES = ("live", "open", "acknowledged", "resolved", "all")
CLOCKS: dict[str, bool | None] = {"false": False, "true": True, "all": None}
SORTS = {
    "severity": "Severity, then last seen",
    "last_seen": "Last seen, newest first",
    "first_seen": "First seen, oldest first",
}


@dataclass(frozen=True)
class InboxFilters:
    agreement: str = ""
    clause: int | None = None
    party: str = ""
    rule: str = ""
    severity: tuple[int, ...] = ()
    state: str = "live"
    retrospective: str = "false"
    q: str = ""
    sort: str = "severity"
    page: int = 1

    @classmethod
    def from_params(cls, params: Any) -> "InboxFilters":
        clause = text_param(params, "clause")
        if clause and not clause.isdigit():
            raise ParameterError("clause", "a clause's number (digits)", clause)
        rule = choice_param(params, "rule", RULES)
        severities = []
        for value in params.getlist("severity") if hasattr(params, "getlist") else []:
            if value not in ("1", "2", "3", "4"):
                raise ParameterError("severity", "1 (low) to 4 (critical), repeatable", value)
            severities.append(int(value))
        state = choice_param(params, "state", STATES, default="live")
        clock = choice_param(
            params, "retrospective", CLOCKS, default="false", expected="false, true or all"
        )
        sort = choice_param(params, "sort", SORTS, default="severity")
        page_text = text_param(params, "page")
        if page_text and not page_text.isdigit():
            raise ParameterError("page", "a page number (1, 2, ...)", page_text)
        return cls(
            agreement=text_param(params, "agreement"),
            clause=int(clause) if clause else None,
            party=text_param(params, "party"),
            rule=rule,
            severity=tuple(sorted(set(severities), reverse=True)),
            state=state,
            retrospective=clock,
            q=text_param(params, "q").strip()[:200],
            sort=sort,
            page=whole_number_param(params, "page", default=1, minimum=1),
        )

    def pairs(self) -> list[tuple[str, str]]:
        """The filters that differ from the defaults, as query parameters (page aside)."""
        pairs = [
            (name, value)
            for name, value in (
                ("agreement", self.agreement),
                ("clause", "" if self.clause is None else str(self.clause)),
                ("party", self.party),
                ("rule", self.rule),
            )
            if value
        ]
        pairs += [("severity", str(s)) for s in self.severity]
        if self.state != "live":
            pairs.append(("state", self.state))
        if self.retrospective != "false":
            pairs.append(("retrospective", self.retrospective))
        if self.q:
            pairs.append(("q", self.q))
        if self.sort != "severity":
            pairs.append(("sort", self.sort))
        return pairs

    def query(self, **changes: Any) -> str:
        """The query string of these filters with ``changes`` (page 1 unless given)."""
        changed = replace(self, **{"page": 1, **changes})
        pairs = changed.pairs()
        if changed.page > 1:
            pairs.append(("page", str(changed.page)))
        return "?" + urlencode(pairs) if pairs else "?"

    def with_severity_toggled(self, severity: int) -> str:
        chosen = set(self.severity) ^ {severity}
        return self.query(severity=tuple(sorted(chosen, reverse=True)))

    @property
    def is_default(self) -> bool:
        return not self.pairs()
