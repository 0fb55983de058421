"""Webhook subscriptions and their deliveries: one delivery per alert transition and
subscription, with an append-only log of the attempts to send it; and the cursor that says
which alert transitions have been dispatched.

The webhook tables keep the names they had when these models lived in ``monitor``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from agreements.models import Agreement
from monitor.models import AlertTransition, Severity


class WebhookSubscription(models.Model):
    """Where to POST alert transitions, signed with a secret, and which ones."""

    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    url = models.URLField(max_length=500, help_text="https:// or http://; the POST target.")
    secret = models.CharField(
        max_length=100, help_text="Standard Webhooks format: whsec_ + base64 of the key."
    )
    is_active = models.BooleanField(default=True)
    include_retrospective = models.BooleanField(
        default=False,
        help_text="Also push retrospective alerts (findings about past dates); live only if off.",
    )
    agreements = models.ManyToManyField(
        Agreement, blank=True, related_name="+", help_text="Empty: every agreement."
    )
    min_severity = models.PositiveSmallIntegerField(
        choices=Severity.choices,
        default=Severity.LOW,
        help_text="Transitions below it are skipped.",
    )
    rules = models.JSONField(
        default=list, blank=True, help_text="Rule codes to send; empty: every rule."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "monitor_webhooksubscription"
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                name="webhook_min_severity_1_to_4",
                condition=Q(min_severity__gte=1, min_severity__lte=4),
            )
        ]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One transition for one subscription; retries and replays keep its ``event_id``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed, will retry"
        GAVE_UP = "gave_up", "Gave up"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    transition = models.ForeignKey(AlertTransition, on_delete=models.CASCADE, related_name="+")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(help_text="The body, fixed at dispatch so every attempt agrees.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Every attempt, replays included.")
    attempts_at_replay = models.PositiveIntegerField(
        default=0, help_text="Attempts made before the last replay; the cap counts from here."
    )
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker's lease on the delivery while it sends; expires if the worker dies.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "monitor_webhookdelivery"
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "transition"], name="webhook_delivery_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "failed"]),
                name="webhook_delivery_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.payload.get('type', 'event')} to {self.subscription_id} ({self.event_id})"


class WebhookAttempt(models.Model):
    """Append-only: one row per HTTP attempt (or refusal to attempt) of a delivery."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "monitor_webhookattempt"
        ordering = ["id"]
        indexes = [models.Index(fields=["delivery", "id"], name="webhook_attempt_delivery_idx")]

    def __str__(self) -> str:
        return (
            f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
        )


class DispatchCursor(models.Model):
    """How far a consumer of alert transitions has read: every transition with an id up to
    ``last_id`` has been dispatched (the database is the queue, see
    ``notify.services.transitions_dispatch``)."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    advanced_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} after transition {self.last_id}"
