from django.apps import AppConfig


class MonitorConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitor"

    def ready(self) -> None:
        # Connect the receivers in every process: an ingest announces its accepted reports
        # (reports.signals.report_accepted) wherever it runs.
        from monitor import receivers  # noqa: F401
