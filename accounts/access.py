"""The access policy's building blocks: the reach of a user (or of an API token's user).

docs/access.md is the policy in words; ``reach_of`` is its one decision. Each app's selectors
turn a ``Reach`` into querysets of their own rows (``reports.selectors``,
``agreements.selectors``, ``monitor.selectors``), and every page, export, endpoint, admin
list and feed reads through them: no view decides on its own what a role may see.
"""

from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.models import AnonymousUser, User

from accounts.roles import ANALYST, API_CONSUMER, OBSERVER, user_has_role

Scope = Literal["all", "own", "none"]
# Who asks: what Django puts on request.user (a signed-in user or AnonymousUser).
Reader = User | AnonymousUser
ADMINISTRATOR = "administrator"


@dataclass(frozen=True)
class Reach:
    """What one user may read.

    ``records``: row-level records (observations, reports, payloads, evidence files): "all",
    "own" (the missions the user is a member of) or "none".
    ``figures``: agreements whose aggregate figures, alerts and feed the user reads: "all",
    "own" (those its missions serve) or "none".
    ``evidence``: the observations behind an alert: "all" as summaries, "own" missions' only
    (the rest counted as withheld) or "none".
    """

    role: str
    records: Scope
    figures: Scope
    evidence: Scope
    analyses: bool = False  # may acknowledge and resolve alerts, record assessments

    @property
    def is_observer(self) -> bool:
        return self.role == OBSERVER

    @property
    def uses_pages(self) -> bool:
        """Web pages are for the roles with a web login; consumers read through the API."""
        return self.role in (ADMINISTRATOR, ANALYST, OBSERVER)


NOBODY = Reach("anonymous", "none", "none", "none")
NO_ROLE = Reach("none", "none", "none", "none")


def reach_of(user: Reader | None) -> Reach:
    """The reach of ``user``: the widest role it holds decides; an observer's missions bound
    its row-level records and alert evidence unless it also holds a wider role."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOBODY
    if user.is_superuser:
        return Reach(ADMINISTRATOR, "all", "all", "all", analyses=True)
    if user_has_role(user, ANALYST):
        return Reach(ANALYST, "all", "all", "all", analyses=True)
    if user_has_role(user, OBSERVER):
        # An observer who also holds the consumer role reads every agreement's alerts, but
        # their evidence and the records stay bounded by its own missions.
        figures: Scope = "all" if user_has_role(user, API_CONSUMER) else "own"
        return Reach(OBSERVER, "own", figures, "own")
    if user_has_role(user, API_CONSUMER):
        # Consumers pull published alerts with their evidence summaries (CAP, GeoJSON), never
        # the observation records, reports or payloads themselves.
        return Reach(API_CONSUMER, "none", "all", "all")
    return NO_ROLE
