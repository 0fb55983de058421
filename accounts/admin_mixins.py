"""Admin building blocks for records nobody edits: histories, logs, alerts, payloads."""

from django.contrib import admin


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
