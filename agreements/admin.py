import datetime as dt

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.admin_mixins import AuditedAdmin, HistoryInline
from agreements.models import (
    Agreement,
    AgreementParty,
    Area,
    Clause,
    ClauseRevision,
    ControlArea,
    ImplementationAssessment,
    Party,
    VerificationMechanism,
)
from agreements.selectors import clause_tree, clauses_watched_for
from agreements.services import assessment_record, clause_dates_resolve
from core.days import zone_named


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _span(span: dt.timedelta) -> str:
    """ "1 day", "7 days", "12 hours", "1 day 12 hours"."""
    days, hours = span.days, span.seconds // 3600
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours or not parts:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    return " ".join(parts)


def active_period_text(
    *, active_from: dt.date | None, active_until: dt.date | None, today: dt.date | None = None
) -> str:
    """A mechanism's or a mission's active period in words, as of ``today`` (UTC): "ended on
    31 March 2022", "15 February 2015 to 31 March 2027", "since …", "from …", "open-ended"."""
    today = today or timezone.now().astimezone(dt.UTC).date()
    if active_until is not None and active_until < today:
        return f"ended on {_day(active_until)}"
    if active_from is not None and active_from > today:
        starts = f"from {_day(active_from)}"
        return f"{starts} to {_day(active_until)}" if active_until else starts
    if active_until is not None:
        return f"until {_day(active_until)}"
    if active_from is not None:
        return f"since {_day(active_from)}"
    return "open-ended"


@admin.register(Party)
class PartyAdmin(AuditedAdmin):
    list_display = ["name", "code", "kind", "category"]
    list_filter = ["kind", "category"]
    search_fields = ["name", "code", "aliases"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "category", "notes"]}),
        (
            "Other names sources use",
            {
                "fields": ["aliases"],
                "description": "Imports read a party column by code, name or any of these, "
                "whatever the case, spacing or punctuation.",
            },
        ),
    ]


@admin.register(Area)
class AreaAdmin(AuditedAdmin):
    list_display = ["name", "code", "country", "admin_level", "parent"]
    list_filter = ["country", "admin_level"]
    search_fields = ["name", "code", "aliases"]
    autocomplete_fields = ["parent"]
    fieldsets = [
        (None, {"fields": ["code", "name", "country", "admin_level", "parent"]}),
        ("Other names reports use", {"fields": ["aliases"]}),
        (
            "Where it lies (observations are checked against it)",
            {
                "fields": ["geometry", ("min_lon", "min_lat", "max_lon", "max_lat")],
                "description": "The GeoJSON geometry decides where there is one; otherwise "
                "the bounding box (WGS84 degrees).",
            },
        ),
    ]


class AgreementPartyInline(admin.TabularInline):
    model = AgreementParty
    extra = 0
    autocomplete_fields = ["party"]


class ControlAreaInline(admin.TabularInline):
    model = ControlArea
    extra = 0
    fields = ["name", "party", "aliases"]
    autocomplete_fields = ["party"]
    verbose_name_plural = "areas of control (rows that state only the area count for this party)"


class MechanismInline(admin.TabularInline):
    model = VerificationMechanism
    extra = 0
    # ``code`` must be on the form: without it every new row gets code "" and the second one
    # breaks the (agreement, code) unique constraint with a server error.
    fields = [
        "code",
        "name",
        "kind",
        "responsible_party",
        "reporting_interval",
        "grace",
        "active_from",
        "active_until",
    ]
    show_change_link = True


class AgreementForm(forms.ModelForm):
    """The admin's agreement form (its model and fields come from AgreementAdmin)."""

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        try:
            zone_named(name)
        except ValueError:
            raise forms.ValidationError(
                f'"{name}" is not a time zone name; use an IANA name such as Europe/Kyiv or UTC.'
            ) from None
        return name


@admin.register(Agreement)
class AgreementAdmin(AuditedAdmin):
    form = AgreementForm
    list_display = ["__str__", "kind", "status", "negotiation_round", "signed_on", "clause_count"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "short_title", "code", "negotiation_round", "venue"]
    readonly_fields = ["clause_tree", "created_at", "updated_at"]
    inlines = [AgreementPartyInline, ControlAreaInline, MechanismInline]
    fieldsets = [
        (None, {"fields": ["code", "title", "short_title", "kind", "status", "summary"]}),
        (
            "Negotiation and dates",
            {
                "fields": [
                    "negotiation_round",
                    "venue",
                    "signed_on",
                    ("in_force_on", "in_force_time"),
                    "expires_on",
                    "time_zone",
                ],
                "description": "Dates and times are read in the agreement's time zone, and its "
                "daily figures are counted in it.",
            },
        ),
        ("Source", {"fields": ["source_url", "source_note"]}),
        ("Observations outside a clause's period or areas", {"fields": ["out_of_scope_rows"]}),
        ("Clauses in order", {"fields": ["clause_tree"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "out_of_scope_rows":
            kwargs["label"] = "What the ingest does with them"
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    @admin.display(description="clauses")
    def clause_count(self, obj: Agreement) -> int:
        return obj.clauses.count()

    @admin.display(description="Clause tree")
    def clause_tree(self, obj: Agreement) -> str:
        if not obj.pk:
            return "-"
        rows = [
            (
                f"{depth * 1.5}em",
                reverse("admin:agreements_clause_change", args=[clause.pk]),
                clause.reference,
                clause.title,
                clause.get_category_display(),
            )
            for depth, clause in clause_tree(agreement=obj)
        ]
        if not rows:
            return "No clauses encoded yet."
        items = format_html_join(
            "", '<li style="margin-left:{}"><a href="{}">{}</a> {} <small>({})</small></li>', rows
        )
        return format_html('<ol style="list-style:none;padding:0">{}</ol>', items)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        clause_dates_resolve(agreement=form.instance)


class AssessmentInline(admin.TabularInline):
    """Assessments are append-only: earlier rows are shown, new ones added, none edited."""

    model = ImplementationAssessment
    extra = 0
    fields = ["level", "assessed_on", "rationale", "evidence", "assessed_by"]
    readonly_fields = ["assessed_by"]
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False


class ClauseRevisionInline(HistoryInline):
    model = ClauseRevision
    fields = ["changed_at", "changed_by", "source", "changes"]


@admin.register(Clause)
class ClauseAdmin(AuditedAdmin):
    list_display = [
        "reference",
        "title",
        "agreement",
        "category",
        "phase",
        "in_force_from",
        "deadline",
        "monitored_by",
    ]
    list_display_links = ["reference", "title"]
    list_filter = ["agreement", "category", "phase"]
    list_select_related = ["agreement"]
    search_fields = ["reference", "title", "text", "agreement__title", "agreement__code"]
    ordering = ["agreement", "position"]
    autocomplete_fields = [
        "agreement",
        "parent",
        "obliged_parties",
        "prerequisites",
        "areas",
        "start_anchor_clause",
        "deadline_anchor_clause",
    ]
    readonly_fields = ["in_force_from", "deadline", "created_at", "updated_at"]
    inlines = [AssessmentInline, ClauseRevisionInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "agreement",
                    "reference",
                    "parent",
                    "position",
                    "title",
                    "text",
                    "notes",
                    "category",
                    "obliged_parties",
                    "phase",
                    "prerequisites",
                ]
            },
        ),
        (
            "Dates (resolved dates are computed from the anchors)",
            {
                "fields": [
                    ("start_anchor", "start_anchor_clause", "start_offset_days"),
                    ("deadline_anchor", "deadline_anchor_clause", "deadline_offset_days"),
                    "deadline_time",
                    "deadline_text",
                    ("in_force_from", "deadline"),
                ]
            },
        ),
        ("Geographic scope", {"fields": ["areas", "geometry"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("mechanisms")

    @admin.display(description="monitored by")
    def monitored_by(self, obj: Clause) -> str:
        return ", ".join(m.name for m in obj.mechanisms.all()) or "nobody"

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # The observation form's clause picker offers observers only what their missions watch.
        if request.GET.get("app_label") == "reports" and request.GET.get("field_name") == "clause":
            queryset = queryset.filter(pk__in=clauses_watched_for(user=request.user).values("pk"))
            may_have_duplicates = True
        return queryset, may_have_duplicates

    def save_formset(self, request, form, formset, change):
        if formset.model is not ImplementationAssessment:
            return super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if inline_form.has_changed() and not inline_form.instance.pk:
                data = inline_form.cleaned_data
                assessment_record(
                    clause=form.instance,
                    level=data["level"],
                    assessed_on=data["assessed_on"],
                    rationale=data["rationale"],
                    evidence=data.get("evidence", ""),
                    by=request.user,
                )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        clause_dates_resolve(agreement=form.instance.agreement)


@admin.register(ImplementationAssessment)
class ImplementationAssessmentAdmin(admin.ModelAdmin):
    list_display = ["clause", "level", "assessed_on", "assessed_by"]
    list_filter = ["level", "clause__agreement", "clause__category"]
    search_fields = ["clause__title", "clause__reference", "rationale"]
    autocomplete_fields = ["clause"]
    fields = [
        "clause",
        "level",
        "assessed_on",
        "rationale",
        "evidence",
        "evidence_urls",
        "assessed_by",
        "created_at",
    ]
    readonly_fields = ["assessed_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False  # a new judgement is a new row; history is never rewritten

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        recorded = assessment_record(
            clause=data["clause"],
            level=data["level"],
            assessed_on=data["assessed_on"],
            rationale=data["rationale"],
            evidence=data.get("evidence", ""),
            evidence_urls=data.get("evidence_urls") or [],
            by=request.user,
        )
        obj.pk = recorded.pk


@admin.register(VerificationMechanism)
class VerificationMechanismAdmin(AuditedAdmin):
    list_display = [
        "name",
        "agreement",
        "active_period",
        "expected",
        "kind",
        "responsible_party",
        "covered",
    ]
    list_filter = ["kind", "agreement"]
    search_fields = ["name", "code", "agreement__title"]
    autocomplete_fields = ["agreement", "responsible_party", "clauses"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("clauses")

    @admin.display(description="active period", ordering="active_until")
    def active_period(self, obj: VerificationMechanism) -> str:
        return active_period_text(active_from=obj.active_from, active_until=obj.active_until)

    @admin.display(description="reports expected", ordering="reporting_interval")
    def expected(self, obj: VerificationMechanism) -> str:
        every = _span(obj.reporting_interval)
        every = "every day" if every == "1 day" else f"every {every}"
        return f"{every}, {_span(obj.grace)} of grace" if obj.grace else every

    @admin.display(description="covers clauses")
    def covered(self, obj: VerificationMechanism) -> str:
        return ", ".join(c.reference for c in obj.clauses.all()) or "-"
