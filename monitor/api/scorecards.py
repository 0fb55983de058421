"""Scorecards over the API: the overview, an agreement's and a party's, as JSON described field
by field in the schema (monitor.api.scorecard_serializers)."""

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import AlertReaders, ReadScope
from agreements.models import Party
from agreements.selectors import agreements_with_figures_for
from core.params import FIRST_DAY, LAST_DAY, as_of_param, known_at_param, window_param
from monitor.api.scorecard_serializers import (
    AgreementScorecardSerializer,
    OverviewRowSerializer,
    PartyScorecardSerializer,
)
from monitor.scorecards.agreement import agreement_scorecard
from monitor.scorecards.overview import agreements_overview
from monitor.scorecards.party import party_scorecard

AS_OF_PARAM = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description=f"The data as it stood that day ({FIRST_DAY} to {LAST_DAY}).",
)
KNOWN_AT_PARAM = OpenApiParameter(
    "known_at",
    OpenApiTypes.STR,
    description="What had been filed by then counts: YYYY-MM-DD (the end of that day, UTC) or "
    "YYYY-MM-DDTHH:MM (UTC unless an offset is given). Default: now.",
)
CLOCK_PARAMS = [AS_OF_PARAM, KNOWN_AT_PARAM]
WINDOW_PARAMS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.DATE,
        description="Start of the period; 1900 onwards. Default: 12 weeks before its end.",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATE,
        description="End of the period; up to 2100. Default: the as_of day, or today.",
    ),
]


def _clocks(request: Request) -> dict[str, Any]:
    """The two clocks for a scorecard: ``as_of`` and, when given, ``known_at`` (a moment
    after now is now: nothing has been filed later)."""
    clocks: dict[str, Any] = {"as_of": as_of_param(request.query_params)}
    known_at = known_at_param(request.query_params)
    if known_at is not None:
        clocks["known_at"] = min(known_at, timezone.now())
    return clocks


class AgreementScorecardView(APIView):
    permission_classes = [AlertReaders, ReadScope]

    @extend_schema(
        summary="An agreement's compliance scorecard",
        parameters=[*CLOCK_PARAMS, *WINDOW_PARAMS],
        responses=AgreementScorecardSerializer,
    )
    def get(self, request: Request, code: str) -> Response:
        agreement = get_object_or_404(agreements_with_figures_for(user=request.user), code=code)
        clocks = _clocks(request)
        period = window_param(
            request.query_params, until=(clocks["as_of"] or timezone.now()).date()
        )
        card = agreement_scorecard(agreement=agreement, period=period, **clocks)
        return Response(AgreementScorecardSerializer(card).data)


class PartyScorecardView(APIView):
    permission_classes = [AlertReaders, ReadScope]

    @extend_schema(
        summary="A party's obligations and record",
        parameters=CLOCK_PARAMS,
        responses=PartyScorecardSerializer,
    )
    def get(self, request: Request, code: str) -> Response:
        card = party_scorecard(
            party=get_object_or_404(Party, code=code),
            agreements=agreements_with_figures_for(user=request.user),
            **_clocks(request),
        )
        return Response(PartyScorecardSerializer(card).data)


class OverviewView(APIView):
    permission_classes = [AlertReaders, ReadScope]

    @extend_schema(
        summary="Every agreement at a glance",
        parameters=CLOCK_PARAMS,
        responses=OverviewRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        visible = set(agreements_with_figures_for(user=request.user).values_list("pk", flat=True))
        rows = [
            row for row in agreements_overview(**_clocks(request)) if row.agreement.pk in visible
        ]
        return Response(OverviewRowSerializer(rows, many=True).data)
