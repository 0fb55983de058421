from django.apps import AppConfig


class MonitorConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitor"

    def ready(self) -> None:
        # In every process, not only in workers: the tasks are registered wherever payloads
        # are ingested, and the receivers hear the reports an ingest accepts there
        # (reports.signals.report_accepted; reports must not import monitor).
        from monitor import receivers, tasks  # noqa: F401
