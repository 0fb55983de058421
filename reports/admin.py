import hashlib
from functools import partial
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts.access import reach_of
from accounts.admin_mixins import HistoryInline, RecordAdmin
from agreements.admin import active_period_text
from reports import admin_observations  # noqa: F401 - registers the observation list
from reports.admin_import import (
    import_build_view,
    import_preview_view,
    import_result_view,
    import_start_view,
)
from reports.api.views import EXTENSION_FORMATS
from reports.evidence import (
    SNIFF_BYTES,
    EvidenceRefused,
    evidence_add,
    evidence_check,
    evidence_editable,
)
from reports.ingest.receive import payload_receive, payload_replay
from reports.models import (
    Channel,
    EvidenceFile,
    ImportProfile,
    InboundPayload,
    Observation,
    ObserverMission,
    Report,
    ReportStatus,
    ReportStatusChange,
)
from reports.parsers import PARSERS
from reports.profiles.registry import profile_params
from reports.profiles.spec import ProfileProblem, from_yaml
from reports.selectors import (
    clauses_reportable_by,
    evidence_files_visible_to,
    missions_for_user,
    payloads_visible_to,
    reports_visible_to,
)
from reports.services import report_submit


@admin.register(ObserverMission)
class ObserverMissionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_active", "mandate", "time_zone"]
    list_filter = ["is_active"]
    fields = [
        "code",
        "name",
        "is_active",
        ("active_from", "active_until"),
        "time_zone",
        "mechanisms",
        "members",
        "description",
    ]
    search_fields = ["name", "code"]
    filter_horizontal = ["mechanisms", "members"]

    def get_queryset(self, request):
        return missions_for_user(user=request.user)

    @admin.display(description="mandate")
    def mandate(self, obj: ObserverMission) -> str:
        return active_period_text(active_from=obj.active_from, active_until=obj.active_until)


class ObservationInline(admin.StackedInline):
    model = Observation
    extra = 1
    autocomplete_fields = ["clause", "party", "area"]
    fields = [
        ("kind", "clause", "party"),
        ("occurred_at", "severity", "quantity"),
        ("place_name", "admin_area", "area"),
        ("latitude", "longitude"),
        "description",
        ("source", "source_reliability", "information_credibility", "verification_status"),
        "evidence_urls",
        ("counted_on", "actor"),
        ("amount", "unit", "to_place_name"),
        "scope_note",
        "place_note",
    ]
    # What an import read from a file: shown, not typed here.
    readonly_fields = [
        "counted_on",
        "actor",
        "amount",
        "unit",
        "to_place_name",
        "scope_note",
        "place_note",
    ]

    @admin.display(description="counts on")
    def counted_on(self, obj) -> str:
        """The calendar day the observation counts on; a date sent without a time is that
        day, whatever its instant reads in UTC above."""
        if obj is None or obj.occurred_on is None:
            return "-"
        day = obj.occurred_on.strftime("%-d %b %Y")
        return f"{day} (sent as a date, without a time)" if obj.date_only else day

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "clause":
            kwargs["queryset"] = clauses_reportable_by(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _editable(self, request, obj) -> bool:
        return obj is None or obj.is_editable

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj) and super().has_delete_permission(request, obj)


class StatusChangeInline(HistoryInline):
    model = ReportStatusChange
    fields = ["changed_at", "from_status", "to_status", "changed_by", "note"]


class OptionalInlineFormSet(BaseInlineFormSet):
    """A post without this inline's forms (a script, a page older than evidence files) adds
    no evidence rather than failing as a tampered form."""

    def __init__(self, data=None, *args, prefix=None, **kwargs):
        prefix = prefix or self.get_default_prefix()
        if data is not None and f"{prefix}-TOTAL_FORMS" not in data:
            data = data.copy()
            data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = "0"
        super().__init__(data, *args, prefix=prefix, **kwargs)


class EvidenceFileInline(admin.TabularInline):
    """The report's evidence files, read-only, with a download link through the access check."""

    model = EvidenceFile
    formset = OptionalInlineFormSet
    extra = 0
    can_delete = False
    fields = ("download", "content_type", "size", "sha256", "observation", "uploaded_by")
    readonly_fields = fields
    verbose_name_plural = "evidence files"

    @admin.display(description="file")
    def download(self, obj: EvidenceFile) -> str:
        url = reverse("api:evidence-download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name or f"file {obj.pk}")

    def get_queryset(self, request):
        # Django asks has_view_permission without the report here; it was asked with it before.
        return evidence_files_visible_to(user=request.user).select_related(
            "observation", "uploaded_by"
        )

    # Row-level access comes from the report (the admin lists only reports the user may see).
    def has_view_permission(self, request, obj=None):
        return obj is not None and request.user.has_perm("reports.view_report")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EvidenceUploadForm(forms.ModelForm):
    upload = forms.FileField(label="file", help_text="JPEG, PNG, PDF, text, CSV or MP4.")

    class Meta:
        model = EvidenceFile
        fields = ["observation"]

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        try:
            evidence_check(head=upload.read(SNIFF_BYTES), name=upload.name, size=upload.size)
        except EvidenceRefused as refused:
            raise ValidationError(refused.message) from None
        upload.seek(0)
        return upload


class EvidenceUploadInline(admin.TabularInline):
    """Adds evidence files to a report that is still a draft, through ``evidence_add``."""

    model = EvidenceFile
    form = EvidenceUploadForm
    formset = OptionalInlineFormSet
    extra = 1
    fields = ["upload", "observation"]
    can_delete = False
    verbose_name = "new evidence file"
    verbose_name_plural = "add evidence files"

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        observations = formset.form.base_fields["observation"]
        observations.queryset = (
            obj.observations.all() if obj is not None else Observation.objects.none()
        )
        return formset

    def _may_add(self, request, obj) -> bool:
        return (
            obj is not None
            and obj.is_editable
            and evidence_editable(obj)
            and request.user.has_perm("reports.change_report")
        )

    def has_view_permission(self, request, obj=None):
        return self._may_add(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._may_add(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "revision",
        "mission",
        "period_start",
        "period_end",
        "status",
        "channel",
        "filed_by",
        "filed_at",
        "archival",
    ]
    # Only the missions the user can see reports of: observers must not learn other missions.
    list_filter = [
        "status",
        "channel",
        "archival",
        ("mission", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["mission", "filed_by"]
    search_fields = ["external_id", "title", "mission__name"]
    date_hierarchy = "period_end"
    inlines = [ObservationInline, EvidenceFileInline, EvidenceUploadInline, StatusChangeInline]
    fields = (
        "mission",
        "external_id",
        "period_start",
        "period_end",
        "title",
        "summary",
        "status",
        "revision",
        "channel",
        "filed_by",
        "filed_at",
        "archival",
        "supersedes",
        "ledger_seq",
        "ledger_hash",
        "ledger_prev_hash",
        "ledger_at",
    )
    # What an observer writes on a draft; the workflow and the ledger set the rest.
    readonly_fields = [
        f
        for f in fields
        if f not in {"mission", "external_id", "period_start", "period_end", "title", "summary"}
    ]
    change_form_template = "admin/reports/report/change_form.html"

    def get_queryset(self, request):
        return reports_visible_to(user=request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "mission":
            kwargs["queryset"] = missions_for_user(user=request.user).filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        # Filed reports are records: a correction is a new report that supersedes this one.
        if obj is not None and not obj.is_editable:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if reach_of(request.user).records == "own":
            actions.pop("delete_selected", None)  # drafts are deleted one by one, from the form
        return actions

    def save_model(self, request, obj, form, change):
        if not change:
            obj.channel = "admin"
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if not issubclass(formset.form, EvidenceUploadForm):
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for evidence_form in formset.forms:
            upload = evidence_form.cleaned_data.get("upload")
            if upload is None:
                continue
            try:
                evidence = evidence_add(
                    report=form.instance,
                    upload=upload,
                    by=request.user,
                    observation=evidence_form.cleaned_data.get("observation"),
                )
                formset.new_objects.append(evidence)
            except EvidenceRefused as refused:
                self.message_user(request, refused.message, messages.ERROR)

    def response_change(self, request, obj):
        if "_submit" in request.POST:
            return self._submit(request, obj)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if "_submit" in request.POST:
            return self._submit(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def _submit(self, request, obj: Report):
        try:
            report_submit(report=obj, by=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, f"Report {obj.external_id} submitted.", messages.SUCCESS)
        # From the add form too: land on the report just saved, not on a blank add form.
        return HttpResponseRedirect(reverse("admin:reports_report_change", args=[obj.pk]))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["show_submit"] = obj is None or obj.status == ReportStatus.DRAFT
        return super().render_change_form(request, context, add, change, form_url, obj)


class ProfileChoiceField(forms.ModelChoiceField):
    """A stored import profile, cleaned to its checked spec."""

    def clean(self, value):
        profile = super().clean(value)
        if profile is None:
            return None
        try:
            return from_yaml(profile.definition, code=profile.code)
        except ProfileProblem as problem:
            raise ValidationError(str(problem)) from None


class UploadForm(forms.Form):
    file = forms.FileField(help_text="JSON report, CSV (HXL hashtags detected), or XLSX.")
    mission = forms.ModelChoiceField(queryset=ObserverMission.objects.none())
    format = forms.ChoiceField(
        choices=[("", "from the file name")] + [(code, code) for code in sorted(PARSERS)],
        required=False,
    )
    profile = ProfileChoiceField(
        queryset=ImportProfile.objects.all(),
        required=False,
        help_text="Import profile for CSV/XLSX (to see what it does first, use Import a file).",
    )
    external_id = forms.CharField(
        max_length=120,
        required=False,
        help_text="Your id for the report; defaults to the checksum.",
    )
    timezone = forms.CharField(
        required=False,
        label="Time zone",
        help_text="Zone of times written without an offset (e.g. Europe/Kyiv); blank: the "
        "profile's, else the mission's time zone.",
    )


@admin.register(InboundPayload)
class InboundPayloadAdmin(RecordAdmin):
    list_display = [
        "id",
        "received_at",
        "channel",
        "format",
        "mission",
        "sender",
        "size",
        "state",
        "attempts",
        "report",
    ]
    list_filter = ["state", "channel", "format"]
    list_select_related = ["mission", "sender", "report"]
    search_fields = ["sha256", "filename", "last_error"]
    exclude = ["body"]
    readonly_fields = [
        "sha256",
        "size",
        "content_type",
        "format",
        "filename",
        "channel",
        "sender",
        "mission",
        "params",
        "idempotency_key",
        "state",
        "attempts",
        "last_error",
        "problems",
        "result",
        "received_at",
        "claimed_at",
        "claimed_by",
        "lease_expires_at",
        "crashes",
        "processed_at",
        "report",
    ]
    actions = ["replay"]
    change_list_template = "admin/reports/inboundpayload/change_list.html"

    def get_queryset(self, request):
        return payloads_visible_to(user=request.user).defer("body")

    def has_replay_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.display(description="problems, row by row")
    def problems(self, obj: InboundPayload) -> str:
        if not obj.errors:
            return "-"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((e,) for e in obj.errors))
        )

    @admin.action(
        description="Replay selected quarantined or rejected payloads", permissions=["replay"]
    )
    def replay(self, request, queryset):
        replayed = 0
        for payload in queryset.filter(state__in=["quarantined", "rejected"]):
            payload_replay(payload=payload)
            replayed += 1
        self.message_user(request, f"{replayed} payload(s) queued again.")

    def get_urls(self):
        def view(function, name: str, route: str):
            wrapped = self.admin_site.admin_view(partial(function, self))
            return path(route, wrapped, name=f"reports_inboundpayload_{name}")

        custom = [
            view(InboundPayloadAdmin.upload_view, "upload", "upload/"),
            view(import_start_view, "import", "import/"),
            view(import_build_view, "import_build", "import/profile/"),
            view(import_preview_view, "import_preview", "import/preview/"),
            view(import_result_view, "import_result", "import/result/<int:payload_id>/"),
        ]
        return custom + super().get_urls()

    def upload_view(self, request):
        """Store a file at once, without a preview (Import a file shows one first)."""
        if not request.user.has_perm("reports.add_report"):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        missions = missions_for_user(user=request.user).filter(is_active=True)
        form.fields["mission"].queryset = missions
        form.fields["profile"].queryset = ImportProfile.objects.filter(
            Q(mission__isnull=True) | Q(mission__in=missions)
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            body = upload.read()
            fmt = data["format"] or EXTENSION_FORMATS.get(Path(upload.name).suffix.lower())
            if fmt is None:
                form.add_error("format", "Cannot tell the format from the file name; pick one.")
            else:
                params = {
                    "mission": data["mission"].code,
                    "external_id": data["external_id"]
                    or f"upload-{hashlib.sha256(body).hexdigest()[:16]}",
                }
                if data["timezone"]:
                    params["timezone"] = data["timezone"]
                # The profile is kept whole with the payload, as the wizard and the API do.
                params = profile_params(params, data["profile"], zone=data["timezone"])
                result = payload_receive(
                    body=body,
                    content_type=upload.content_type or "application/octet-stream",
                    format=fmt,
                    channel=Channel.UPLOAD,
                    sender=request.user,
                    mission=data["mission"],
                    params=params,
                    filename=upload.name,
                )
                self.message_user(
                    request,
                    f"File stored as payload {result.payload.pk}; it is being ingested.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:reports_inboundpayload_change", args=[result.payload.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Upload a report file",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reports/inboundpayload/upload.html", context)


class ImportProfileForm(forms.ModelForm):
    class Meta:
        model = ImportProfile
        fields = ["code", "name", "mission", "description", "definition"]
        widgets = {
            "definition": forms.Textarea(
                attrs={
                    "rows": 24,
                    "cols": 90,
                    "spellcheck": "false",
                    # YAML is read by its indentation: a fixed-width font shows it.
                    "style": "font-family: ui-monospace, Menlo, Consolas, monospace; "
                    "width: 100%; max-width: 60em",
                }
            )
        }

    def clean(self):
        data = super().clean()
        try:
            from_yaml(data.get("definition") or "", code=data.get("code") or "")
        except ProfileProblem as problem:
            self.add_error("definition", str(problem))
        return data


@admin.register(ImportProfile)
class ImportProfileAdmin(admin.ModelAdmin):
    form = ImportProfileForm
    list_display = ["name", "code", "mission", "updated_at"]
    search_fields = ["name", "code", "description"]
    list_filter = ["mission"]
