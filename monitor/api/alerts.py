"""Alerts over the API: lists and details in JSON, CAP 1.2, GeoJSON and CSV; acknowledge and
resolve."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from accounts.permissions import AlertReaders, Analysts, ReadScope
from core.api import CursorByNewest, UTCDateTimeFilter
from core.params import whole_number_param
from core.renderers import CAPRenderer, CSVRenderer, FeatureCollectionSerializer, GeoJSONRenderer
from monitor.api.serializers import AlertSerializer, CommentSerializer
from monitor.formats.cap import EVIDENCE_RADIUS_KM
from monitor.models import Alert
from monitor.rules import RULES
from monitor.selectors import (
    alerts_of_clock,
    alerts_visible_to,
    alerts_with_evidence_for,
    evidence_shown,
    transitions_of,
)
from monitor.services import alert_set_state
from reports.formats import csv_stream, geojson_stream

ALERT_COLUMNS = [
    ("id", "id", "#meta +id"),
    ("rule", "rule", "#event +code"),
    ("state", "state", "#status"),
    ("severity", "severity", "#severity"),
    ("agreement", "agreement", "#x_agreement"),
    ("clause", "clause", "#x_clause"),
    ("party", "party", "#org +name"),
    ("title", "title", "#event +name"),
    ("explanation", "explanation", "#description"),
    ("describes", "describes", "#date +describes"),
    ("first_seen", "first seen", "#date +start"),
    ("last_seen", "last seen", "#date +end"),
]


ANSWER_RENDERERS = [JSONRenderer, BrowsableAPIRenderer]  # the analysts' moves answer in JSON


# ?retrospective=: which clock's alerts a list holds (absent: "false").
CLOCKS: dict[str, bool | None] = {"false": False, "true": True, "all": None}
CLOCK_PARAMS = ("retrospective", "describes_from", "describes_to")


class AlertFilter(django_filters.FilterSet):
    retrospective = django_filters.ChoiceFilter(
        choices=[(value, value) for value in CLOCKS],
        method="by_clock",
        help_text="false (the default): alerts about the present, live and resolved; true: "
        "retrospective alerts only (findings about a past as_of, see describes); all: both.",
    )
    describes_from = django_filters.DateFilter(
        method="by_clock",
        help_text="Retrospective alerts describing this day (UTC) or later.",
    )
    describes_to = django_filters.DateFilter(
        method="by_clock",
        help_text="Retrospective alerts describing this day (UTC) or earlier.",
    )
    state = django_filters.MultipleChoiceFilter(choices=Alert.State.choices)
    min_severity = django_filters.NumberFilter(field_name="severity", lookup_expr="gte")
    rule = django_filters.ChoiceFilter(choices=[(code, code) for code in RULES])
    agreement = django_filters.CharFilter(field_name="agreement__code")
    party = django_filters.CharFilter(field_name="party__code")
    area = django_filters.CharFilter(method="in_area", help_text="Area code")
    changed_since = UTCDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Alert
        fields = ["state", "rule"]

    def in_area(self, queryset, name, value):
        return queryset.filter(clause__areas__code=value).distinct()

    def by_clock(self, queryset, name, value):
        if name == "retrospective":
            return alerts_of_clock(queryset, retrospective=CLOCKS[value])
        bound = {name: value}
        return alerts_of_clock(queryset, retrospective=None, **bound)


def _alerts_readable_by(user):
    """The alerts ``user`` may see, with the evidence it may see (monitor.selectors)."""
    return alerts_with_evidence_for(
        user=user,
        alerts=alerts_visible_to(user=user)
        .select_related("agreement", "clause", "party", "area")
        .prefetch_related("clause__areas"),
    )


def _bbox_ring(area) -> list[list[float]]:
    return [
        [area.min_lon, area.min_lat],
        [area.max_lon, area.min_lat],
        [area.max_lon, area.max_lat],
        [area.min_lon, area.max_lat],
        [area.min_lon, area.min_lat],
    ]


def _alert_geometry(alert: Alert) -> dict | None:
    """The alert's place, as CAP gives it (monitor.formats.cap): the clause's geometry, else
    every area's box (the alert's own area when it has one), else the latest located
    evidence the reader may see, as a point (CAP's circle; ``radius_km`` in properties)."""
    if alert.clause.geometry:
        return alert.clause.geometry
    areas = [alert.area] if alert.area else list(alert.clause.areas.all())
    rings = [[_bbox_ring(a)] for a in areas if a.min_lon is not None and a.min_lat is not None]
    if len(rings) == 1:
        return {"type": "Polygon", "coordinates": rings[0]}
    if rings:
        return {"type": "MultiPolygon", "coordinates": rings}
    located = [
        o for o in evidence_shown(alert) if o.latitude is not None and o.longitude is not None
    ]
    if located:
        last = max(located, key=lambda o: (o.occurred_at, o.pk))
        return {"type": "Point", "coordinates": [last.longitude, last.latitude]}
    return None


def _alert_feature(alert: Alert) -> dict:
    geometry = _alert_geometry(alert)
    properties = _alert_row(alert)
    if geometry and geometry["type"] == "Point" and not alert.clause.geometry:
        properties["radius_km"] = EVIDENCE_RADIUS_KM
    return {"type": "Feature", "id": alert.pk, "geometry": geometry, "properties": properties}


def _alert_row(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "rule": alert.rule,
        "state": alert.state,
        "severity": alert.severity,
        "agreement": alert.agreement.code,
        "clause": alert.clause.reference,
        "party": alert.party.code if alert.party else None,
        "title": alert.title,
        "explanation": alert.explanation,
        "describes": alert.describes.isoformat() if alert.describes else None,
        "first_seen": alert.first_seen.isoformat(),
        "last_seen": alert.last_seen.isoformat(),
    }


FORMAT_PARAMS = [
    OpenApiParameter(
        "format",
        OpenApiTypes.STR,
        enum=["json", "cap", "geojson", "csv"],
        description="cap: CAP 1.2 XML; geojson: RFC 7946; csv: with ?hxl=1 for an HXL hashtag row.",
    ),
    OpenApiParameter("hxl", OpenApiTypes.BOOL),
]
SINGLE_FORMAT_PARAM = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["json", "cap"], description="cap: CAP 1.2 XML."
)


@extend_schema_view(
    list=extend_schema(
        operation_id="v1_alerts_list",  # the text formats would make it look like a retrieve
        summary="Alerts, newest first",
        description="Alerts about the present (live and resolved) unless ?retrospective= "
        "asks for retrospective alerts: findings about a past as_of, whose describes says "
        "which moment.",
        filters=True,  # the several media types hide that this is a list from the generator
        parameters=FORMAT_PARAMS,
        responses={
            (200, "application/json"): AlertSerializer(many=True),
            (200, "application/cap+xml"): OpenApiTypes.STR,
            (200, "application/geo+json"): FeatureCollectionSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
        },
    ),
    retrieve=extend_schema(
        summary="One alert with its explanation, evidence and history",
        parameters=[SINGLE_FORMAT_PARAM],
        responses={
            (200, "application/json"): AlertSerializer,
            (200, "application/cap+xml"): OpenApiTypes.STR,
        },
    ),
)
class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AlertSerializer
    permission_classes = [AlertReaders, ReadScope]
    filterset_class = AlertFilter
    pagination_class = CursorByNewest
    renderer_classes = [
        *viewsets.ReadOnlyModelViewSet.renderer_classes,
        CAPRenderer,
        GeoJSONRenderer,
        CSVRenderer,
    ]

    lookup_value_regex = "[0-9]+"  # /alerts/abc/... is a 404, not a database error

    def get_queryset(self):
        return _alerts_readable_by(self.request.user)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        params = self.request.query_params
        if self.action == "list" and not any(params.get(name) for name in CLOCK_PARAMS):
            # Lists hold the present unless asked: a backfill's findings about 2022 are not
            # news. One alert by id is found whatever its clock.
            queryset = alerts_of_clock(queryset, retrospective=False)
        return queryset

    def _format(self) -> str:
        return getattr(self.request.accepted_renderer, "format", "json")

    def list(self, request, *args, **kwargs):
        fmt = self._format()
        if fmt == "json" or fmt == "api":
            return super().list(request, *args, **kwargs)
        alerts = self.filter_queryset(self.get_queryset()).order_by("-id")
        if fmt == "cap":
            size = whole_number_param(
                request.query_params, "page_size", default=100, minimum=1, maximum=500
            )
            return _cap_response(request, list(alerts[:size]), many=True)
        rows = alerts[:100_000]
        if fmt == "csv":
            hxl = request.query_params.get("hxl") in ("1", "true", "yes")
            response = StreamingHttpResponse(
                csv_stream((_alert_row(a) for a in rows), ALERT_COLUMNS, hxl=hxl),
                content_type="text/csv; charset=utf-8",
            )
            response["Content-Disposition"] = 'attachment; filename="alerts.csv"'
            return response
        features = (_alert_feature(a) for a in rows)
        return StreamingHttpResponse(geojson_stream(features), content_type="application/geo+json")

    def retrieve(self, request, *args, **kwargs):
        if self._format() == "cap":
            return _cap_response(request, [self.get_object()], many=False)
        if self._format() in ("csv", "geojson"):
            raise ValidationError({"format": "Single alerts come as json or cap."})
        return super().retrieve(request, *args, **kwargs)

    def _move(self, request, pk, state):
        alert = get_object_or_404(alerts_visible_to(user=request.user), pk=pk)
        form = CommentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            alert_set_state(
                alert=alert,
                state=state,
                by=request.user,
                comment=form.validated_data.get("comment", ""),
            )
        except DjangoValidationError as exc:
            raise ValidationError({"state": exc.messages}) from None
        return Response(AlertSerializer(_alerts_readable_by(request.user).get(pk=pk)).data)

    @extend_schema(
        request=CommentSerializer,
        responses=AlertSerializer,
        summary="Acknowledge an alert (analysts)",
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[Analysts, ReadScope],
        renderer_classes=ANSWER_RENDERERS,
    )
    def acknowledge(self, request, pk=None):
        return self._move(request, pk, Alert.State.ACKNOWLEDGED)

    @extend_schema(
        request=CommentSerializer,
        responses=AlertSerializer,
        summary="Resolve an alert with a comment (analysts)",
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[Analysts, ReadScope],
        renderer_classes=ANSWER_RENDERERS,
    )
    def resolve(self, request, pk=None):
        return self._move(request, pk, Alert.State.RESOLVED)


def _cap_response(request, alerts: list[Alert], *, many: bool) -> HttpResponse:
    from monitor.formats.cap import alert_as_cap_document, alerts_as_cap_document

    base_url = request.build_absolute_uri("/").rstrip("/")
    sender = f"accord-monitor@{request.get_host().split(':')[0]}"
    items = [(a, transitions_of(a), evidence_shown(a)) for a in alerts]
    if many:
        body = alerts_as_cap_document(items=items, sender=sender, base_url=base_url)
    else:
        alert, transitions, evidence = items[0]
        body = alert_as_cap_document(
            alert=alert,
            transitions=transitions,
            evidence=evidence,
            sender=sender,
            base_url=base_url,
        )
    return HttpResponse(body, content_type="application/cap+xml; charset=utf-8")
