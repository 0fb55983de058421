"""The alert change feed over the API: every transition after a cursor, in order."""

import base64
import binascii

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import AlertReaders, ReadScope
from core.params import ParameterError, text_param, whole_number_param
from core.renderers import FastJSONRenderer
from monitor.api.serializers import ChangesPageSerializer
from monitor.feed import change_row, feed_page
from monitor.selectors import feed_scope

MAX_ID = 2**63 - 1  # a bigint: no cursor this feed gives out is beyond it


def encode_cursor(transition_id: int) -> str:
    return base64.urlsafe_b64encode(f"t:{transition_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The transition id a cursor of this feed stands for."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "t" or not value.isdigit() or int(value) > MAX_ID:
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ParameterError("cursor", "a cursor this feed gave out", cursor) from None


def _retrospective(params) -> bool:
    value = text_param(params, "retrospective") or "exclude"
    if value not in ("exclude", "include"):
        raise ParameterError("retrospective", "exclude or include", value)
    return value == "include"


class AlertChangesView(APIView):
    """Every alert transition after the cursor, in order, with the next cursor.

    Transition ids are drawn while a writer holds the transition lock (see
    monitor.services._lock), so ids become visible in order and paging by id never skips a
    row committed late. Store ``next_cursor`` and ask again: each change comes exactly once.
    """

    permission_classes = [AlertReaders, ReadScope]
    renderer_classes = [FastJSONRenderer, BrowsableAPIRenderer]

    @extend_schema(
        summary="Incremental feed of alert changes",
        parameters=[
            OpenApiParameter(
                "cursor", OpenApiTypes.STR, description="Empty for the beginning; then next_cursor."
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1-1000, default 100"),
            OpenApiParameter("agreement", OpenApiTypes.STR),
            OpenApiParameter("min_severity", OpenApiTypes.INT),
            OpenApiParameter("rule", OpenApiTypes.STR),
            OpenApiParameter(
                "retrospective",
                OpenApiTypes.STR,
                enum=["exclude", "include"],
                description="exclude (the default): only changes of alerts about the present; "
                "include: also those of retrospective alerts (findings about a past as_of).",
            ),
        ],
        responses=ChangesPageSerializer,
    )
    def get(self, request):
        params = request.query_params
        after = decode_cursor(params["cursor"]) if params.get("cursor") else 0
        limit = whole_number_param(params, "limit", default=100, minimum=1, maximum=1000)
        min_severity = whole_number_param(params, "min_severity", default=0)
        page = feed_page(
            agreements=feed_scope(user=request.user),
            after=after,
            rows=limit + 1,
            agreement=text_param(params, "agreement"),
            min_severity=min_severity,
            rule=text_param(params, "rule"),
            retrospective=_retrospective(params),
        )
        has_more = len(page) > limit
        page = page[:limit]
        last = page[-1][0] if page else after
        return Response(
            {
                "results": [change_row(row) for row in page],
                "next_cursor": encode_cursor(last),
                "has_more": has_more,
            }
        )
