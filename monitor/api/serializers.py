from rest_framework import serializers

from monitor.models import Alert, AlertTransition, Severity
from monitor.selectors import evidence_withheld


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    place_name = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    grade = serializers.CharField()
    verification_status = serializers.CharField()
    description = serializers.CharField()


class TransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", allow_null=True, default=None)

    class Meta:
        model = AlertTransition
        fields = ["id", "kind", "from_state", "to_state", "severity", "at", "by", "comment"]


class AlertSerializer(serializers.ModelSerializer):
    agreement = serializers.CharField(source="agreement.code")
    clause = serializers.CharField(source="clause.reference")
    clause_id = serializers.IntegerField()
    party = serializers.CharField(source="party.code", allow_null=True, default=None)
    area = serializers.CharField(source="area.code", allow_null=True, default=None)
    severity_label = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True, source="evidence_list", read_only=True)
    evidence_withheld = serializers.SerializerMethodField(
        help_text="Evidence rows of other missions that you may not see (observers)."
    )
    history = TransitionSerializer(many=True, source="transition_list", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "title",
            "explanation",
            "state",
            "severity",
            "severity_label",
            "agreement",
            "clause",
            "clause_id",
            "party",
            "area",
            "describes",
            "first_seen",
            "last_seen",
            "resolved_at",
            "details",
            "evidence",
            "evidence_withheld",
            "history",
        ]

    def get_severity_label(self, alert: Alert) -> str:
        return Severity(alert.severity).label

    def get_evidence_withheld(self, alert: Alert) -> int:
        return evidence_withheld(alert)


class AlertSummarySerializer(serializers.ModelSerializer):
    agreement = serializers.CharField(source="agreement.code")
    clause = serializers.CharField(source="clause.reference")
    party = serializers.CharField(source="party.code", allow_null=True, default=None)

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "title",
            "explanation",
            "state",
            "severity",
            "agreement",
            "clause",
            "party",
            "describes",
            "first_seen",
            "last_seen",
        ]


class ChangeSerializer(serializers.ModelSerializer):
    """One row of the change feed: the transition and the alert as it is now."""

    alert = AlertSummarySerializer()
    by = serializers.CharField(source="by.username", allow_null=True, default=None)

    class Meta:
        model = AlertTransition
        fields = [
            "id",
            "kind",
            "from_state",
            "to_state",
            "severity",
            "at",
            "by",
            "comment",
            "alert",
        ]


class ChangesPageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next_cursor = serializers.CharField()
    has_more = serializers.BooleanField()


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
