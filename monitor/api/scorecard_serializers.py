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


class ActiveLifeSerializer(serializers.Serializer):
    """An agreement's active life: entry into force (or signature) to its end, both days
    included; ``to`` null while it has no end."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": serializers.DateField(source="start"),
            "to": serializers.DateField(source="end", allow_null=True),
        }


class RetrospectiveAlertSerializer(serializers.Serializer):
    """A finding about a past moment (a retrospective alert), never a live alert."""

    id = serializers.IntegerField()
    clause_id = serializers.IntegerField()
    clause = serializers.CharField(source="clause_reference")
    rule = serializers.CharField()
    severity = serializers.IntegerField(help_text="4 (critical) to 1 (low).")
    state = serializers.CharField()
    title = serializers.CharField()
    explanation = serializers.CharField()
    describes = IsoDateTimeField(help_text="The moment the finding is about.")
    first_seen = IsoDateTimeField(help_text="When the engine made the finding.")


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
    outside_period_or_area = serializers.IntegerField(
        source="outside",
        help_text="Observations in the period flagged as dated outside the clause's period or "
        "placed outside its area: counted apart, never in the figures above.",
    )


class AgreementScorecardSerializer(serializers.Serializer):
    """An agreement's compliance scorecard."""

    agreement = serializers.CharField(source="agreement.code")
    as_of = IsoDateTimeField(
        help_text="The moment the statuses describe: the end of the period unless asked."
    )
    known_at = IsoDateTimeField(help_text="Only reports filed by then count (default: now).")
    live = serializers.BooleanField(
        source="picture.live",
        help_text="True: statuses from the live alerts (the present); false: from the rules "
        "evaluated at `as_of` with what had been filed by `known_at`.",
    )
    period = ScorecardPeriodSerializer()
    period_kind = serializers.CharField(
        source="picture.kind",
        help_text="How the period was chosen: active_life (the whole life of an agreement "
        "that has ended, the default for one), recent (the last 12 weeks to today, the default "
        "otherwise), before_as_of (the 12 weeks to the as_of asked), chosen (from/to given).",
    )
    active_life = ActiveLifeSerializer(
        source="life", allow_null=True, help_text="Null: never in force."
    )
    summary = serializers.CharField(
        source="picture.summary", help_text="What the card shows, in words."
    )
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
    outside_period_or_area = serializers.IntegerField(
        source="outside", help_text="Flagged observations in the period, every clause."
    )
    retrospective_alerts = RetrospectiveAlertSerializer(
        many=True,
        source="retrospective",
        help_text="Findings about moments in the period (at most 200), raised by `known_at`; "
        "never among the live alerts.",
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


class PartyAgreementSerializer(serializers.Serializer):
    agreement = serializers.CharField(source="agreement.code")
    period_kind = serializers.CharField(
        source="kind",
        help_text="active_life (its life is over), active_life_so_far (in force: entry into "
        "force to today), before_as_of (its life up to the as_of asked), chosen (from/to), "
        "never_in_force.",
    )
    period = ScorecardPeriodSerializer(allow_null=True, help_text="Null: nothing counted.")
    as_of = IsoDateTimeField(help_text="The moment its obligations' statuses describe.")
    live = serializers.BooleanField(help_text="Statuses from the live alerts.")
    violations = serializers.IntegerField(help_text="Attributed to the party in the period.")


class PartyScorecardSerializer(serializers.Serializer):
    """A party's obligations and record, each agreement over its own period by default."""

    party = serializers.CharField(source="party.code")
    name = serializers.CharField(source="party.name")
    as_of = IsoDateTimeField(help_text="The as_of asked, or now.")
    known_at = IsoDateTimeField(help_text="Only reports filed by then count (default: now).")
    kind = serializers.CharField(
        help_text="each_active_life (the default: each agreement over its own active life), "
        "as_of (every agreement at the as_of asked) or chosen (the from/to period for all)."
    )
    agreements = PartyAgreementSerializer(many=True)
    violations = serializers.IntegerField()
    violations_by_agreement = AgreementViolationsSerializer(many=True)
    violations_by_category = CategoryViolationsSerializer(many=True)
    obligations = ObligationSerializer(many=True)


class OverviewRowSerializer(serializers.Serializer):
    """One agreement in the scorecard overview, over its own active period."""

    agreement = serializers.CharField(source="agreement.code")
    title = serializers.CharField(source="agreement.title")
    status = serializers.CharField(source="agreement.status")
    period_kind = serializers.CharField(
        source="kind",
        help_text="last_30_days (in force), active_life (its life is over, or suspended), "
        "not_yet_in_force or never_in_force (no figures).",
    )
    period = ScorecardPeriodSerializer(
        allow_null=True, help_text="The days `violations` counts; null: no figures."
    )
    active_life = ActiveLifeSerializer(
        source="life", allow_null=True, help_text="Null: never in force."
    )
    as_of = IsoDateTimeField(help_text="The moment of the rate: the end of the period.")
    implementation_rate = serializers.FloatField(
        allow_null=True,
        help_text="PAM scale, 0-100, as of `as_of`; null when no clause in force then is assessed.",
    )
    assessed_clauses = serializers.IntegerField(
        source="assessed", help_text="Clauses in force at `as_of` with a level then."
    )
    open_alerts = serializers.IntegerField(help_text="Live alerts now.")
    open_alerts_by_severity = serializers.DictField(
        child=serializers.IntegerField(), help_text='By severity, "4" (critical) to "1".'
    )
    violations = serializers.IntegerField(
        allow_null=True, help_text="Violations in `period`; null: no figures."
    )
    violations_30d = serializers.IntegerField(
        allow_null=True, help_text="Violations in the last 30 days; null unless in force."
    )
    violations_trend = serializers.ListField(
        source="trend",
        child=serializers.IntegerField(),
        help_text="Violations per bucket of `trend_starts`, oldest first.",
    )
    trend_unit = serializers.CharField(
        allow_null=True,
        help_text="week (the last 12 weeks of an agreement in force), or week, month, "
        "quarter or year over an active life (at most 52 buckets); null: no trend.",
    )
    trend_starts = serializers.ListField(
        child=serializers.DateField(), help_text="The first day of each bucket."
    )
    weekly_violations = serializers.SerializerMethodField(
        help_text="The last 12 weeks, oldest first, for an agreement in force; null otherwise "
        "(see `violations_trend`)."
    )

    def get_weekly_violations(self, row: Any) -> list[int] | None:
        return list(row.trend) if row.kind == "last_30_days" else None
