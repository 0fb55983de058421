from django.apps import AppConfig


def _last_login_stamp(sender, user, **kwargs):
    """Django's own last-login update, minus an empty audit row per login: last_login is
    left out of the user's history (docs/audit.md)."""
    from django.utils import timezone

    user.last_login = timezone.now()
    user.save_without_historical_record(update_fields=["last_login"])


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts import schema  # noqa: F401  (registers the OpenAPI extension)

        # Same dispatch_uid as django.contrib.auth's receiver: this one replaces it.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(_last_login_stamp, dispatch_uid="update_last_login")
