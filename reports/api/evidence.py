"""Evidence files over the API: upload to a report before acceptance, or stage them on the
mission for a report still to be filed; download with checks."""

from collections.abc import Callable

from django.conf import settings
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ReadScope, ReportReaders
from core.api import error_response
from reports.api.permissions import CanSubmitReports
from reports.evidence import EvidenceRefused, EvidenceSizeLimit, evidence_add, evidence_stage
from reports.models import EvidenceFile
from reports.selectors import evidence_files_visible_to, missions_for_user, reports_visible_to

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the other form fields


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="JPEG, PNG, PDF, plain text, CSV or MP4 by default.")
    observation = serializers.IntegerField(
        required=False, help_text="Id of the report's observation the file backs."
    )


class EvidenceStageSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="JPEG, PNG, PDF, plain text, CSV or MP4 by default.")


class EvidenceFileSerializer(serializers.ModelSerializer):
    mission = serializers.CharField(source="mission.code", read_only=True)
    report = serializers.IntegerField(
        source="report_id", read_only=True, allow_null=True, help_text="Null while staged."
    )
    observation = serializers.IntegerField(source="observation_id", allow_null=True)
    uploaded_by = serializers.CharField(
        source="uploaded_by.username", allow_null=True, default=None
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceFile
        fields = [
            "id",
            "mission",
            "report",
            "observation",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, evidence: EvidenceFile) -> str:
        return reverse("api:evidence-download", args=[evidence.pk])


def _too_large() -> Response:
    return error_response(
        "too_large",
        f"Request entity too large: evidence files may be at most "
        f"{settings.EVIDENCE_MAX_BYTES} bytes.",
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


class _EvidenceUpload(APIView):
    """Readers of the reports list; observers of the mission (write scope) upload."""

    parser_classes = [MultiPartParser]

    def get_permissions(self):
        if self.request.method == "POST":
            return [CanSubmitReports()]
        return [ReportReaders(), ReadScope()]

    def initialize_request(self, request, *args, **kwargs):
        # Before authentication: a session's CSRF check may already read the multipart body.
        self.size_limit = EvidenceSizeLimit(request)
        if request.method == "POST":
            request.upload_handlers.insert(0, self.size_limit)
        return super().initialize_request(request, *args, **kwargs)

    @staticmethod
    def declared_too_large(request) -> bool:
        length = request.META.get("CONTENT_LENGTH") or "0"
        return length.isdigit() and int(length) > settings.EVIDENCE_MAX_BYTES + MULTIPART_OVERHEAD

    def upload(self, request, target: Callable[[], object], form_class, store) -> Response:
        """The shared POST: refuse a declared oversized body before reading it, find the
        target (404), validate the form, then ``store(target, form)``: 201, or the refusal."""
        if self.declared_too_large(request):
            return _too_large()  # refused before a byte of the body is read
        where = target()
        form = form_class(data=request.data)
        if self.size_limit.exceeded:
            return _too_large()
        form.is_valid(raise_exception=True)
        try:
            evidence = store(where, form.validated_data)
        except EvidenceRefused as refused:
            return error_response(refused.code, refused.message, refused.status)
        return Response(EvidenceFileSerializer(evidence).data, status=status.HTTP_201_CREATED)


class ReportEvidenceView(_EvidenceUpload):
    """GET lists a report's evidence files; POST adds one (before the report is accepted)."""

    def _report(self, request, pk: int):
        return get_object_or_404(reports_visible_to(user=request.user), pk=pk)

    @extend_schema(
        operation_id="reports_evidence_list",
        summary="A report's evidence files",
        responses=EvidenceFileSerializer(many=True),
    )
    def get(self, request, pk: int):
        report = self._report(request, pk)
        files = report.evidence_files.select_related("uploaded_by", "mission").order_by("id")
        return Response(EvidenceFileSerializer(files, many=True).data)

    @extend_schema(
        operation_id="reports_evidence_upload",
        summary="Attach an evidence file to a report that is not accepted yet",
        description=(
            "The type is detected from the content (JPEG, PNG, PDF, text, CSV, MP4 by "
            "default) and must match the file name's extension. 409 once the report is "
            "accepted: its ledger hash covers its evidence files."
        ),
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={
            201: EvidenceFileSerializer,
            400: OpenApiResponse(description="Not an accepted type, or disguised"),
            409: OpenApiResponse(description="The report is already accepted"),
            413: OpenApiResponse(description="Request entity too large"),
        },
    )
    def post(self, request, pk: int):
        def store(report, data):
            observation = None
            if (observation_id := data.get("observation")) is not None:
                observation = report.observations.filter(pk=observation_id).first()
                if observation is None:
                    raise EvidenceRefused(
                        f"Observation {observation_id} is not part of report {report.pk}."
                    )
            return evidence_add(
                report=report, upload=data["file"], by=request.user, observation=observation
            )

        return self.upload(
            request, lambda: self._report(request, pk), EvidenceUploadSerializer, store
        )


class MissionEvidenceView(_EvidenceUpload):
    """GET lists the mission's staged evidence files; POST stages one for a report to come.

    A report filed through the API is accepted as it is ingested, so its evidence is uploaded
    first, here, and named in the report's ``evidence`` list (docs/report-format.md); the
    ingest attaches the files before acceptance, so the report's ledger hash covers them.
    """

    def _mission(self, request, code: str):
        return get_object_or_404(missions_for_user(user=request.user), code=code)

    @extend_schema(
        operation_id="missions_evidence_staged",
        summary="A mission's staged evidence files (not yet named by a report)",
        responses=EvidenceFileSerializer(many=True),
    )
    def get(self, request, code: str):
        mission = self._mission(request, code)
        files = mission.evidence_files.filter(report__isnull=True).select_related(
            "uploaded_by", "mission"
        )
        return Response(EvidenceFileSerializer(files.order_by("id"), many=True).data)

    @extend_schema(
        operation_id="missions_evidence_stage",
        summary="Stage an evidence file for a report the mission will file",
        description=(
            "The same checks as for a report's evidence (type from the content, size limit). "
            "Name the returned id in the report's `evidence` list to attach it."
        ),
        request={"multipart/form-data": EvidenceStageSerializer},
        responses={
            201: EvidenceFileSerializer,
            400: OpenApiResponse(description="Not an accepted type, or disguised"),
            413: OpenApiResponse(description="Request entity too large"),
        },
    )
    def post(self, request, code: str):
        return self.upload(
            request,
            lambda: self._mission(request, code),
            EvidenceStageSerializer,
            lambda mission, data: evidence_stage(
                mission=mission, upload=data["file"], by=request.user
            ),
        )


class AnyAccept(BaseContentNegotiation):
    """A download is the file whatever the client accepts; errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class EvidenceDownloadView(APIView):
    permission_classes = [ReportReaders, ReadScope]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnyAccept

    @extend_schema(
        operation_id="evidence_download",
        summary="Download an evidence file of a report (or a staged file of a mission) you may see",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such file, or not one you may see"),
        },
    )
    def get(self, request, pk: int):
        evidence = get_object_or_404(evidence_files_visible_to(user=request.user), pk=pk)
        response = FileResponse(
            evidence.file.open("rb"),
            as_attachment=True,
            filename=evidence.original_name or f"evidence-{evidence.pk}",
            content_type=evidence.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
