import warnings

from django.conf import settings
from django.core.management.base import BaseCommand

from core.history import audit_reason
from demo.services import demo_load


class Command(BaseCommand):
    help = (
        "Load the shipped agreements, demo missions, one user per role and a few months of "
        "demo reports through the ingest pipeline. Safe to run again: nothing is doubled."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the demo users new passwords and print them.",
        )

    def handle(self, *args, **options):
        with audit_reason("load_demo"), warnings.catch_warnings():  # audit: names the command
            # With DEBUG on, Django notes once that it keeps only the last 9,000 queries: noise
            # on a newcomer's first command.
            warnings.filterwarnings("ignore", message="Limit for query logging exceeded")
            result = demo_load(reset_passwords=options["reset_passwords"])
        self.stdout.write(f"Agreements: {', '.join(result.agreements)}")
        self.stdout.write(
            f"Reports filed: {result.reports_filed} ({result.observations} observations); "
            f"already there: {result.reports_skipped}; example rejected upload: {result.rejected}"
        )
        if result.credentials:
            self.stdout.write(
                self.style.WARNING(
                    "Demo logins (shown once; load_demo --reset-passwords makes new ones):"
                )
            )
            for username, role, password in result.credentials:
                self.stdout.write(f"  {role:<15} {username:<17} {password}")
        elif not result.tokens:
            self.stdout.write("Demo users exist already; use --reset-passwords to get new ones.")
        for username, plain in result.tokens:
            self.stdout.write(
                self.style.WARNING(
                    f"API token of {username} (API only, no web login; shown once; "
                    "load_demo --reset-passwords makes a new one):"
                )
            )
            self.stdout.write(f"  {plain}")
            self.stdout.write(
                f'  curl -H "Authorization: Bearer {plain}" {settings.SITE_URL}/api/v1/alerts/'
            )
