"""Scorecards over the API: the overview, an agreement's and a party's, as JSON described field
by field in the schema (monitor.api.scorecard_serializers)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import AlertReaders, ReadScope
from agreements.models import Party
from agreements.selectors import agreements_with_figures_for
from core.params import FIRST_DAY, LAST_DAY, clocks_from_params
from monitor.api.scorecard_serializers import (
    AgreementScorecardSerializer,
    OverviewRowSerializer,
    PartyScorecardSerializer,
)
from monitor.scorecards.agreement import agreement_scorecard
from monitor.scorecards.overview import agreements_overview
from monitor.scorecards.party import party_scorecard
from monitor.scorecards.picture import (
    agreements_active_periods,
    period_from_params,
    picture_from_params,
)

AS_OF_PARAM = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description=f"The moment the statuses describe: the end of that day, UTC ({FIRST_DAY} to "
    f"{LAST_DAY}). Default: the end of the period shown (now while it runs to today).",
)
KNOWN_AT_PARAM = OpenApiParameter(
    "known_at",
    OpenApiTypes.STR,
    description="What had been filed by then counts: YYYY-MM-DD (the end of that day, UTC) or "
    "YYYY-MM-DDTHH:MM (UTC unless an offset is given). Default: now, so reports filed late "
    "about the past count for the past they describe; a later moment is now.",
)
CLOCK_PARAMS = [AS_OF_PARAM, KNOWN_AT_PARAM]
WINDOW_PARAMS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.DATE,
        description="Start of the period; 1900 onwards. Default: the start of the agreement's "
        "active life once it has ended, otherwise 12 weeks before the period's end.",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATE,
        description="End of the period; up to 2100, never past as_of or today. Default: the "
        "end of the agreement's active life once it has ended, otherwise the as_of day or today.",
    ),
]
PARTY_WINDOW_PARAMS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.DATE,
        description="Start of one period for every agreement. Default: each agreement's own "
        "active life.",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATE,
        description="End of that period. Default: the as_of day or today.",
    ),
]


class AgreementScorecardView(APIView):
    permission_classes = [AlertReaders, ReadScope]

    @extend_schema(
        summary="An agreement's compliance scorecard",
        parameters=[*CLOCK_PARAMS, *WINDOW_PARAMS],
        responses=AgreementScorecardSerializer,
    )
    def get(self, request: Request, code: str) -> Response:
        agreement = get_object_or_404(agreements_with_figures_for(user=request.user), code=code)
        life = agreements_active_periods([agreement])[agreement.pk]
        picture = picture_from_params(request.query_params, life=life)
        card = agreement_scorecard(agreement=agreement, picture=picture)
        return Response(AgreementScorecardSerializer(card).data)


class PartyScorecardView(APIView):
    permission_classes = [AlertReaders, ReadScope]

    @extend_schema(
        summary="A party's obligations and record",
        parameters=[*CLOCK_PARAMS, *PARTY_WINDOW_PARAMS],
        responses=PartyScorecardSerializer,
    )
    def get(self, request: Request, code: str) -> Response:
        as_of, known_at = clocks_from_params(request.query_params)
        card = party_scorecard(
            party=get_object_or_404(Party, code=code),
            agreements=agreements_with_figures_for(user=request.user),
            as_of=as_of,
            known_at=known_at,
            period=period_from_params(request.query_params, as_of=as_of),
        )
        return Response(PartyScorecardSerializer(card).data)


class OverviewView(APIView):
    permission_classes = [AlertReaders, ReadScope]

    @extend_schema(
        summary="Every agreement at a glance, each over its own active period",
        parameters=CLOCK_PARAMS,
        responses=OverviewRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        visible = set(agreements_with_figures_for(user=request.user).values_list("pk", flat=True))
        as_of, known_at = clocks_from_params(request.query_params)
        rows = [
            row
            for row in agreements_overview(as_of=as_of, known_at=known_at)
            if row.agreement.pk in visible
        ]
        return Response(OverviewRowSerializer(rows, many=True).data)
