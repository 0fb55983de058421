"""API-wide pieces: one JSON error shape for every failure, cursor pagination, and
date-time filters that every database accepts."""

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django_filters.fields import IsoDateTimeField
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.params import ParameterError


def error_response(code: str, message: str, http_status: int, details: Any = None) -> Response:
    body: dict[str, dict[str, Any]] = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return Response(body, status=http_status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """``{"error": {"code", "message", "details"?}}`` for every error the API returns."""
    if isinstance(exc, ParameterError):  # the same message a page gives (core.params)
        exc = exceptions.ValidationError({exc.name: exc.message})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        message = "The request is not valid; see details."
        body: dict[str, dict[str, Any]] = {
            "error": {"code": "invalid", "message": message, "details": detail}
        }
    else:
        message = detail.get("detail", str(detail)) if isinstance(detail, dict) else str(detail)
        code = getattr(exc, "default_code", "error")
        body = {"error": {"code": code, "message": str(message)}}
    response.data = body
    wait = getattr(exc, "wait", None)
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and wait:
        response["Retry-After"] = str(int(wait) + 1)
    return response


class CursorById(CursorPagination):
    """Cursor pagination on the primary key: stable under inserts, fixed cost per page."""

    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CursorByNewest(CursorById):
    ordering = "-id"


class UTCIsoDateTimeField(IsoDateTimeField):  # type: ignore[misc]  # django-filter is untyped
    """ISO 8601, turned to UTC: Python takes offsets up to ±23:59, PostgreSQL only ±15:59."""

    def to_python(self, value: Any) -> dt.datetime | None:
        parsed: dt.datetime | None = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError("Out of range once turned to UTC.", "invalid") from None


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    field_class = UTCIsoDateTimeField
