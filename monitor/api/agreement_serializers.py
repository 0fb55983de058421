from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agreements.models import Agreement, AgreementParty, Clause, VerificationMechanism
from monitor.cadence import CadenceStatus, cadence_status, cadence_text


class AgreementPartySerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="party.code")
    name = serializers.CharField(source="party.name")

    class Meta:
        model = AgreementParty
        fields = ["code", "name", "role"]


@extend_schema_field({"type": "string", "anyOf": [{"format": "uri"}, {"maxLength": 0}]})
class BlankableURLField(serializers.CharField):
    """A URL or "": the schema must allow the empty string a blank URLField holds."""


class AgreementSerializer(serializers.ModelSerializer):
    source_url = BlankableURLField(
        read_only=True, help_text="Where the text was published; empty when unknown."
    )
    parties = AgreementPartySerializer(source="agreementparty_set", many=True, read_only=True)

    class Meta:
        model = Agreement
        fields = [
            "code",
            "title",
            "short_title",
            "kind",
            "status",
            "negotiation_round",
            "venue",
            "signed_on",
            "in_force_on",
            "expires_on",
            "summary",
            "source_url",
            "source_note",
            "parties",
        ]


class ClauseSerializer(serializers.ModelSerializer):
    agreement = serializers.CharField(source="agreement.code")
    parent = serializers.CharField(  # type: ignore[assignment]  # the API field, not Field.parent
        source="parent.reference", allow_null=True, default=None
    )
    obliged_parties = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    prerequisites = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)
    areas = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    mechanisms = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    status = serializers.SerializerMethodField(
        help_text="complied, violated, deadline_missed, not_verifiable, unmonitored, stale, "
        "prerequisite_breached, single_source, not_in_force or no_data"
    )
    implementation_level = serializers.IntegerField(
        source="latest_level",
        allow_null=True,
        read_only=True,
        help_text="Latest analyst assessment, 0 not initiated .. 3 complete (PAM scale).",
    )

    class Meta:
        model = Clause
        fields = [
            "id",
            "agreement",
            "reference",
            "parent",
            "position",
            "title",
            "text",
            "category",
            "phase",
            "obliged_parties",
            "prerequisites",
            "in_force_from",
            "deadline",
            "deadline_text",
            "areas",
            "geometry",
            "mechanisms",
            "status",
            "implementation_level",
        ]

    def get_status(self, clause: Clause) -> str:
        return self.context.get("statuses", {}).get(clause.pk, "no_data")


class MechanismSerializer(serializers.ModelSerializer):
    agreement = serializers.CharField(source="agreement.code")
    responsible_party = serializers.CharField(
        source="responsible_party.code", allow_null=True, default=None
    )
    clauses = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)
    reporting_interval_hours = serializers.SerializerMethodField()
    grace_hours = serializers.SerializerMethodField()
    last_report_at = serializers.DateTimeField(
        source="last_filed",
        allow_null=True,
        read_only=True,
        help_text="When the latest report counted for its cadence was filed.",
    )
    last_covered = serializers.DateTimeField(
        allow_null=True,
        read_only=True,
        help_text="The latest moment its missions' reports cover (archival reports, filed long "
        "after their period, do not count for the present).",
    )
    cadence_status = serializers.SerializerMethodField(help_text="ok, grace, overdue or ended")
    cadence_text = serializers.SerializerMethodField(
        help_text='The cadence in words: "ended on 31 March 2022", "overdue: last covered up to '
        '3 March 2026".'
    )

    class Meta:
        model = VerificationMechanism
        fields = [
            "id",
            "agreement",
            "code",
            "name",
            "kind",
            "responsible_party",
            "clauses",
            "reporting_interval_hours",
            "grace_hours",
            "active_from",
            "active_until",
            "last_report_at",
            "last_covered",
            "cadence_status",
            "cadence_text",
        ]

    def get_reporting_interval_hours(self, m) -> float:
        return m.reporting_interval.total_seconds() / 3600

    def get_grace_hours(self, m) -> float:
        return m.grace.total_seconds() / 3600

    def _cadence(self, m) -> CadenceStatus:
        return cadence_status(
            last=m.last_covered,
            interval=m.reporting_interval,
            grace=m.grace,
            now=self.context.get("now") or timezone.now(),
            since=m.active_from,
            until=m.active_until,
        )

    def get_cadence_status(self, m) -> str:
        return self._cadence(m).value

    def get_cadence_text(self, m) -> str:
        return cadence_text(self._cadence(m), last=m.last_covered, until=m.active_until)
