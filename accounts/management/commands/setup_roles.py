from django.core.management.base import BaseCommand

from accounts.roles import roles_sync
from core.history import audit_reason


class Command(BaseCommand):
    help = "Create the observer, analyst and api consumer groups with their permissions."

    def handle(self, *args, **options):
        with audit_reason("setup_roles"):
            counts = roles_sync()
        for role, count in counts.items():
            self.stdout.write(f"{role}: {count} permissions")
