"""Report ingestion over HTTP: store the body, answer 202 at once, let the workers parse."""

import hashlib
from pathlib import Path

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ReadScope, ReportReaders
from core.api import CursorByNewest, error_response
from reports.api.permissions import CanSubmitReports
from reports.api.reads import ReportSerializer
from reports.api.serializers import (
    PayloadAcceptedSerializer,
    PayloadStatusSerializer,
    PreviewSerializer,
    UploadSerializer,
    accepted_body,
)
from reports.ingest.preview import preview_file
from reports.ingest.receive import payload_receive
from reports.models import Channel
from reports.profiles.registry import profile_named, profile_params
from reports.profiles.spec import ProfileProblem
from reports.selectors import missions_for_user, payloads_visible_to

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a request with the same key to get the first answer back.",
)
EXTENSION_FORMATS = {".json": "json", ".csv": "csv", ".xlsx": "xlsx"}


def _too_large(request) -> Response | None:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > settings.INGEST_MAX_BODY_BYTES:
        return error_response(
            "too_large",
            f"The body is {int(length)} bytes; the limit is {settings.INGEST_MAX_BODY_BYTES}. "
            "Split the report into several payloads.",
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    return None


def _accepted(result) -> Response:
    response = Response(accepted_body(result.payload), status=status.HTTP_202_ACCEPTED)
    response["Location"] = accepted_body(result.payload)["status_url"]
    if not result.created:
        response["Idempotent-Replayed"] = "true"
    return response


class ReportSubmitView(APIView):
    """GET lists the reports you may see; POST files a new one."""

    parser_classes: list = []  # the body is stored as received, never parsed here

    def get_permissions(self):
        if self.request.method == "POST":
            return [CanSubmitReports()]
        return [ReportReaders(), ReadScope()]

    @extend_schema(
        operation_id="reports_list",
        summary="Reports you may see",
        responses=ReportSerializer(many=True),
        filters=True,
    )
    def get(self, request):
        from reports.api.reads import ReportViewSet

        return ReportViewSet.as_view({"get": "list"})(request._request)

    @extend_schema(
        operation_id="reports_submit",
        summary="Submit a JSON report",
        description="Stores the body before parsing it; a worker ingests it. Poll status_url.",
        parameters=[IDEMPOTENCY_HEADER],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={202: PayloadAcceptedSerializer, 413: OpenApiResponse(description="Too large")},
    )
    def post(self, request):
        if too_large := _too_large(request):
            return too_large
        try:
            body = request.body
        except RequestDataTooBig:
            return _too_large(request) or error_response(
                "too_large", "The body is too large.", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
            )
        result = payload_receive(
            body=body,
            content_type=request.content_type or "application/json",
            format="json",
            channel=Channel.API,
            sender=request.user,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        return _accepted(result)


class ReportUploadView(APIView):
    permission_classes = [CanSubmitReports]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="reports_upload",
        summary="Upload a report file (JSON, CSV, HXL-tagged CSV or XLSX)",
        description="Stores the file before parsing it; a worker ingests it. With "
        "dry_run=true, reads and checks every row and answers the preview; stores nothing.",
        parameters=[IDEMPOTENCY_HEADER],
        request={"multipart/form-data": UploadSerializer},
        responses={
            202: PayloadAcceptedSerializer,
            200: OpenApiResponse(PreviewSerializer, description="dry_run=true: the preview"),
            400: OpenApiResponse(description="Invalid fields, or a profile that cannot be used"),
            403: OpenApiResponse(description="Not a mission you may file for"),
            413: OpenApiResponse(description="Too large"),
        },
    )
    def post(self, request):
        if too_large := _too_large(request):
            return too_large
        form = UploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        mission = missions_for_user(user=request.user).filter(code=data["mission"]).first()
        if mission is None:
            return error_response(
                "permission_denied",
                f'You cannot file reports for mission "{data["mission"]}".',
                status.HTTP_403_FORBIDDEN,
            )
        upload = data["file"]
        body = upload.read()
        suffix = Path(upload.name or "").suffix.lower()
        fmt = data.get("format") or EXTENSION_FORMATS.get(suffix)
        if fmt is None:
            return error_response(
                "invalid",
                f'Cannot tell the format of "{upload.name}": give format=json, csv, hxl or xlsx.',
                status.HTTP_400_BAD_REQUEST,
            )
        try:
            params = _upload_params(data, body, mission)
        except ProfileProblem as problem:
            return error_response("invalid", str(problem), status.HTTP_400_BAD_REQUEST)
        if data["dry_run"]:
            preview = preview_file(
                body=body, format=fmt, params=params, mission=mission, sender=request.user
            )
            return Response(preview.as_dict(), status=status.HTTP_200_OK)
        result = payload_receive(
            body=body,
            content_type=upload.content_type or "application/octet-stream",
            format=fmt,
            channel=Channel.UPLOAD,
            sender=request.user,
            mission=mission,
            params=params,
            filename=upload.name or "",
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        return _accepted(result)


PROFILE_CHOICES = ("profile", "sheet", "set", "dry_run")


def _upload_params(data: dict, body: bytes, mission) -> dict:
    """The params stored with an uploaded file: its fields, with the profile chosen (by name
    only: a path would read the server's files) and this upload's sheet, constants and zone
    kept whole in them; ProfileProblem when the profile cannot be used."""
    params = {k: v for k, v in data.items() if k not in ("file", "format", *PROFILE_CHOICES)}
    params.setdefault("external_id", f"upload-{hashlib.sha256(body).hexdigest()[:16]}")
    name = data.get("profile")
    spec = profile_named(name, mission_code=mission.code) if name else None
    return profile_params(
        params,
        spec,
        sheet=data.get("sheet") or "",
        constants=data.get("set") or None,
        zone=data.get("timezone") or "",
    )


def _payloads_for(user):
    return payloads_visible_to(user=user).defer("body")


class NewestFirst(CursorByNewest):
    """Newest first, ``page_size`` up to 500 like every list (the default "-created" is no
    field of InboundPayload)."""


@extend_schema(summary="Ingestion status of a payload: state, counts, errors row by row")
class PayloadDetailView(generics.RetrieveAPIView):
    serializer_class = PayloadStatusSerializer
    permission_classes = [ReportReaders, ReadScope]

    def get_queryset(self):
        return _payloads_for(self.request.user)


@extend_schema(summary="Payloads you may see, newest first")
class PayloadListView(generics.ListAPIView):
    serializer_class = PayloadStatusSerializer
    permission_classes = [ReportReaders, ReadScope]
    pagination_class = NewestFirst

    def get_queryset(self):
        return _payloads_for(self.request.user)
