"""The report an ingest writes: found (a draft from the admin, a duplicate, the live report
it corrects) or created, completed from its rows and accepted."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Min
from django.utils import timezone

from reports.ingest.announce import report_accepted_announce
from reports.ingest.errors import DuplicateContent, PayloadRejected
from reports.ingest.evidence import evidence_positions
from reports.ingest.header import ReportHeader
from reports.ingest.observations import ObservationsStored
from reports.models import Channel, InboundPayload, ObserverMission, Report, ReportStatus
from reports.services import report_create, report_set_status

State = InboundPayload.State


@dataclass(frozen=True)
class ReportTarget:
    """The report the rows go to, the live report it supersedes, and for a draft rewritten in
    place its evidence links as {evidence file id: position of the observation}."""

    report: Report
    superseded: Report | None = None
    positions: dict[int, int] = field(default_factory=dict)


def payload_draft(*, payload: InboundPayload) -> Report | None:
    """The admin draft a payload files (report_submit), if it is one."""
    report_id = payload.params.get("draft_report_id")
    if payload.channel != Channel.ADMIN or not report_id:
        return None
    return Report.objects.filter(pk=report_id).first()


def report_live(*, payload: InboundPayload, header: ReportHeader) -> Report | None:
    """The mission's live report of this external id, with the mission locked until the
    commit; DuplicateContent if it was already filed from these very bytes."""
    # One ingest per mission at a time: corrections and the report chain stay in order.
    ObserverMission.objects.select_for_update().filter(pk=header.mission.pk).first()
    live = (
        Report.objects.filter(mission=header.mission, external_id=header.external_id)
        .exclude(status=ReportStatus.SUPERSEDED)
        .first()
    )
    if (
        live is not None
        and live.payloads.filter(sha256=payload.sha256).exclude(pk=payload.pk).exists()
    ):
        raise DuplicateContent(live)  # the very same bytes again: answer with the first result
    return live


def report_find_or_create(
    *, payload: InboundPayload, header: ReportHeader, live: Report | None
) -> ReportTarget:
    """The admin draft the payload files, emptied of its rows; or a new report (submitted),
    a correction of ``live`` if there is one."""
    draft = payload_draft(payload=payload)
    if draft is not None and live is not None and live.pk == draft.pk:
        positions = evidence_positions(draft=draft)
        draft.observations.all().delete()
        return ReportTarget(report=draft, positions=positions)
    if live is not None and live.status in (ReportStatus.DRAFT, ReportStatus.SUBMITTED):
        raise PayloadRejected(
            [
                f'header, external_id: report "{header.external_id}" is a {live.status} report '
                "in the admin; submit or delete it there first"
            ]
        )
    if live is not None:
        report_set_status(
            report=live,
            status=ReportStatus.SUPERSEDED,
            by=payload.sender,
            note=f"corrected by payload {payload.pk}",
        )
    now = timezone.now()
    report = Report(
        mission=header.mission,
        external_id=header.external_id,
        revision=(live.revision + 1) if live else 1,
        # Placeholders until the rows are read; they must satisfy the ordering constraint.
        period_start=header.period_start or header.period_end or now,
        period_end=header.period_end or header.period_start or now,
        status=ReportStatus.SUBMITTED,
        title=header.title,
        summary=header.summary,
        filed_by=payload.sender,
        filed_at=payload.received_at,
        channel=payload.channel,
        supersedes=live,
    )
    report_create(report=report, by=payload.sender, note=f"payload {payload.pk}")
    return ReportTarget(report=report, superseded=live)


def report_complete(
    *, target: ReportTarget, header: ReportHeader, stored: ObservationsStored
) -> None:
    """Store the content hash and the period (a half-open one completed from the rows, never
    inverted); DuplicateContent if the correction says what the superseded report said."""
    start = header.period_start or (
        min(stored.earliest, header.period_end) if header.period_end else stored.earliest
    )
    end = header.period_end or max(stored.latest, start)
    superseded = target.superseded
    if superseded is not None and superseded.content_sha256 == stored.content_sha256:
        raise DuplicateContent(superseded)  # same content, re-serialised: roll back, change nothing
    Report.objects.filter(pk=target.report.pk).update(
        content_sha256=stored.content_sha256, period_start=start, period_end=end
    )


def report_accept(
    *, payload: InboundPayload, target: ReportTarget, stored: ObservationsStored
) -> dict[str, Any]:
    """Accept the report (its ledger link too), mark the payload done with the result, and
    announce the report after the commit; return the result."""
    report, superseded = target.report, target.superseded
    report_set_status(
        report=report, status=ReportStatus.ACCEPTED, by=payload.sender, note=f"payload {payload.pk}"
    )
    result = {
        "report_id": report.pk,
        "revision": report.revision,
        "observations": stored.count,
        "supersedes": superseded.pk if superseded else None,
        "clauses": sorted(stored.clause_ids),
    }
    InboundPayload.objects.filter(pk=payload.pk).update(
        state=State.DONE,
        report=report,
        result=result,
        processed_at=timezone.now(),
        errors=[],
        last_error="",
    )
    touched = set(stored.clause_ids)
    # Calendar days (``occurred_on``), as the daily figures count them.
    days: list[dt.date | None] = [stored.first_day, stored.last_day]
    if superseded is not None:  # a correction may drop clauses the earlier report bore on
        earlier = superseded.observations.exclude(clause=None)
        touched |= set(earlier.values_list("clause_id", flat=True))
        span = earlier.aggregate(first=Min("occurred_on"), last=Max("occurred_on"))
        days += [span["first"], span["last"]]
    known = [day for day in days if day is not None]
    report_accepted_announce(
        report=report, clause_ids=sorted(touched), since=min(known), until=max(known)
    )
    return result
