"""Writes to reports: the report workflow."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reports.ledger import ledger_append
from reports.models import (
    REPORT_TRANSITIONS,
    Channel,
    InboundPayload,
    Report,
    ReportStatus,
    ReportStatusChange,
)


@transaction.atomic
def report_create(*, report: Report, by: User | None, note: str = "") -> Report:
    """Save a new report and the first row of its status history ("" -> its status)."""
    report.save(force_insert=True)
    ReportStatusChange.objects.create(
        report=report, from_status="", to_status=report.status, changed_by=by, note=note
    )
    return report


@transaction.atomic
def report_set_status(*, report: Report, status: str, by: User | None, note: str = "") -> Report:
    """Move a report along its workflow (REPORT_TRANSITIONS) with a row of history;
    ValidationError for a transition the map does not allow. Accepting chains the ledger."""
    current = Report.objects.select_for_update().get(pk=report.pk)
    if status not in REPORT_TRANSITIONS[current.status]:
        raise ValidationError(
            f"A {current.get_status_display().lower()} report cannot become "
            f"{ReportStatus(status).label.lower()}."
        )
    Report.objects.filter(pk=report.pk).update(status=status, updated_at=timezone.now())
    ReportStatusChange.objects.create(
        report=report, from_status=current.status, to_status=status, changed_by=by, note=note
    )
    report.status = status
    if status == ReportStatus.ACCEPTED:
        ledger_append(report=report)
    return report


@transaction.atomic
def report_submit(*, report: Report, by: User) -> InboundPayload:
    """File a draft entered in the admin through the same pipeline as the API.

    The draft becomes read-only at once; its JSON is stored as a payload and ingested, which
    validates every observation and accepts the report (or rejects it with the problems).
    """
    from reports.ingest.receive import payload_receive
    from reports.serialize import report_as_json

    if report.status == ReportStatus.REJECTED:
        report_set_status(report=report, status=ReportStatus.DRAFT, by=by, note="resubmitted")
    if not report.observations.exists():
        raise ValidationError("A report needs at least one observation before it is submitted.")
    report.filed_by = by
    report.filed_at = timezone.now()
    report.save(update_fields=["filed_by", "filed_at", "updated_at"])
    report_set_status(report=report, status=ReportStatus.SUBMITTED, by=by)
    body = report_as_json(report)
    return payload_receive(
        body=body,
        content_type="application/json",
        format="json",
        channel=Channel.ADMIN,
        sender=by,
        mission=report.mission,
        params={"draft_report_id": report.pk},
    ).payload
