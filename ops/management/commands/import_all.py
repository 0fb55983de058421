from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, archive_import


class Command(BaseCommand):
    help = (
        "Restore an export_all archive into this database, which must be freshly migrated "
        "(to the archive's migrations) and empty. Checksums are verified first; everything is "
        "restored in one transaction or nothing is."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The .tar.gz written by export_all.")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path} does not exist.")
        try:
            result = archive_import(path=path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(result.tables.values())
        self.stdout.write(
            f"Restored {rows} rows in {len(result.tables)} tables and {result.files} file(s) "
            f"from {path}. Run `manage.py verify_ledger` to check the report ledger."
        )
