"""Writes to reports: the report workflow."""

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
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
from reports.selectors import archival_margin


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
    ValidationError for a transition the map does not allow. Accepting marks the report
    archival or not (``report_is_archival``) and chains the ledger."""
    current = Report.objects.select_for_update().get(pk=report.pk)
    if status not in REPORT_TRANSITIONS[current.status]:
        raise ValidationError(
            f"A {current.get_status_display().lower()} report cannot become "
            f"{ReportStatus(status).label.lower()}."
        )
    changes: dict[str, object] = {"status": status, "updated_at": timezone.now()}
    if status == ReportStatus.ACCEPTED:
        # The stored row, not ``report``: the ingest writes the period after creating it.
        changes["archival"] = report_is_archival(
            filed_at=current.filed_at, period_end=current.period_end
        )
        report.archival = bool(changes["archival"])
    Report.objects.filter(pk=report.pk).update(**changes)
    ReportStatusChange.objects.create(
        report=report, from_status=current.status, to_status=status, changed_by=by, note=note
    )
    report.status = status
    if status == ReportStatus.ACCEPTED:
        ledger_append(report=report)
    return report


def report_is_archival(*, filed_at: dt.datetime | None, period_end: dt.datetime) -> bool:
    """Filed more than ARCHIVAL_MARGIN_DAYS after its period ended: it counts for its own
    period, not as present-day monitoring."""
    return filed_at is not None and filed_at - period_end > archival_margin()


def reports_mark_archival(*, reports: QuerySet[Report] | None = None) -> int:
    """Mark ``reports`` (default: all) archival or not from the current margin, in one
    update; return how many changed."""
    if reports is None:
        reports = Report.objects.all()
    late = Q(filed_at__gt=F("period_end") + archival_margin())
    marked = reports.filter(late, archival=False).update(archival=True)
    return marked + reports.filter(~late, archival=True).update(archival=False)


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
