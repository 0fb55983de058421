"""Processing a stored payload: claim it, parse, validate and write in one transaction.

A worker claims the payload with a conditional update (reports.ingest.claims), so two
deliveries of one doorbell never process it twice; every payload ends in a final state it
can write (done, rejected with its problems, or quarantined with the reason).
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from reports.ingest.claims import error_text, payload_claim, payload_quarantine, payload_release
from reports.ingest.errors import DuplicateContent, PayloadRejected
from reports.ingest.evidence import evidence_relink, evidence_staged
from reports.ingest.header import ReportHeader, header_read
from reports.ingest.observations import observations_store
from reports.ingest.report import (
    payload_draft,
    report_accept,
    report_complete,
    report_find_or_create,
    report_live,
)
from reports.models import InboundPayload, Report, ReportStatus
from reports.parsers import ParsedPayload, PayloadProblem, get_parser
from reports.parsers.source import DatabaseSource
from reports.services import report_set_status

logger = logging.getLogger(__name__)
State = InboundPayload.State
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
_OUT_OF_MEMORY = (
    "the ingest ran out of memory (the ceiling is INGEST_WORKER_MEMORY_MB per worker process): "
    "the payload is too large or too deeply nested; nothing was stored"
)


def payload_ingest(
    *, payload_id: int, progress: Callable[[int], object] | None = None, owner: str = ""
) -> str:
    """Claim (for ``owner``, a worker process) and process one payload; return the state it
    ends in (or ``skipped``).

    Invalid content ends ``rejected`` with its row errors; transient faults release the
    claim and re-raise for a retry; anything else, too many attempts or crashes, ``quarantined``.
    """
    if not payload_claim(payload_id=payload_id, owner=owner):
        return "skipped"
    payload = (
        InboundPayload.objects.select_related("sender", "mission").defer("body").get(pk=payload_id)
    )
    if reason := _give_up_reason(payload):
        payload_quarantine(payload_id=payload_id, error=reason)
        return State.QUARANTINED
    try:
        result = _process(payload, progress)
    except PayloadRejected as rejected:
        return _finish_rejected(payload, rejected)
    except TRANSIENT_ERRORS as exc:
        payload_release(payload_id=payload_id, error=f"transient: {exc}")
        raise
    except MemoryError:
        # Raised under the worker's address-space ceiling (INGEST_WORKER_MEMORY_MB).
        payload_quarantine(payload_id=payload_id, error=_OUT_OF_MEMORY)
        logger.error("payload %s quarantined: out of memory", payload_id)
        return State.QUARANTINED
    except Exception as exc:  # a bug or an unforeseen input: keep it, never drop it
        logger.exception("payload %s quarantined", payload_id)
        payload_quarantine(payload_id=payload_id, error=f"{type(exc).__name__}: {exc}")
        return State.QUARANTINED
    logger.info("payload %s ingested: %s", payload_id, result)
    return State.DONE


def _give_up_reason(payload: InboundPayload) -> str:
    """Why a freshly claimed payload is not tried again, or "" to try it."""
    if payload.crashes >= settings.INGEST_MAX_CRASHES:
        return (
            f"the worker stopped {payload.crashes} times while processing this payload (killed, "
            "out of memory or past the task time limit); quarantined so that it cannot take "
            "down another"
        )
    if payload.attempts > settings.INGEST_MAX_ATTEMPTS:
        return (
            f"gave up after {payload.attempts - 1} attempts; last error: "
            f"{payload.last_error or 'the worker stopped before finishing'}"
        )
    return ""


def _process(payload: InboundPayload, progress: Callable[[int], object] | None) -> dict[str, Any]:
    try:
        source = DatabaseSource(payload.pk)
        parsed: ParsedPayload = get_parser(payload.format)(source, dict(payload.params))
    except PayloadProblem as problem:
        raise PayloadRejected([f"file: {problem}"]) from None
    header = header_read(payload=payload, header=parsed.header)
    try:
        with transaction.atomic():
            return _write(payload=payload, header=header, parsed=parsed, progress=progress)
    except DuplicateContent as duplicate:
        return _finish_duplicate(payload, duplicate.report)


def _write(
    *,
    payload: InboundPayload,
    header: ReportHeader,
    parsed: ParsedPayload,
    progress: Callable[[int], object] | None,
) -> dict[str, Any]:
    """The steps of an ingest, inside its transaction: any exception rolls them all back."""
    live = report_live(payload=payload, header=header)
    named = evidence_staged(header=header)
    target = report_find_or_create(payload=payload, header=header, live=live)
    stored = observations_store(
        report=target.report,
        header=header,
        rows=parsed.rows,
        progress=progress,
        row_label=parsed.row_label,
    )
    report_complete(target=target, header=header, stored=stored)
    evidence_relink(
        report=target.report, named=named, positions=target.positions, observations=stored.count
    )
    return report_accept(payload=payload, target=target, stored=stored)


def _finish_duplicate(payload: InboundPayload, report: Report) -> dict[str, Any]:
    """The content is already filed as ``report``: the payload is done with its result."""
    result = {
        "report_id": report.pk,
        "revision": report.revision,
        "observations": report.observations.count(),
        "duplicate": True,
    }
    InboundPayload.objects.filter(pk=payload.pk).update(
        state=State.DONE,
        report=report,
        result=result,
        processed_at=timezone.now(),
        errors=[],
        last_error="",
    )
    return result


def _finish_rejected(payload: InboundPayload, rejected: PayloadRejected) -> str:
    """Record the rejection; if it cannot be written (its own text), quarantine instead."""
    try:
        _write_rejected(payload, rejected)
    except DatabaseError as exc:
        logger.exception("payload %s: could not record its rejection", payload.pk)
        payload_quarantine(
            payload_id=payload.pk,
            error=f"rejected, but the problems could not be stored ({type(exc).__name__}); "
            "see the worker's log",
        )
        return State.QUARANTINED
    return State.REJECTED


def _write_rejected(payload: InboundPayload, rejected: PayloadRejected) -> None:
    errors = [error_text(error, limit=1000) for error in rejected.errors]
    summary = error_text(
        f"{rejected.total} problem(s); nothing from this payload was stored"
        if rejected.total > 1
        else f"{errors[0]}; nothing was stored"
    )
    with transaction.atomic():
        InboundPayload.objects.filter(pk=payload.pk).update(
            state=State.REJECTED,
            errors=errors,
            last_error=summary,
            processed_at=timezone.now(),
            result={"error_count": rejected.total},
            lease_expires_at=None,
        )
        draft = payload_draft(payload=payload)
        if draft is not None and draft.status == ReportStatus.SUBMITTED:
            report_set_status(
                report=draft, status=ReportStatus.REJECTED, by=payload.sender, note=summary
            )
