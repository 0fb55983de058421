import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts.admin_mixins import AuditedAdmin, HistoryInline, RecordAdmin
from monitor.models import Alert, AlertTransition, EvaluationRun, RuleConfig, Severity
from monitor.rules import RULES
from monitor.selectors import alerts_visible_to
from monitor.services import alert_set_state


class RuleFilter(admin.SimpleListFilter):
    title = "rule"
    parameter_name = "rule"

    def lookups(self, request, model_admin):
        return [(code, rule.title) for code, rule in RULES.items()]

    def queryset(self, request, queryset):
        return queryset.filter(rule=self.value()) if self.value() else queryset


class TransitionInline(HistoryInline):
    model = AlertTransition
    fields = ["at", "kind", "from_state", "to_state", "severity", "by", "comment"]


class TransitionForm(forms.Form):
    state = forms.ChoiceField(
        choices=[("acknowledged", "Acknowledge"), ("resolved", "Resolve"), ("open", "Re-open")]
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required to resolve: the comment is the record.",
    )


@admin.register(Alert)
class AlertAdmin(RecordAdmin):
    list_display = [
        "title",
        "rule",
        "severity_label",
        "state",
        "agreement",
        "party",
        "first_seen",
        "last_seen",
    ]
    list_filter = [RuleFilter, "severity", "state", "agreement", "party"]
    list_select_related = ["agreement", "party"]
    search_fields = ["title", "explanation"]
    date_hierarchy = "last_seen"

    def get_queryset(self, request):
        return alerts_visible_to(user=request.user)

    inlines = [TransitionInline]
    fields = (
        "title",
        "rule",
        "rule_description",
        "state",
        "severity",
        "agreement",
        "clause",
        "party",
        "area",
        "explanation",
        "evidence_list",
        "details",
        "first_seen",
        "last_seen",
        "resolved_at",
    )
    readonly_fields = fields
    actions = ["acknowledge"]
    change_form_template = "admin/monitor/alert/change_form.html"

    def has_acknowledge_permission(self, request) -> bool:
        return request.user.has_perm("monitor.acknowledge_alert")

    @admin.display(description="severity", ordering="severity")
    def severity_label(self, obj: Alert) -> str:
        return Severity(obj.severity).label

    @admin.display(description="what the rule checks")
    def rule_description(self, obj: Alert) -> str:
        rule = RULES.get(obj.rule)
        return rule.description if rule else obj.rule

    @admin.display(description="evidence")
    def evidence_list(self, obj: Alert) -> str:
        rows = obj.evidence.select_related("report__mission", "clause").order_by("-occurred_at")
        items = [
            (
                reverse("admin:reports_report_change", args=[o.report_id]),
                f"{o.occurred_at:%Y-%m-%d %H:%M}",
                o.get_kind_display(),
                o.place_name or "-",
                o.grade,
                o.get_verification_status_display(),
                o.description[:140],
            )
            for o in rows[:50]
        ]
        if not items:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", '<li><a href="{}">{}</a> {} at {} ({}, {}): {}</li>', items),
        )

    @admin.action(description="Acknowledge selected alerts", permissions=["acknowledge"])
    def acknowledge(self, request, queryset):
        done = 0
        for alert in queryset.filter(state=Alert.State.OPEN):
            alert_set_state(alert=alert, state=Alert.State.ACKNOWLEDGED, by=request.user)
            done += 1
        self.message_user(request, f"{done} alert(s) acknowledged.")

    def get_urls(self):
        return [
            path(
                "<int:pk>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name="monitor_alert_transition",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, pk: int):
        if not self.has_acknowledge_permission(request):
            raise PermissionDenied
        alert = get_object_or_404(self.get_queryset(request), pk=pk)
        form = TransitionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                alert_set_state(
                    alert=alert,
                    state=form.cleaned_data["state"],
                    by=request.user,
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(request, f"Alert {alert.state}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:monitor_alert_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "alert": alert,
            "opts": self.model._meta,
            "title": f"Change the state of: {alert.title}",
        }
        return TemplateResponse(request, "admin/monitor/alert/transition.html", context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_transition"] = obj is not None and self.has_acknowledge_permission(request)
        return super().render_change_form(request, context, add, change, form_url, obj)


def _defaults_text() -> str:
    return "; ".join(
        f"{code}: {json.dumps(rule.defaults) if rule.defaults else 'no parameters'}, "
        f"severity {Severity(rule.default_severity).label.lower()}"
        for code, rule in RULES.items()
    )


class RuleConfigForm(forms.ModelForm):
    rule = forms.ChoiceField(choices=[(code, f"{code} - {r.title}") for code, r in RULES.items()])

    class Meta:
        model = RuleConfig
        fields = ["agreement", "rule", "enabled", "params", "severity"]
        help_texts = {"params": "Only the values to change. Defaults: " + _defaults_text()}

    def clean(self):
        data = super().clean()
        rule = RULES.get(data.get("rule", ""))
        params = data.get("params") or {}
        if rule is None:
            return data
        if not isinstance(params, dict):
            raise ValidationError({"params": 'Give an object, e.g. {"window_days": 14}.'})
        for key, value in params.items():
            if key not in rule.defaults:
                known = ", ".join(rule.defaults) or "none"
                raise ValidationError(
                    {"params": f'"{key}" is not a parameter of {rule.code} (known: {known}).'}
                )
            default = rule.defaults[key]
            numeric = isinstance(default, int | float) and not isinstance(default, bool)
            if numeric and (not isinstance(value, int | float) or value < 0):
                raise ValidationError({"params": f'"{key}" must be a non-negative number.'})
            if isinstance(default, str) and not isinstance(value, str):
                raise ValidationError({"params": f'"{key}" must be text.'})
        return data


@admin.register(RuleConfig)
class RuleConfigAdmin(AuditedAdmin):
    form = RuleConfigForm
    list_display = ["rule", "agreement", "enabled", "params", "severity", "defaults"]
    list_filter = ["rule", "enabled", "agreement"]
    readonly_fields = ["defaults"]

    @admin.display(description="rule defaults")
    def defaults(self, obj: RuleConfig) -> str:
        rule = RULES.get(obj.rule)
        if rule is None:
            return "unknown rule"
        return (
            f"{json.dumps(rule.defaults) if rule.defaults else 'no parameters'}; "
            f"severity {Severity(rule.default_severity).label.lower()}"
        )


@admin.register(EvaluationRun)
class EvaluationRunAdmin(RecordAdmin):
    list_display = [
        "started_at",
        "trigger",
        "as_of",
        "clauses",
        "findings",
        "opened",
        "updated",
        "resolved",
        "queries",
    ]
    list_filter = ["trigger"]


# --- Webhooks -------------------------------------------------------------------------------

from monitor.models_webhooks import (  # noqa: E402
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from monitor.webhooks import (  # noqa: E402
    secret_problem,
    target_problem,
    webhook_replay,
    webhook_secret_generate,
)


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
        fields = ["name", "url", "is_active", "agreements", "min_severity", "rules"]

    def clean_url(self):
        url = self.cleaned_data["url"]
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
        fields = ["name", "url", "secret", "is_active", "agreements", "min_severity", "rules"]

    def clean_secret(self):
        secret = self.cleaned_data.get("secret", "").strip()
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
    list_filter = ["is_active", "min_severity"]
    search_fields = ["name", "url"]
    filter_horizontal = ["agreements"]
    readonly_fields = ["owner", "created_at"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        fields = list((self.add_form if obj is None else self.form).Meta.fields)
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else super().get_readonly_fields(request, obj)

    @admin.display(description="filters")
    def filters(self, obj: WebhookSubscription) -> str:
        agreements = ", ".join(a.code for a in obj.agreements.all()) or "all agreements"
        rules = ", ".join(obj.rules) or "all rules"
        return f"{agreements}; {rules}"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner").prefetch_related("agreements")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        if "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "subscription": obj,
            "title": f"Webhook subscription {obj.name} added",
        }
        # Shown here and nowhere else; admin views are never cached.
        return TemplateResponse(request, "admin/monitor/webhooksubscription/secret.html", context)


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

    def has_replay_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.display(description="event")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.payload.get("type", "")

    @admin.display(description="alert")
    def alert_link(self, obj: WebhookDelivery) -> str:
        alert_id = obj.transition.alert_id
        url = reverse("admin:monitor_alert_change", args=[alert_id])
        return format_html('<a href="{}">{}</a>', url, alert_id)

    @admin.display(description="body")
    def payload_pretty(self, obj: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    @admin.action(description="Replay selected deliveries", permissions=["replay"])
    def replay(self, request, queryset):
        done = sum(webhook_replay(delivery=delivery) for delivery in queryset)
        skipped = queryset.count() - done
        note = f"; {skipped} being sent right now, left alone" if skipped else ""
        self.message_user(request, f"{done} deliver(ies) queued again, same webhook-id{note}.")
