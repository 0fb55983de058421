from django.apps import AppConfig


class NotifyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notify"
    verbose_name = "Notify"

    def ready(self) -> None:
        # monitor announces committed transitions by a signal of its own: it never imports
        # notify. Importing the receivers registers notify's tasks in every process too.
        from monitor.signals import alert_transitions_recorded
        from notify.receivers import transitions_recorded_ring

        alert_transitions_recorded.connect(
            transitions_recorded_ring, dispatch_uid="notify.transitions_recorded_ring"
        )
