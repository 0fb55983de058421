"""Input and output serializers of the report-ingestion API."""

from django.urls import reverse
from rest_framework import serializers

from reports.models import InboundPayload
from reports.parsers import PARSERS


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
    profile = serializers.SlugField(required=False, help_text="Column profile for CSV/XLSX.")
    agreement = serializers.SlugField(required=False)
    timezone = serializers.CharField(
        required=False,
        help_text="Zone of times without an offset and dates without a time (default: the "
        "mission's time zone).",
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
