"""The admin of webhooks: subscriptions (administrators manage them; the secret is shown
once) and the read-only delivery log with a replay action."""

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin_mixins import HistoryInline, RecordAdmin
from monitor.rules import RULES
from notify.http import target_problem
from notify.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from notify.services import webhook_replay
from notify.signing import secret_problem, webhook_secret_generate


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", help_text="The POST target.")
    rules = forms.MultipleChoiceField(
        choices=[(code, f"{code} - {r.title}") for code, r in RULES.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every rule.",
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "name",
            "url",
            "is_active",
            "agreements",
            "min_severity",
            "rules",
            "include_retrospective",
        ]
        labels = {"include_retrospective": "Include retrospective alerts"}

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        problem = target_problem(url)
        if problem:
            raise ValidationError(problem)
        return url


class WebhookSubscriptionAddForm(WebhookSubscriptionForm):
    secret = forms.CharField(
        required=False,
        max_length=100,
        help_text="Leave blank to generate one. It is shown once, after saving.",
    )

    class Meta(WebhookSubscriptionForm.Meta):
        fields = [
            "name",
            "url",
            "secret",
            "is_active",
            "agreements",
            "min_severity",
            "rules",
            "include_retrospective",
        ]

    def clean_secret(self) -> str:
        secret: str = self.cleaned_data.get("secret", "").strip()
        problem = secret_problem(secret) if secret else None
        if problem:
            raise ValidationError(problem)
        return secret or webhook_secret_generate()


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Administrators manage subscriptions; the secret is never shown after creation."""

    form = WebhookSubscriptionForm
    add_form = WebhookSubscriptionAddForm
    list_display = ["name", "url", "is_active", "min_severity", "filters", "owner", "created_at"]
    list_filter = ["is_active", "min_severity", "include_retrospective"]
    search_fields = ["name", "url"]
    filter_horizontal = ["agreements"]
    readonly_fields = ["owner", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(
        self, request: HttpRequest, obj: WebhookSubscription | None = None
    ) -> bool:
        return request.user.is_superuser

    def has_delete_permission(
        self, request: HttpRequest, obj: WebhookSubscription | None = None
    ) -> bool:
        return request.user.is_superuser

    def get_form(
        self,
        request: HttpRequest,
        obj: WebhookSubscription | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(
        self, request: HttpRequest, obj: WebhookSubscription | None = None
    ) -> tuple[str, ...]:
        fields = tuple((self.add_form if obj is None else self.form).Meta.fields)
        return fields if obj is None else (*fields, *self.readonly_fields)

    def get_readonly_fields(
        self, request: HttpRequest, obj: WebhookSubscription | None = None
    ) -> list[str] | tuple[str, ...]:
        return () if obj is None else super().get_readonly_fields(request, obj)

    @admin.display(description="filters")
    def filters(self, obj: WebhookSubscription) -> str:
        agreements = ", ".join(a.code for a in obj.agreements.all()) or "all agreements"
        rules = ", ".join(obj.rules) or "all rules"
        clocks = "with retrospective alerts" if obj.include_retrospective else "present only"
        return f"{agreements}; {rules}; {clocks}"

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookSubscription]:
        return super().get_queryset(request).select_related("owner").prefetch_related("agreements")

    def save_model(
        self,
        request: HttpRequest,
        obj: WebhookSubscription,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        if not change and isinstance(request.user, User):  # the admin requires a signed-in user
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: WebhookSubscription, post_url_continue: str | None = None
    ) -> HttpResponse:
        if "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "subscription": obj,
            "title": f"Webhook subscription {obj.name} added",
        }
        # Shown here and nowhere else; admin views are never cached.
        return TemplateResponse(request, "admin/notify/webhooksubscription/secret.html", context)


class WebhookAttemptInline(HistoryInline):
    model = WebhookAttempt
    fields = ["at", "status_code", "duration_ms", "error"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(RecordAdmin):
    """The delivery log: read-only, with a replay action for administrators."""

    list_display = [
        "created_at",
        "event_type",
        "subscription",
        "alert_link",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "subscription"]
    list_select_related = ["subscription", "transition"]
    fields = (
        "event_id",
        "subscription",
        "event_type",
        "alert_link",
        "status",
        "attempts",
        "attempts_at_replay",
        "last_status_code",
        "last_error",
        "response_excerpt",
        "next_attempt_at",
        "created_at",
        "delivered_at",
        "replayed_at",
        "payload_pretty",
    )
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    @admin.display(description="event")
    def event_type(self, obj: WebhookDelivery) -> str:
        return str(obj.payload.get("type", ""))

    @admin.display(description="alert")
    def alert_link(self, obj: WebhookDelivery) -> str:
        alert_id = obj.transition.alert_id
        url = reverse("admin:monitor_alert_change", args=[alert_id])
        return format_html('<a href="{}">{}</a>', url, alert_id)

    @admin.display(description="body")
    def payload_pretty(self, obj: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    @admin.action(description="Replay selected deliveries", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        done = sum(webhook_replay(delivery=delivery) for delivery in queryset)
        skipped = queryset.count() - done
        note = f"; {skipped} being sent right now, left alone" if skipped else ""
        self.message_user(request, f"{done} deliver(ies) queued again, same webhook-id{note}.")
