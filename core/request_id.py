"""Every request gets an id: the caller's well-formed ``X-Request-ID`` or a new one. It is on
every log line of the request, on every task the request publishes, and on the response."""

from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from core.logs import current_request_id, request_id_clean


class RequestIdMiddleware:
    """First in MIDDLEWARE, so the id covers everything the other middleware logs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_clean(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]  # read by views and logs
        # Not reset on the way out: Django logs 4xx/5xx responses after the middleware chain
        # returns. It is cleared when the request is finished.
        current_request_id.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


@receiver(request_finished)
def _request_finished(**kwargs: Any) -> None:
    current_request_id.set(None)
