"""The "Audit" section: who changed what, when, from which value to which (read-only)."""

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils.html import format_html_join
from simple_history.models import HistoricalRecords
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


def _m2m_links(records: list) -> dict[str, dict[int, set]]:
    """{m2m field: {history_id: linked ids}} for ``records``, one query per M2M field."""
    links: dict[str, dict[int, set]] = {}
    if not records:
        return links
    ids = [r.history_id for r in records]
    for field in records[0]._history_m2m_fields:
        m2m_history = HistoricalRecords.m2m_models[field]
        other = m2m_history._meta.get_field(get_m2m_reverse_field_name(field)).attname
        by_record: dict[int, set] = {history_id: set() for history_id in ids}
        for history_id, target in m2m_history.objects.filter(history__in=ids).values_list(
            "history_id", other
        ):
            by_record[history_id].add(target)
        links[field.name] = by_record
    return links


def _ids(values: set) -> str:
    return ", ".join(str(v) for v in sorted(values)) or "-"


def changes_load(records: list) -> None:
    """Set ``audit_changes`` on each history record: [(field, old, new)] against the object's
    previous record (a creation shows its values, a deletion none), in a fixed number of
    queries whatever the number of records."""
    if not records:
        return
    model = type(records[0])
    pk_name = records[0].instance_type._meta.pk.attname
    previous_ids = {}
    for r in records:  # the admin's queryset has annotated it; a lone record looks it up
        if hasattr(r, "previous_id"):
            previous_ids[r.history_id] = r.previous_id
        else:
            earlier = model.objects.filter(
                **{pk_name: getattr(r, pk_name)}, history_id__lt=r.history_id
            )
            previous_ids[r.history_id] = (
                earlier.order_by("-history_id").values_list("history_id", flat=True).first()
            )
    previous = model.objects.in_bulk(
        [i for i in previous_ids.values() if i], field_name="history_id"
    )
    links = _m2m_links([*records, *previous.values()])
    fields = [f for f in records[0].tracked_fields if f.editable and not f.primary_key]
    for record in records:
        before = previous.get(previous_ids.get(record.history_id))
        changes = []
        if record.history_type != "-":
            for field in fields:
                new = getattr(record, field.attname)
                old = getattr(before, field.attname) if before else None
                if before is None or old != new:
                    changes.append((field.name, "" if before is None else _value(old), _value(new)))
            for name, by_record in links.items():
                new = by_record[record.history_id]
                old = by_record[before.history_id] if before else set()
                if old != new:
                    changes.append((name, _ids(old), _ids(new)))
        record.audit_changes = sorted(changes)


def changes_of(record) -> list[tuple[str, str, str]]:
    """(field, old, new) for each value ``record`` changed (see ``changes_load``)."""
    if not hasattr(record, "audit_changes"):
        changes_load([record])
    return record.audit_changes


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

    def get_queryset(self, request):
        history = self.model
        pk_name = history.instance_type._meta.pk.attname
        previous = (
            history.objects.filter(
                **{pk_name: OuterRef(pk_name)}, history_id__lt=OuterRef("history_id")
            )
            .order_by("-history_id")
            .values("history_id")[:1]
        )
        return super().get_queryset(request).annotate(previous_id=Subquery(previous))

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        changes_load(list(changelist.result_list))
        return changelist

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


HISTORY_PROXIES: list[type[models.Model]] = [
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
]
admin.site.register(HISTORY_PROXIES, HistoryAdmin)


@admin.register(audit.AlertStateChange)
class AlertStateChangeAdmin(RecordAdmin):
    """Alert states: monitor's append-only transitions, the engine's and the analysts'."""

    list_display = ["at", "alert", "kind", "from_state", "to_state", "by", "comment"]
    list_filter = ["kind", "to_state", ("by", admin.RelatedOnlyFieldListFilter), "at"]
    date_hierarchy = "at"
    search_fields = ["comment", "by__username", "alert__title"]
    list_select_related = ["alert", "by"]
    list_per_page = 50
