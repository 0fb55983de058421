"""The signal the reports app sends, and its receivers."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import Signal, receiver

from reports.models import EvidenceFile

# An ingest accepted ``report`` (sent after the commit, by reports.ingest.announce), with
# ``clause_ids``, the clauses it and the report it corrects bear on, and ``since`` and
# ``until``, the days (dt.date, UTC) their observations span. Upper layers listen here:
# reports never imports them.
report_accepted = Signal()


@receiver(post_delete, sender=EvidenceFile, dispatch_uid="evidence_file_remove")
def evidence_file_remove(
    sender: type[EvidenceFile], instance: EvidenceFile, **kwargs: object
) -> None:
    """A deleted evidence row (a draft report deleted with its files) takes its stored file
    with it, once the deletion is committed: no orphaned evidence left on disk."""
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
