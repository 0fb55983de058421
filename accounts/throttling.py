"""Rate limits per API token (or per user for browser sessions).

The counts live in the cache (Redis in production). A cache that is down or does not answer
must not take the API with it: the throttle then lets requests through (fails open), logs it,
and leaves the cache alone for ``REDIS_RETRY_AFTER`` seconds.
"""

import logging
import time

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken

logger = logging.getLogger(__name__)
_cache_down_until = 0.0  # monotonic time; per process, like the cache's own connections


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def allow_request(self, request, view):
        # A view may hand the request on to another DRF view (GET /reports/ does): one HTTP
        # request is counted once, not once per view it passes through.
        http_request = getattr(request, "_request", request)
        if getattr(http_request, "_token_throttle_counted", False):
            return True
        allowed = self._allow_or_fail_open(request, view)
        http_request._token_throttle_counted = allowed
        return allowed

    def _allow_or_fail_open(self, request, view) -> bool:
        global _cache_down_until
        if time.monotonic() < _cache_down_until:
            return True
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # the cache backends raise their client's own errors
            _cache_down_until = time.monotonic() + settings.REDIS_RETRY_AFTER
            logger.warning(
                "API rate limit not applied: the cache failed (%s: %s); requests pass "
                "unthrottled for %s s",
                type(exc).__name__,
                exc,
                settings.REDIS_RETRY_AFTER,
            )
            return True

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.key_id}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
