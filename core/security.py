"""HTTPS for the API, and the client address behind a proxy.

With ``SECURE_SSL_REDIRECT`` on, Django's SecurityMiddleware redirects every plain-HTTP
request. A browser follows that; an API client would silently re-send its request (or drop
its body and token on the way), so API calls get an error it can act on instead.
"""

import hmac
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/"
# The interactive docs are a page for people: they redirect like the other pages.
PAGE_PREFIXES = ("/api/docs/",)


def _is_api(path: str) -> bool:
    return path.startswith(API_PREFIX) and not path.startswith(PAGE_PREFIXES)


class ApiHttpsRequiredMiddleware:
    """``403 {"error": {"code": "https_required"}}`` for API calls over plain HTTP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SECURE_SSL_REDIRECT and not request.is_secure() and _is_api(request.path):
            url = f"https://{request.get_host()}{request.get_full_path()}"
            body = {
                "error": {
                    "code": "https_required",
                    "message": "This API is served over HTTPS only; send the request to "
                    f"{url}. Nothing was done.",
                }
            }
            return JsonResponse(body, status=403)
        return self.get_response(request)


def client_ip(request: HttpRequest) -> str | None:
    """The address login throttling counts failures by (``AXES_CLIENT_IP_CALLABLE``).

    Behind a proxy (``BEHIND_PROXY``), the right-most X-Forwarded-For entry: the one our proxy
    appended. Entries to its left come from the client and may be anything.
    """
    if settings.BEHIND_PROXY:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if entries:
            return entries[-1]
    address = request.META.get("REMOTE_ADDR")
    return str(address) if address else None


def monitoring_allowed(request: HttpRequest) -> bool:
    """Who may read /metrics and the details of /readyz: ``Authorization: Bearer
    $METRICS_TOKEN``, or a client inside ``METRICS_ALLOWED_NETWORKS``. An explicit wrong token
    is refused even from an allowed network."""
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if sent:
        scheme, _, credential = sent.partition(" ")
        return bool(
            token
            and scheme.lower() == "bearer"
            and hmac.compare_digest(credential.strip().encode(), token.encode())
        )
    try:
        # Behind a proxy (BEHIND_PROXY) the direct peer is the proxy itself, often loopback:
        # the address that counts is the one the proxy saw (core.security.client_ip).
        address = ipaddress.ip_address(client_ip(request) or "")
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )
