"""Where a scorecard's counts lead: the explorer with the filters that reproduce each count
(the rows the figures count: ``outside=none``), and the alert inbox."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from core.params import DateWindow
from monitor.explore.filters import explore_url


@dataclass(frozen=True)
class Counted:
    """What a page counts: its days and the filings known by then (``known_at`` as the
    reader gave it, a day or a moment; empty: everything filed so far)."""

    period: DateWindow | None
    known_at: str = ""

    def url(self, **filters: Any) -> str:
        """The explorer showing the rows behind a count of ``filters`` in these days."""
        if self.period is not None:
            filters.setdefault("start", self.period.start)
            filters.setdefault("end", self.period.end)
        if self.known_at:
            filters["known_at_text"] = self.known_at  # the explorer parses it as the page did
        filters.setdefault("outside", "none")
        return explore_url(**filters)

    def violations(self, **filters: Any) -> str:
        return self.url(kind="violation", **filters)

    def flagged(self, **filters: Any) -> str:
        """The rows counted apart: outside the clause's period or area."""
        return self.url(outside="any", **filters)


def alerts_url(**params: Any) -> str:
    """The alert inbox with ``params`` (agreement, clause, party, severity...)."""
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return reverse("alerts:inbox") + (f"?{query}" if query else "")
