"""DRF permissions from the access policy, and token scopes."""

from collections.abc import Callable

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.access import Reach, reach_of
from accounts.models import ApiToken


def _token(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


class ReadScope(BasePermission):
    """Any live token may read; writes need a token scoped for them (checked by the view)."""

    def has_permission(self, request, view) -> bool:
        token = _token(request)
        return (
            token is None
            or request.method in SAFE_METHODS
            or (token.scope == ApiToken.Scope.WRITE_REPORTS)
        )


def reach(check: Callable[[Reach], bool], message: str, name: str) -> type[BasePermission]:
    """A DRF permission that asks the access policy (accounts.access), nothing else."""

    class ReachPermission(BasePermission):
        def has_permission(self, request, view) -> bool:
            return check(reach_of(request.user))

    ReachPermission.message = message  # type: ignore[attr-defined]  # DRF reads it if set
    ReachPermission.__name__ = name
    return ReachPermission


AgreementReaders = reach(
    lambda r: r.role not in ("anonymous", "none"),
    "Agreements are read by observers, analysts and API consumers.",
    "AgreementReaders",
)
AlertReaders = reach(
    lambda r: r.figures != "none",
    "Alerts and scorecards are read by analysts, API consumers and observers (for the "
    "agreements their missions serve).",
    "AlertReaders",
)
ReportReaders = reach(
    lambda r: r.records != "none",
    "Reports, observations and payloads are read by analysts and by observers (their own "
    "missions').",
    "ReportReaders",
)
Analysts = reach(lambda r: r.analyses, "This needs the analyst role.", "Analysts")
