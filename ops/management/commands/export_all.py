from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, archive_export, default_archive_name


class Command(BaseCommand):
    help = (
        "Write a complete, re-importable backup (every table of the project, users and groups, "
        "evidence files) to one .tar.gz with a manifest of checksums. The archive holds "
        "password hashes and webhook secrets: keep it as safe as the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", "-o", help="Archive path (default: ./accord-backup-<UTC time>.tar.gz)."
        )

    def handle(self, *args, **options):
        path = Path(options["output"] or default_archive_name())
        if path.exists():
            raise CommandError(f"{path} already exists; choose another --output.")
        try:
            result = archive_export(path=path)
        except BackupError as exc:
            path.unlink(missing_ok=True)
            raise CommandError(str(exc)) from None
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        rows = sum(result.tables.values())
        for name in result.missing_files:
            self.stderr.write(self.style.WARNING(f"Missing file, not in the archive: {name}"))
        self.stdout.write(
            f"Wrote {path}: {rows} rows in {len(result.tables)} tables, {result.files} file(s)."
        )
