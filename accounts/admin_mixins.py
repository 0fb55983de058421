"""Admin building blocks for records nobody edits: histories, logs, alerts, payloads."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class HistoryInline(admin.TabularInline):
    """An append-only history shown under its parent: read-only, nothing added or deleted."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RecordAdmin(admin.ModelAdmin):
    """A record the system writes: listed and read in the admin, never added, changed or
    deleted there (actions that go through services stay available)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdmin(SimpleHistoryAdmin):
    """An audited model's admin: its "History" page lists every recorded change with the old
    and new values (docs/audit.md). The history is read, never written back: reverting an
    old version from the admin is refused, whatever the settings or the user."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("The audit trail is read-only.")
        return super().history_form_view(request, object_id, version_id, extra_context)
