from django.apps import AppConfig


class MonitorConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitor"

    def ready(self):
        # Register the tasks in every process, not only in workers: the ingest pipeline asks
        # for "monitor.request_evaluation" by name (reports must not import monitor).
        from monitor import tasks  # noqa: F401
