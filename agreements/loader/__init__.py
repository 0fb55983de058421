"""Load an agreement from a YAML file (docs/agreement-format.md): check all of it, then write.

A file that fails any check writes nothing. Loading the same file again changes nothing; a
changed file updates rows in place and leaves a ClauseRevision for every clause it changes.
"""

from pathlib import Path

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from agreements.loader.checks import _plan_read
from agreements.loader.results import AgreementFileError, LoadResult
from agreements.loader.writer import _write
from core.history import audit_reason, audit_reason_current

__all__ = ["AgreementFileError", "LoadResult", "agreement_load_file", "agreement_load_text"]


def agreement_load_text(*, text: str, source: str, by: User | None = None) -> LoadResult:
    """Check an agreement file's text fully, then create or update it in one transaction."""
    plan = _plan_read(text=text, source=source)
    try:
        with transaction.atomic(), audit_reason(audit_reason_current() or f"load {source}"):
            return _write(plan=plan, source=source, by=by)
    except ValidationError as exc:  # clause_dates_resolve refusing a cycle the checks missed
        line = plan.lines.get("clauses", 1)
        raise AgreementFileError(f"{source} line {line}: {' '.join(exc.messages)}") from exc


def agreement_load_file(*, path: str | Path, by: User | None = None) -> LoadResult:
    """Load one agreement file (docs/agreement-format.md); raise AgreementFileError if it is bad."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise AgreementFileError(f"{path.name}: cannot read the file: {exc}") from exc
    return agreement_load_text(text=text, source=path.name, by=by)
