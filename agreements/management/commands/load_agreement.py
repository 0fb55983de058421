"""``manage.py load_agreement FILE...``: load agreement files (docs/agreement-format.md)."""

from django.core.management.base import BaseCommand, CommandError

from agreements.loader import AgreementFileError, LoadResult, agreement_load_file
from core.history import audit_reason


def _summary(result: LoadResult) -> str:
    verb = "created" if result.created else "updated" if result.agreement_updated else "unchanged"
    parts = [
        f"{result.agreement} {verb}",
        f"clauses {result.clauses_created} new, {result.clauses_updated} changed, "
        f"{result.clauses_unchanged} unchanged",
        f"mechanisms {result.mechanisms_created} new, {result.mechanisms_updated} changed",
        f"parties {result.parties_created} new",
        f"{result.revisions} revisions",
    ]
    if result.missing_from_file:
        parts.append(f"kept clauses not in the file: {', '.join(result.missing_from_file)}")
    if result.mechanisms_missing_from_file:
        missing = ", ".join(result.mechanisms_missing_from_file)
        parts.append(f"kept mechanisms not in the file: {missing}")
    return "; ".join(parts)


class Command(BaseCommand):
    help = "Load agreements from YAML files; each file is checked fully and written atomically."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, files: list[str], **options):
        failed = []
        for path in files:
            try:
                with audit_reason(f"load_agreement {path}"):
                    result = agreement_load_file(path=path)
            except AgreementFileError as exc:
                failed.append(str(exc))
                continue
            self.stdout.write(f"{path}: {_summary(result)}")
        if failed:
            raise CommandError("\n".join(failed))
