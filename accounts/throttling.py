"""Rate limits per API token (or per user for browser sessions)."""

from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def allow_request(self, request, view):
        # A view may hand the request on to another DRF view (GET /reports/ does): one HTTP
        # request is counted once, not once per view it passes through.
        http_request = getattr(request, "_request", request)
        if getattr(http_request, "_token_throttle_counted", False):
            return True
        allowed = super().allow_request(request, view)
        http_request._token_throttle_counted = allowed
        return allowed

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.key_id}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
