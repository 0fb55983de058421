"""Input and output serializers of the report-ingestion API."""

import json
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reports.ingest.preview import constants_parse
from reports.models import InboundPayload
from reports.parsers import PARSERS
from reports.profiles.spec import ProfileProblem


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": {"type": "string", "example": "kind=violation"}},
            {"type": "object", "additionalProperties": True},
        ]
    }
)
class ConstantsField(serializers.Field):
    """``set``: FIELD=VALUE texts (the field repeated) or one JSON object."""

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):
            values = dictionary.getlist(self.field_name)
            return values if values else serializers.empty
        return dictionary.get(self.field_name, serializers.empty)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, str):
            data = [data]
        if isinstance(data, list) and len(data) == 1 and str(data[0]).lstrip().startswith("{"):
            try:
                data = json.loads(data[0])
            except ValueError:
                raise serializers.ValidationError("is not a JSON object") from None
        if not isinstance(data, list | dict):
            raise serializers.ValidationError("give FIELD=VALUE texts or a JSON object")
        try:
            return constants_parse(data)
        except ProfileProblem as problem:
            raise serializers.ValidationError(str(problem)) from None

    def to_representation(self, value: Any) -> Any:
        return value


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    mission = serializers.SlugField(help_text="Code of the mission the report is for.")
    external_id = serializers.CharField(
        max_length=120,
        required=False,
        help_text="The report's id in your own system; defaults to the file's checksum.",
    )
    format = serializers.ChoiceField(
        choices=sorted(PARSERS),
        required=False,
        help_text="Defaults from the file name: .json, .csv (HXL detected), .xlsx.",
    )
    profile = serializers.SlugField(
        required=False,
        help_text="Import profile by name: one stored in the admin (of every mission or of "
        "this one) or a shipped one (acled, kobo, odk, hxl). Never a file path.",
    )
    sheet = serializers.CharField(
        required=False, max_length=100, help_text="Workbook sheet to read (XLSX)."
    )
    set = ConstantsField(
        required=False,
        help_text="Values for every row: repeat set=FIELD=VALUE (set=kind=violation), or one "
        'JSON object ({"kind": "violation", "clause": "1"}).',
    )
    agreement = serializers.SlugField(required=False)
    timezone = serializers.CharField(
        required=False,
        help_text="Zone of times without an offset and dates without a time (default: the "
        "profile's, else the mission's time zone).",
    )
    dry_run = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: answer 200 with the preview (first rows, problems, figures) and "
        "store nothing.",
    )
    period_start = serializers.CharField(required=False)
    period_end = serializers.CharField(required=False)
    title = serializers.CharField(required=False, max_length=200)


class PayloadAcceptedSerializer(serializers.Serializer):
    payload_id = serializers.IntegerField()
    state = serializers.CharField()
    status_url = serializers.CharField()


class PayloadStatusSerializer(serializers.ModelSerializer):
    observations = serializers.SerializerMethodField()
    error_count = serializers.SerializerMethodField()
    report_id = serializers.IntegerField(allow_null=True)
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = InboundPayload
        fields = [
            "id",
            "state",
            "format",
            "channel",
            "content_type",
            "filename",
            "size",
            "sha256",
            "received_at",
            "processed_at",
            "attempts",
            "report_id",
            "observations",
            "error_count",
            "errors",
            "last_error",
            "result",
            "status_url",
        ]

    def get_observations(self, payload: InboundPayload) -> int | None:
        return payload.result.get("observations")

    def get_error_count(self, payload: InboundPayload) -> int:
        return payload.result.get("error_count", len(payload.errors))

    def get_status_url(self, payload: InboundPayload) -> str:
        return reverse("api:payload-detail", args=[payload.pk])


def accepted_body(payload: InboundPayload) -> dict:
    return {
        "payload_id": payload.pk,
        "state": payload.state,
        "status_url": reverse("api:payload-detail", args=[payload.pk]),
    }


class PreviewTotalsSerializer(serializers.Serializer):
    rows_read = serializers.IntegerField()
    valid = serializers.IntegerField(help_text="Rows without a problem.")
    with_problems = serializers.IntegerField()
    blank_skipped = serializers.IntegerField()
    would_store = serializers.IntegerField(
        help_text="Observations stored on confirming: the valid rows, or 0 if any row fails."
    )


class PreviewProblemSerializer(serializers.Serializer):
    # "label" is also an attribute of every DRF field: the output key wins here.
    label = serializers.CharField(help_text='"sheet Events, row 12"')  # type: ignore[assignment]
    row = serializers.IntegerField(allow_null=True)
    sheet = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()
    text = serializers.CharField()


class PreviewFigureSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()


class PreviewColumnSerializer(serializers.Serializer):
    header = serializers.CharField(allow_null=True)
    tag = serializers.CharField(allow_null=True)
    field = serializers.CharField(allow_null=True)
    kept_as = serializers.ChoiceField(choices=["field", "attribute", "ignored"])


class PreviewSerializer(serializers.Serializer):
    """What ``dry_run=true`` answers (reports.ingest.preview.Preview.as_dict)."""

    format = serializers.CharField()
    mission = serializers.CharField()
    profile = serializers.CharField()
    sheet = serializers.CharField()
    accepted = serializers.BooleanField(help_text="The ingest would accept the file.")
    outcome = serializers.CharField()
    refusal = serializers.ListField(child=serializers.CharField())
    notes = serializers.ListField(child=serializers.CharField())
    totals = PreviewTotalsSerializer()
    problems = PreviewProblemSerializer(many=True)
    problems_listed = serializers.IntegerField()
    sample = serializers.ListField(
        child=serializers.DictField(), help_text="The first rows as they would be stored."
    )
    figures = serializers.DictField(
        child=PreviewFigureSerializer(many=True),
        help_text="By kind, clause, party (unattributed, unknown actors), month, admin_area; "
        "flags.",
    )
    columns = PreviewColumnSerializer(many=True)
    conversions = serializers.ListField(
        child=serializers.DictField(), help_text="Time values as read and as stored."
    )
