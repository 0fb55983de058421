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
from monitor.rules.base import long_date
from monitor.selectors import alerts_of_clock, alerts_visible_to, rule_described
from monitor.services import alert_set_state


class RuleFilter(admin.SimpleListFilter):
    title = "rule"
    parameter_name = "rule"

    def lookups(self, request, model_admin):
        return [(code, rule.title) for code, rule in RULES.items()]

    def queryset(self, request, queryset):
        return queryset.filter(rule=self.value()) if self.value() else queryset


class ClockFilter(admin.SimpleListFilter):
    """The inbox holds alerts about the present unless asked: retrospective alerts (findings
    about past dates, e.g. from an archival backfill) can number thousands and are not
    today's work, so they are listed only on request rather than mixed in with a label."""

    title = "moment described"
    parameter_name = "about"
    CLOCKS: dict[str | None, bool | None] = {None: False, "past": True, "all": None}

    def lookups(self, request, model_admin):
        return [("past", "Past dates (retrospective)"), ("all", "Both")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "The present (live)",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        return alerts_of_clock(queryset, retrospective=self.CLOCKS.get(self.value(), False))


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
    # Short columns: long titles wrapped over many lines and pushed "last seen" off the
    # screen; the full title is in the cell's tooltip and on the alert's page.
    list_display = [
        "short_title",
        "rule_name",
        "severity_label",
        "state",
        "agreement_name",
        "party",
        "first_seen_day",
        "last_seen_day",
    ]
    list_display_links = ["short_title"]
    list_filter = [ClockFilter, RuleFilter, "severity", "state", "agreement", "party"]
    list_select_related = ["agreement", "party"]
    search_fields = ["title", "explanation"]
    date_hierarchy = "last_seen"

    def get_queryset(self, request):
        return alerts_visible_to(user=request.user)

    @admin.display(description="rule", ordering="rule")
    def rule_name(self, alert: Alert) -> str:
        rule = RULES.get(alert.rule)
        return rule.title if rule else alert.rule

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if request.GET.get(ClockFilter.parameter_name):  # retrospective alerts are listed
            columns.insert(1, "describes_day")
        return columns

    inlines = [TransitionInline]
    fields = (
        "title",
        "rule",
        "rule_description",
        "describes_label",
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

    @admin.display(description="title", ordering="title")
    def short_title(self, obj: Alert) -> str:
        short = obj.title if len(obj.title) <= 90 else obj.title[:89].rstrip() + "…"
        return format_html('<span title="{}">{}</span>', obj.title, short)

    @admin.display(description="agreement", ordering="agreement__code")
    def agreement_name(self, obj: Alert) -> str:
        return obj.agreement.short_title or obj.agreement.title

    @admin.display(description="first seen", ordering="first_seen")
    def first_seen_day(self, obj: Alert) -> str:
        return format_html('<span class="nowrap">{}</span>', f"{obj.first_seen:%d %b %Y}")

    @admin.display(description="last seen", ordering="last_seen")
    def last_seen_day(self, obj: Alert) -> str:
        return format_html('<span class="nowrap">{}</span>', f"{obj.last_seen:%d %b %Y %H:%M}")

    @admin.display(description="severity", ordering="severity")
    def severity_label(self, obj: Alert) -> str:
        return Severity(obj.severity).label

    @admin.display(description="describes", ordering="describes")
    def describes_day(self, obj: Alert) -> str:
        return long_date(obj.describes) if obj.describes else "the present"

    @admin.display(description="describes")
    def describes_label(self, obj: Alert) -> str:
        if obj.describes is None:
            return "the present (a live alert)"
        return f"{long_date(obj.describes)} (a retrospective finding about that date)"

    @admin.display(description="what the rule checks")
    def rule_description(self, obj: Alert) -> str:
        return rule_described(rule=obj.rule, agreement_id=obj.agreement_id)

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
    readonly_fields = ["defaults", "checks"]

    @admin.display(description="what the rule checks, with these parameters")
    def checks(self, obj: RuleConfig) -> str:
        rule = RULES.get(obj.rule)
        return rule.describe(obj.params) if rule else "unknown rule"

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
        "known_at",
        "retrospective",
        "clauses",
        "findings",
        "opened",
        "updated",
        "resolved",
        "queries",
    ]
    list_filter = ["trigger", "retrospective"]
