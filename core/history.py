"""The audit trail's writing side: which records class the audited models use, the change
reason of commands, and the bulk writes that keep the history complete (docs/audit.md).

django-simple-history records a row on ``save()``, ``delete()`` and M2M changes (signals).
``QuerySet.update()``, ``bulk_create`` and ``bulk_update`` send no signals: every bulk write
on an audited model goes through ``history_bulk_create`` / ``history_bulk_update`` instead.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models, transaction
from simple_history.models import HistoricalRecords
from simple_history.utils import get_history_manager_for_model, get_m2m_field_name

_reason: ContextVar[str | None] = ContextVar("audit_reason", default=None)


@contextmanager
def audit_reason(reason: str) -> Iterator[None]:
    """Record ``reason`` as the change reason of every history row written inside the block
    (commands, which have no user: ``with audit_reason("setup_roles"): ...``)."""
    token = _reason.set(reason)
    try:
        yield
    finally:
        _reason.reset(token)


def audit_reason_current() -> str | None:
    return _reason.get()


class AuditedRecords(HistoricalRecords):  # type: ignore[misc]  # simple-history is untyped
    """HistoricalRecords that falls back to the reason set by ``audit_reason``."""

    def get_change_reason_for_object(
        self, instance: models.Model, history_type: str, using: str | None
    ) -> str | None:
        reason: str | None = super().get_change_reason_for_object(instance, history_type, using)
        return reason or audit_reason_current()


def _m2m_snapshots_write(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Copy the current M2M links of each history row's object into the history, as a
    signal-written row would have them (bulk_history_create does not)."""
    history_model = get_history_manager_for_model(model).model
    for field in history_model._history_m2m_fields:
        m2m_history = HistoricalRecords.m2m_models[field]
        through = getattr(model, field.name).through
        own = get_m2m_field_name(field)
        by_object = {getattr(row, model._meta.pk.attname): row for row in rows}
        links = through.objects.filter(**{f"{own}__in": list(by_object)})
        names = [f.attname for f in through._meta.fields]
        m2m_history.objects.bulk_create(
            [
                m2m_history(
                    history=by_object[getattr(link, f"{own}_id")],
                    **{name: getattr(link, name) for name in names},
                )
                for link in links
            ],
            batch_size=1000,
        )


def _history_rows_write(
    model: type[models.Model], objs: Sequence[models.Model], *, update: bool, batch_size: int
) -> None:
    manager = get_history_manager_for_model(model)
    rows = manager.bulk_history_create(
        objs,
        batch_size=batch_size,
        update=update,
        default_change_reason=audit_reason_current() or "",
    )
    if manager.model._history_m2m_fields and rows:
        _m2m_snapshots_write(model, rows)


@transaction.atomic
def history_bulk_create(
    *, model: type[models.Model], objs: Sequence[models.Model], batch_size: int = 1000
) -> list[models.Model]:
    """``bulk_create`` that also writes one "created" history row per object."""
    created = model._default_manager.bulk_create(objs, batch_size=batch_size)
    if created:
        _history_rows_write(model, created, update=False, batch_size=batch_size)
    return created


@transaction.atomic
def history_bulk_update(
    *,
    model: type[models.Model],
    objs: Sequence[models.Model],
    fields: list[str],
    batch_size: int = 1000,
) -> int:
    """``bulk_update`` that also writes one "changed" history row per object (the objects
    must be fully loaded: the row is a snapshot of them)."""
    if not objs:
        return 0
    count = model._default_manager.bulk_update(objs, fields, batch_size=batch_size)
    _history_rows_write(model, objs, update=True, batch_size=batch_size)
    return count


def history_record_changed(*, objs: Sequence[models.Model]) -> None:
    """Write "changed" history rows for objects a conditional ``UPDATE`` already wrote."""
    if objs:
        _history_rows_write(type(objs[0]), objs, update=True, batch_size=1000)
