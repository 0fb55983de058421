"""Reading missions, reports and observations over the API, scoped to the caller's missions."""

import django_filters
from django.db.models import Q
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError

from accounts.permissions import ReadScope, ReportReaders
from core.api import CursorById, UTCDateTimeFilter
from core.params import as_of_param, known_at_param
from core.renderers import CSVRenderer, FeatureCollectionSerializer, GeoJSONRenderer
from reports.formats import (
    OBSERVATION_COLUMNS,
    csv_stream,
    geojson_stream,
    observation_feature,
    observation_row,
)
from reports.models import Observation, ObserverMission, Report
from reports.selectors import (
    known_by_q,
    missions_for_user,
    observations_visible_to,
    reports_visible_to,
)

EXPORT_LIMIT = 100_000


class MissionSerializer(serializers.ModelSerializer):
    mechanisms = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = ObserverMission
        fields = [
            "code",
            "name",
            "is_active",
            "active_from",
            "active_until",
            "time_zone",
            "mechanisms",
            "description",
        ]


class ReportSerializer(serializers.ModelSerializer):
    mission = serializers.CharField(source="mission.code")
    supersedes = serializers.IntegerField(source="supersedes_id", allow_null=True)
    observations = serializers.IntegerField(source="observation_count", read_only=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "mission",
            "external_id",
            "revision",
            "status",
            "period_start",
            "period_end",
            "title",
            "summary",
            "channel",
            "filed_at",
            "archival",
            "supersedes",
            "content_sha256",
            "ledger_seq",
            "ledger_prev_hash",
            "ledger_hash",
            "observations",
        ]
        read_only_fields = ["archival", "ledger_seq", "ledger_prev_hash", "ledger_hash"]


class ObservationSerializer(serializers.ModelSerializer):
    report = serializers.IntegerField(source="report_id")
    mission = serializers.CharField(source="report.mission.code")
    agreement = serializers.CharField(source="clause.agreement.code", allow_null=True, default=None)
    clause = serializers.CharField(source="clause.reference", allow_null=True, default=None)
    party = serializers.CharField(source="party.code", allow_null=True, default=None)
    grade = serializers.CharField(read_only=True)

    class Meta:
        model = Observation
        fields = [
            "id",
            "report",
            "mission",
            "agreement",
            "clause",
            "kind",
            "party",
            "occurred_at",
            "occurred_on",
            "date_only",
            "place_name",
            "admin_area",
            "latitude",
            "longitude",
            "quantity",
            "severity",
            "description",
            "evidence_urls",
            "source",
            "source_reliability",
            "information_credibility",
            "grade",
            "verification_status",
            "attributes",
            "outside_period",
            "outside_area",
            "scope_note",
            "actor",
            "amount",
            "unit",
            "to_place_name",
            "to_latitude",
            "to_longitude",
            "place_mismatch",
            "place_note",
        ]


@extend_schema_view(
    list=extend_schema(summary="Missions you act for (all, for analysts)"),
    retrieve=extend_schema(summary="One mission you act for"),
)
class MissionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MissionSerializer
    permission_classes = [ReportReaders, ReadScope]
    lookup_field = "code"

    def get_queryset(self):
        return missions_for_user(user=self.request.user).prefetch_related("mechanisms")


class ReportFilter(django_filters.FilterSet):
    mission = django_filters.CharFilter(field_name="mission__code")
    status = django_filters.ChoiceFilter(choices=Report._meta.get_field("status").choices)
    period_after = UTCDateTimeFilter(field_name="period_end", lookup_expr="gte")
    period_before = UTCDateTimeFilter(field_name="period_start", lookup_expr="lte")
    archival = django_filters.BooleanFilter(
        help_text="true: only archival reports (filed long after their period ended); false: "
        "only the others."
    )

    class Meta:
        model = Report
        fields = ["mission", "status", "external_id", "archival"]


@extend_schema_view(
    list=extend_schema(summary="Reports you may see"),
    retrieve=extend_schema(summary="One report you may see, with its observation count"),
)
class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ReportSerializer
    permission_classes = [ReportReaders, ReadScope]
    filterset_class = ReportFilter

    def get_queryset(self):
        from django.db.models import Count

        return (
            reports_visible_to(user=self.request.user)
            .select_related("mission")
            .annotate(observation_count=Count("observations"))
        )


class ObservationFilter(django_filters.FilterSet):
    agreement = django_filters.CharFilter(field_name="clause__agreement__code")
    clause = django_filters.NumberFilter(field_name="clause_id")
    party = django_filters.CharFilter(field_name="party__code")
    kind = django_filters.ChoiceFilter(choices=Observation.Kind.choices)
    min_severity = django_filters.NumberFilter(field_name="severity", lookup_expr="gte")
    verification_status = django_filters.ChoiceFilter(choices=Observation.Verification.choices)
    occurred_after = UTCDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = UTCDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    bbox = django_filters.CharFilter(
        method="in_bbox", help_text="min_lon,min_lat,max_lon,max_lat (WGS84)"
    )
    outside = django_filters.ChoiceFilter(
        choices=[
            ("period", "dated outside the clause's or agreement's period"),
            ("area", "placed outside the clause's areas"),
            ("any", "either"),
            ("none", "neither: the rows the rules count"),
        ],
        method="by_scope",
        help_text="Rows flagged outside their clause's period or areas (see scope_note).",
    )
    place_mismatch = django_filters.BooleanFilter(
        help_text="true: rows whose coordinates lie in another admin area than the one they "
        "name (see place_note); false: the others."
    )
    actor = django_filters.CharFilter(
        lookup_expr="iexact", help_text="The actor as the source named it (any case)."
    )
    unattributed = django_filters.BooleanFilter(
        field_name="party",
        lookup_expr="isnull",
        help_text="true: rows attributed to no party (an unknown actor is kept in actor); "
        "false: rows attributed to one.",
    )
    as_of = django_filters.CharFilter(
        method="happened_by",
        help_text="YYYY-MM-DD: rows that had happened by the end of that day (UTC).",
    )
    known_at = django_filters.CharFilter(
        method="known_by",
        help_text="YYYY-MM-DD (end of day, UTC) or YYYY-MM-DDTHH:MM: only rows of reports "
        "filed by then and not yet corrected then (docs/time.md). Default: every filed row.",
    )

    class Meta:
        model = Observation
        fields = ["agreement", "clause", "party", "kind", "verification_status"]

    def happened_by(self, queryset, name, value):
        as_of = as_of_param({"as_of": value})
        return queryset if as_of is None else queryset.filter(occurred_at__lte=as_of)

    def known_by(self, queryset, name, value):
        known_at = known_at_param({"known_at": value})
        return queryset if known_at is None else queryset.filter(known_by_q(known_at, "report__"))

    def by_scope(self, queryset, name, value):
        if value == "period":
            return queryset.filter(outside_period=True)
        if value == "area":
            return queryset.filter(outside_area=True)
        if value == "any":
            return queryset.filter(Q(outside_period=True) | Q(outside_area=True))
        return queryset.filter(outside_period=False, outside_area=False)

    def in_bbox(self, queryset, name, value):
        try:
            min_lon, min_lat, max_lon, max_lat = (float(v) for v in value.split(","))
        except ValueError:
            raise ValidationError({"bbox": "Give min_lon,min_lat,max_lon,max_lat."}) from None
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise ValidationError({"bbox": "Out of range or not ordered (min before max)."})
        return queryset.filter(
            longitude__gte=min_lon,
            longitude__lte=max_lon,
            latitude__gte=min_lat,
            latitude__lte=max_lat,
        )


EXPORT_PARAMS = [
    OpenApiParameter(
        "format",
        OpenApiTypes.STR,
        enum=["json", "csv", "geojson"],
        description="csv and geojson export every match (up to 100,000 rows).",
    ),
    OpenApiParameter("hxl", OpenApiTypes.BOOL, description="csv: add an HXL hashtag row."),
]


@extend_schema_view(
    list=extend_schema(
        summary="Observations you may see; csv and geojson exports",
        parameters=EXPORT_PARAMS,
        responses={
            (200, "application/json"): ObservationSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/geo+json"): FeatureCollectionSerializer,
        },
    ),
    retrieve=extend_schema(summary="One observation you may see"),
)
class ObservationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ObservationSerializer
    permission_classes = [ReportReaders, ReadScope]
    filterset_class = ObservationFilter
    renderer_classes = [
        *viewsets.ReadOnlyModelViewSet.renderer_classes,
        CSVRenderer,
        GeoJSONRenderer,
    ]

    def get_renderers(self):
        renderers = super().get_renderers()
        if self.action == "list":
            return renderers
        return [r for r in renderers if not isinstance(r, CSVRenderer | GeoJSONRenderer)]

    def get_queryset(self):
        return observations_visible_to(user=self.request.user).select_related(
            "report__mission", "clause__agreement", "party"
        )

    def list(self, request, *args, **kwargs):
        fmt = getattr(request.accepted_renderer, "format", "json")
        if fmt not in ("csv", "geojson"):
            return super().list(request, *args, **kwargs)
        rows = self.filter_queryset(self.get_queryset()).order_by("id")[:EXPORT_LIMIT]
        if fmt == "csv":
            hxl = request.query_params.get("hxl") in ("1", "true", "yes")
            body = csv_stream(
                (observation_row(o) for o in rows.iterator(chunk_size=2000)),
                OBSERVATION_COLUMNS,
                hxl=hxl,
            )
            response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="observations.csv"'
            return response
        body = geojson_stream(observation_feature(o) for o in rows.iterator(chunk_size=2000))
        return StreamingHttpResponse(body, content_type="application/geo+json")


class ReportListSchema(OpenApiViewExtension):
    """GET /reports/ is answered by ReportViewSet's list (ReportSubmitView hands it over):
    describe it as that list, paginated and filtered, not as a bare array."""

    target_class = "reports.api.views.ReportSubmitView"

    def view_replacement(self):
        class ReportSubmitView(self.target_class):
            filter_backends = [DjangoFilterBackend]
            filterset_class = ReportFilter
            pagination_class = CursorById

            def get_queryset(self):
                return Report.objects.none()

        return ReportSubmitView
