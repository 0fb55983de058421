"""DRF permissions by role, and token scopes."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import ApiToken
from accounts.roles import ANALYST, API_CONSUMER, OBSERVER, user_has_role


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


def roles(*names: str) -> type[BasePermission]:
    """Allow superusers and users holding any of ``names``."""

    class HasRole(BasePermission):
        message = f"This needs one of the roles: {', '.join(names)}."

        def has_permission(self, request, view) -> bool:
            user = request.user
            if not user.is_authenticated:
                return False
            return user.is_superuser or any(user_has_role(user, name) for name in names)

    HasRole.__name__ = f"HasRole_{'_'.join(n.replace(' ', '_') for n in names)}"
    return HasRole


AgreementReaders = roles(API_CONSUMER, ANALYST, OBSERVER)
AlertReaders = roles(API_CONSUMER, ANALYST)
ReportReaders = roles(ANALYST, OBSERVER)
Analysts = roles(ANALYST)
