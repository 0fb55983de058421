from rest_framework.permissions import BasePermission

from accounts.models import ApiToken
from accounts.roles import OBSERVER, user_has_role


class CanSubmitReports(BasePermission):
    """Observers (and administrators) with a report-writing token or a browser session."""

    message = "Only observers of a mission, with a token scoped to write reports, may file them."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is not None and token.scope != ApiToken.Scope.WRITE_REPORTS:
            return False
        return user.is_superuser or user_has_role(user, OBSERVER)
