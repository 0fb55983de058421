"""Signal receivers of the reports app."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from reports.models import EvidenceFile


@receiver(post_delete, sender=EvidenceFile, dispatch_uid="evidence_file_remove")
def evidence_file_remove(sender, instance: EvidenceFile, **kwargs) -> None:
    """A deleted evidence row (a draft report deleted with its files) takes its stored file
    with it, once the deletion is committed: no orphaned evidence left on disk."""
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
