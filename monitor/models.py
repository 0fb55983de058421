"""Rules, alerts and their history."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from agreements.models import Agreement, Area, Clause, Party
from core.history import AuditedRecords
from reports.models import Observation


class Severity(models.IntegerChoices):
    LOW = 1, "Low"
    MODERATE = 2, "Moderate"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


class RuleConfig(models.Model):
    """An agreement's override of a rule: switched off, or other parameters."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="rule_configs")
    rule = models.CharField(max_length=60)
    enabled = models.BooleanField(default=True)
    params = models.JSONField(default=dict, blank=True, help_text="Only the values to change.")
    severity = models.PositiveSmallIntegerField(
        choices=Severity.choices, null=True, blank=True, help_text="Empty: the rule's default."
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "rule configuration"
        constraints = [
            models.UniqueConstraint(fields=["agreement", "rule"], name="rule_config_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rule} for {self.agreement}"


class Alert(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    # Live: the condition is still being followed (not resolved, by a person or the engine).
    # Retrospective alerts (``describes`` set) are never live alerts, whatever their state.
    LIVE_STATES = (State.OPEN, State.ACKNOWLEDGED)

    rule = models.CharField(max_length=60)
    fingerprint = models.CharField(max_length=64, help_text="rule + clause + party/area")
    clause = models.ForeignKey(Clause, on_delete=models.CASCADE, related_name="alerts")
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="alerts")
    party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    state = models.CharField(max_length=15, choices=State.choices, default=State.OPEN)
    title = models.CharField(max_length=300)
    explanation = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    digest = models.CharField(max_length=40, blank=True, help_text="Hash of what it shows.")
    evidence = models.ManyToManyField(Observation, blank=True, related_name="alerts")
    describes = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Retrospective alerts: the moment the finding describes. Empty for live alerts.",
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            # The same condition never has two live alerts, even under concurrent evaluations.
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=~Q(state="resolved") & Q(describes__isnull=True),
                name="alert_one_live_per_fingerprint",
            ),
            # A retrospective finding is kept once per moment it describes.
            models.UniqueConstraint(
                fields=["fingerprint", "describes"],
                condition=~Q(state="resolved") & Q(describes__isnull=False),
                name="alert_one_retrospective_per_moment",
            ),
            models.CheckConstraint(
                name="alert_severity_1_to_4", condition=Q(severity__gte=1, severity__lte=4)
            ),
        ]
        indexes = [
            models.Index(fields=["rule", "clause"], name="alert_rule_clause_idx"),
            models.Index(fields=["agreement", "state", "severity"], name="alert_agreement_idx"),
            models.Index(fields=["fingerprint"], name="alert_fingerprint_idx"),
            # A retrospective run reads the alerts about its moment only.
            models.Index(
                fields=["describes", "rule"],
                condition=Q(describes__isnull=False),
                name="alert_retrospective_idx",
            ),
        ]
        permissions = [("acknowledge_alert", "Can acknowledge and resolve alerts")]

    def __str__(self) -> str:
        return self.title


class AlertTransition(models.Model):
    """Append-only history of every change to an alert; feeds and webhooks read these rows."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        ESCALATED = "escalated", "Escalated"
        DEESCALATED = "deescalated", "Severity lowered"
        EVIDENCE_ADDED = "evidence_added", "Evidence added"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved by an analyst"
        AUTO_RESOLVED = "auto_resolved", "Resolved: the condition cleared"
        REOPENED = "reopened", "Reopened"
        # A note on the record, the state unchanged (alert_comment); not a change of state,
        # so the change feed and the webhooks, which publish changes of state, skip it.
        COMMENTED = "commented", "Comment"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_state = models.CharField(max_length=15, choices=Alert.State.choices, blank=True)
    to_state = models.CharField(max_length=15, choices=Alert.State.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["alert", "id"], name="transition_alert_idx")]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class ClauseDay(models.Model):
    """Observations per clause and day, by kind: what the scorecards read instead of raw rows.

    Kept current by ``clause_days_refresh`` after every ingest (for the clauses it touched),
    from the observations of accepted reports, so corrections are reflected too.
    """

    clause = models.ForeignKey(Clause, on_delete=models.CASCADE, related_name="+")
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    violations = models.PositiveIntegerField(default=0)
    compliance = models.PositiveIntegerField(default=0)
    incidents = models.PositiveIntegerField(default=0)
    access_restricted = models.PositiveIntegerField(default=0)
    information = models.PositiveIntegerField(default=0)
    quantity = models.PositiveBigIntegerField(default=0)
    outside = models.PositiveIntegerField(
        default=0, help_text="Observations outside the clause's period or areas (any kind)."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clause", "day"], name="clause_day_unique"),
        ]
        indexes = [
            # Covering (PostgreSQL): the scorecard's weekly figures read only this index.
            models.Index(
                fields=["agreement", "day"],
                include=["clause", "violations", "compliance", "outside"],
                name="clause_day_agreement_idx",
            )
        ]


class PartyDay(models.Model):
    """Violations attributed to a party, per clause and day (the per-party charts)."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    clause = models.ForeignKey(Clause, on_delete=models.CASCADE, related_name="+")
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=30)
    day = models.DateField()
    violations = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["party", "clause", "day"], name="party_day_unique"),
        ]
        indexes = [
            models.Index(
                fields=["agreement", "day"],
                include=["party", "category", "violations"],
                name="party_day_agreement_idx",
            ),
            # Covering (PostgreSQL): a party's scorecard sums its rows from this index alone.
            models.Index(
                fields=["party", "agreement"],
                include=["category", "violations"],
                name="party_day_party_idx",
            ),
        ]


class EvaluationRun(models.Model):
    """One evaluation of the rules: when, over what, and what it changed."""

    class Trigger(models.TextChoices):
        INGEST = "ingest", "After an ingested payload"
        PERIODIC = "periodic", "Periodic (beat)"
        COMMAND = "command", "Command"

    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateTimeField(help_text="The moment the picture describes (valid time).")
    known_at = models.DateTimeField(
        null=True, blank=True, help_text="What had been filed by then counted (default: now)."
    )
    retrospective = models.BooleanField(
        default=False, help_text="About the past: its findings are retrospective alerts."
    )
    clauses = models.PositiveIntegerField(default=0)
    findings = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    queries = models.PositiveIntegerField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["trigger", "-started_at"], name="run_trigger_idx")]


class EvaluationRequest(models.Model):
    """Clauses of one agreement waiting for the rules and their daily figures: the database
    is the evaluation queue (the task queue only rings the doorbell).

    A pending request absorbs every new one for its agreement; a worker claims it (running,
    under a lease) and deletes it when done, and what arrives meanwhile forms the next
    pending request. So a burst of ingests costs one evaluation per agreement, not one each.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    clause_ids = models.JSONField(default=list, help_text="The union of the requests' clauses.")
    since = models.DateField(null=True, blank=True, help_text="Empty: every day.")
    until = models.DateField(null=True, blank=True)
    requests = models.PositiveIntegerField(default=1, help_text="How many requests it absorbed.")
    requested_at = models.DateTimeField(help_text="The first request it holds.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One request waits per agreement (it absorbs the others), and one runs.
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(state="pending"),
                name="evaluation_request_one_pending",
            ),
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(state="running"),
                name="evaluation_request_one_running",
            ),
            models.CheckConstraint(
                name="evaluation_request_running_has_lease",
                condition=Q(state="pending") | Q(lease_until__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state} evaluation of agreement {self.agreement_id}"
