"""Output serializers of the scorecards (monitor.scorecards.cards): the JSON the API returns
and, through drf-spectacular, every field of it in the OpenAPI schema."""

from typing import Any

from rest_framework import serializers

from monitor.status import STATUS_LABELS

STATUS_HELP = "One of: " + ", ".join(STATUS_LABELS) + "."


class IsoDateTimeField(serializers.DateTimeField):
    """A moment as Python writes it in ISO 8601 (``+00:00``, microseconds when there are any),
    as the scorecards have always given it."""

    def to_representation(self, value: Any) -> str:
        return str(value.isoformat())


class ScorecardPeriodSerializer(serializers.Serializer):
    """The period of the weekly figures, both days included."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # "from" is a Python keyword: the fields are named here, not as attributes.
        return {
            "from": serializers.DateField(source="start"),
            "to": serializers.DateField(source="end"),
        }


class CategoryFiguresSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # the JSON key, not Field.label
    clauses = serializers.IntegerField()
    statuses = serializers.DictField(
        child=serializers.IntegerField(), help_text="Clauses by status code."
    )
    implementation_rate = serializers.FloatField(
        allow_null=True, help_text="PAM scale, 0-100; null when no clause is assessed."
    )
    assessed = serializers.IntegerField()


class PartyViolationsSerializer(serializers.Serializer):
    party = serializers.CharField(help_text="The party's code.")
    violations = serializers.IntegerField()


class ClauseRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="clause.pk")
    reference = serializers.CharField(source="clause.reference")
    title = serializers.CharField(source="clause.title")
    category = serializers.CharField(source="clause.category")
    depth = serializers.IntegerField(help_text="0 for a top-level clause.")
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField()
    implementation_level = serializers.IntegerField(
        source="level", allow_null=True, help_text="The latest 0-3 level; null: not assessed."
    )
    deadline = serializers.DateField(source="clause.deadline", allow_null=True)
    weekly_violations_compliance = serializers.ListField(
        source="weekly",
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        allow_null=True,
        help_text="[violations, compliance] per week of `weeks`; null: nothing observed.",
    )


class AgreementScorecardSerializer(serializers.Serializer):
    """An agreement's compliance scorecard."""

    agreement = serializers.CharField(source="agreement.code")
    as_of = IsoDateTimeField()
    period = ScorecardPeriodSerializer()
    implementation_rate = serializers.FloatField(
        allow_null=True, help_text="PAM scale, 0-100; null when no clause in force is assessed."
    )
    assessed_clauses = serializers.IntegerField(source="assessed")
    not_assessed_clauses = serializers.IntegerField(source="not_assessed")
    not_in_force_clauses = serializers.IntegerField(source="not_in_force")
    statuses = serializers.DictField(
        child=serializers.IntegerField(), help_text="Clauses by status code."
    )
    by_category = serializers.DictField(
        child=CategoryFiguresSerializer(), help_text="By clause category code."
    )
    violations_by_party = PartyViolationsSerializer(many=True)
    weeks = serializers.ListField(
        child=serializers.DateField(), help_text="The Monday of each week of the period."
    )
    violations_by_party_and_week = serializers.DictField(
        source="party_weeks",
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="By party code: violations per week of `weeks`.",
    )
    violations_by_party_and_category = serializers.DictField(
        source="party_categories",
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="By party code, then clause category code.",
    )
    clauses = ClauseRowSerializer(many=True, source="rows")


class AgreementViolationsSerializer(serializers.Serializer):
    agreement = serializers.CharField(help_text="The agreement's code.")
    violations = serializers.IntegerField()


class CategoryViolationsSerializer(serializers.Serializer):
    category = serializers.CharField(help_text="A clause category code.")
    violations = serializers.IntegerField()


class ObligationSerializer(serializers.Serializer):
    agreement = serializers.CharField(source="clause.agreement.code")
    clause = serializers.CharField(source="clause.reference")
    title = serializers.CharField(source="clause.title")
    status = serializers.CharField(help_text=STATUS_HELP)


class PartyScorecardSerializer(serializers.Serializer):
    """A party's obligations and record."""

    party = serializers.CharField(source="party.code")
    name = serializers.CharField(source="party.name")
    as_of = IsoDateTimeField()
    violations = serializers.IntegerField()
    violations_by_agreement = AgreementViolationsSerializer(many=True)
    violations_by_category = CategoryViolationsSerializer(many=True)
    obligations = ObligationSerializer(many=True)


class OverviewRowSerializer(serializers.Serializer):
    """One agreement in the scorecard overview."""

    agreement = serializers.CharField(source="agreement.code")
    title = serializers.CharField(source="agreement.title")
    status = serializers.CharField(source="agreement.status")
    implementation_rate = serializers.FloatField(
        allow_null=True, help_text="PAM scale, 0-100; null when no clause is assessed."
    )
    open_alerts = serializers.IntegerField()
    open_alerts_by_severity = serializers.DictField(
        child=serializers.IntegerField(), help_text='By severity, "4" (critical) to "1".'
    )
    violations_30d = serializers.IntegerField()
    weekly_violations = serializers.ListField(
        source="trend",
        child=serializers.IntegerField(),
        help_text="The last 12 weeks, oldest first.",
    )
