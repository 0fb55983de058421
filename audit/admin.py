"""The "Audit" section: who changed what, when, from which value to which (read-only)."""

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.utils.html import format_html_join
from simple_history.utils import get_m2m_reverse_field_name

from accounts.admin_mixins import RecordAdmin
from audit import models as audit


def _label(obj) -> str:
    try:
        return str(obj.history_object)
    except ObjectDoesNotExist:  # a string that names a since-deleted related row
        return f"#{obj.history_object.pk}"


def _value(value) -> str:
    return "-" if value in (None, "") else str(value)


def _m2m_value(field, rows: list[dict]) -> str:
    other = get_m2m_reverse_field_name(field)
    return ", ".join(sorted(str(row[other]) for row in rows)) or "-"


def changes_of(record) -> list[tuple[str, str, str]]:
    """(field, old, new) for each value ``record`` changed against the object's previous
    record; a creation shows its values, a deletion nothing."""
    if record.history_type == "-":
        return []
    pk_name = record.instance_type._meta.pk.attname
    previous = (
        type(record)
        .objects.filter(**{pk_name: getattr(record, pk_name)})
        .filter(history_id__lt=record.history_id)
        .order_by("-history_id")
        .first()
    )
    m2m = {field.name: field for field in record._history_m2m_fields}
    if previous is None:
        return [
            (field.name, "", _value(getattr(record, field.attname)))
            for field in record.tracked_fields
            if field.editable and not field.primary_key
        ]
    delta = record.diff_against(previous)
    return [
        (
            change.field,
            _m2m_value(m2m[change.field], change.old)
            if change.field in m2m
            else _value(change.old),
            _m2m_value(m2m[change.field], change.new)
            if change.field in m2m
            else _value(change.new),
        )
        for change in delta.changes
    ]


class HistoryAdmin(RecordAdmin):
    """One audited model's history: listed, filtered and read; never added, edited or
    deleted, not even by a superuser."""

    list_display = ["history_date", "what", "history_type", "who", "reason", "changed_fields"]
    list_filter = [
        "history_type",
        ("history_user", admin.RelatedOnlyFieldListFilter),
        "history_date",
    ]
    date_hierarchy = "history_date"
    search_fields = ["history_change_reason", "history_user__username"]
    list_select_related = ["history_user"]
    list_per_page = 50
    readonly_fields = ["changes"]

    def get_fields(self, request, obj=None):
        return ["history_date", "history_type", "history_user", "history_change_reason", "changes"]

    @admin.display(description="object")
    def what(self, obj) -> str:
        return _label(obj)

    @admin.display(description="by", ordering="history_user__username")
    def who(self, obj) -> str:
        return obj.history_user.get_username() if obj.history_user else "(no user)"

    @admin.display(description="reason")
    def reason(self, obj) -> str:
        return obj.history_change_reason or ""

    @admin.display(description="changed fields")
    def changed_fields(self, obj) -> str:
        return ", ".join(field for field, _, _ in changes_of(obj)) or "-"

    @admin.display(description="changes (old → new)")
    def changes(self, obj) -> str:
        rows = changes_of(obj)
        if not rows:
            return "-"
        return format_html_join("\n", "<div><b>{}</b>: {} → {}</div>", rows)


for proxy in [
    audit.AgreementChange,
    audit.AgreementPartyChange,
    audit.ClauseChange,
    audit.MechanismChange,
    audit.PartyChange,
    audit.AreaChange,
    audit.RuleConfigChange,
    audit.ApiTokenChange,
    audit.UserChange,
    audit.GroupChange,
]:
    admin.site.register(proxy, HistoryAdmin)


@admin.register(audit.AlertStateChange)
class AlertStateChangeAdmin(RecordAdmin):
    """Alert states: monitor's append-only transitions, the engine's and the analysts'."""

    list_display = ["at", "alert", "kind", "from_state", "to_state", "by", "comment"]
    list_filter = ["kind", "to_state", ("by", admin.RelatedOnlyFieldListFilter), "at"]
    date_hierarchy = "at"
    search_fields = ["comment", "by__username", "alert__title"]
    list_select_related = ["alert", "by"]
    list_per_page = 50
