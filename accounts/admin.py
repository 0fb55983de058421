from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from accounts.admin_mixins import AuditedAdmin
from accounts.models import ApiToken
from accounts.services import api_token_issue, api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ["name", "user", "key_id", "scope", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["name", "user__username", "key_id"]
    fields = [
        "user",
        "name",
        "scope",
        "expires_at",
        "key_id",
        "last_used_at",
        "revoked_at",
        "created_at",
    ]
    readonly_fields = ["key_id", "last_used_at", "revoked_at", "created_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # a token's owner and scope are fixed once issued
            return [*self.readonly_fields, "user", "name", "scope", "expires_at"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, plain = api_token_issue(
            user=obj.user, name=obj.name, scope=obj.scope, expires_at=obj.expires_at
        )
        obj.pk = token.pk
        self.message_user(
            request,
            f"Token for {obj.user}: {plain} - copy it now, it is stored hashed and will not be "
            "shown again.",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")


# Users and roles keep Django's admin, with the audited history (who gave whom which role).
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    pass


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    pass
