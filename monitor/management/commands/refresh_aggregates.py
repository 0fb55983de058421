import time

from django.core.management.base import BaseCommand

from monitor.aggregates import aggregates_refresh


class Command(BaseCommand):
    help = (
        "Rebuild the scorecards' per-clause and per-party daily figures from the "
        "observations (ingestion keeps them current; run this after bulk loads)."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = aggregates_refresh()
        self.stdout.write(f"{rows} clause-days in {time.perf_counter() - started:.1f} s")
