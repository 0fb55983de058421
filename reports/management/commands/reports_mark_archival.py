from django.conf import settings
from django.core.management.base import BaseCommand

from reports.services import reports_mark_archival


class Command(BaseCommand):
    help = (
        "Mark every report archival or not from the current ARCHIVAL_MARGIN_DAYS (filed more "
        "than that many days after its period ended); print how many changed."
    )

    def handle(self, *args, **options):
        changed = reports_mark_archival()
        days = settings.ARCHIVAL_MARGIN_DAYS
        self.stdout.write(
            f"{changed} report(s) changed (archival: filed more than {days} day(s) after the "
            "period ended). The rules' next run (every five minutes) takes them into account."
        )
