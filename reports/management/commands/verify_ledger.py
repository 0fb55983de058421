from django.core.management.base import BaseCommand, CommandError

from reports.ledger import ledger_chains
from reports.models import ObserverMission


class Command(BaseCommand):
    help = (
        "Recompute every mission's ledger of accepted reports; name the first report that does "
        "not match. Exit status 1 on any mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mission", help="Verify only this mission (its code).")

    def handle(self, *args, **options):
        code = options["mission"]
        if code and not ObserverMission.objects.filter(code=code).exists():
            raise CommandError(f'No mission with the code "{code}".')
        broken = 0
        for result in ledger_chains(mission=code):
            if result.problem is None:
                self.stdout.write(f"OK {result.mission}: {result.links} link(s)")
                continue
            broken += 1
            self.stdout.write(
                self.style.ERROR(f"MISMATCH {result.problem}"),
            )
        if broken:
            raise CommandError(f"{broken} mission ledger(s) do not verify.", returncode=1)
