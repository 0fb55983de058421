"""The ingest pipeline: store first, then claim, parse, validate and write in one transaction.

The database row is the record and the queue only a doorbell: every payload is stored before
anything is parsed, a worker claims it with a conditional update, and a periodic sweep
re-rings for payloads that were never picked up or whose worker died.
"""

import contextlib
import contextvars
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from accounts.access import reach_of
from core.queue import broker_rest_forget, broker_resting, enqueue
from reports.ingest.claims import (
    claim_lapsed,
    error_text,
    payload_claim,
    payload_quarantine,
    payload_release,
)
from reports.ingest.dates import DateProblem, parse_datetime, zone
from reports.ingest.rows import RowContext, RowError, validate_row
from reports.ingest.writer import observations_write
from reports.ledger import ledger_append
from reports.models import (
    Channel,
    EvidenceFile,
    InboundPayload,
    ObserverMission,
    Report,
    ReportStatus,
    ReportStatusChange,
)
from reports.parsers import PayloadProblem, get_parser
from reports.parsers.source import DatabaseSource

logger = logging.getLogger(__name__)
State = InboundPayload.State
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
MAX_LISTED_ERRORS = 200
BATCH_SIZE = 5000


class PayloadRejected(Exception):
    def __init__(self, errors: list[str], total: int | None = None):
        super().__init__("; ".join(errors[:3]))
        self.errors = errors
        self.total = total if total is not None else len(errors)


class DuplicateContent(Exception):
    def __init__(self, report: Report):
        super().__init__(f"same content as report {report.pk}")
        self.report = report


@dataclass
class ReceiveResult:
    payload: InboundPayload
    created: bool


# --- receiving ----------------------------------------------------------------------------


def payload_receive(
    *,
    body: bytes,
    content_type: str,
    format: str,
    channel: str,
    sender: AbstractBaseUser | None,
    mission: ObserverMission | None = None,
    params: dict | None = None,
    filename: str = "",
    idempotency_key: str = "",
) -> ReceiveResult:
    """Store the raw payload and ring the doorbell after commit; parse nothing yet.

    A repeat of an ``Idempotency-Key`` from the same sender returns the first payload.
    """
    if idempotency_key and sender is not None:
        earlier = InboundPayload.objects.filter(sender=sender, idempotency_key=idempotency_key)
        if first := earlier.first():
            return ReceiveResult(first, created=False)
    try:
        with transaction.atomic():
            payload = InboundPayload.objects.create(
                body=body,
                sha256=hashlib.sha256(body).hexdigest(),
                size=len(body),
                content_type=content_type[:120],
                format=format,
                channel=channel,
                sender=sender,
                mission=mission,
                params=params or {},
                filename=filename[:255],
                idempotency_key=idempotency_key[:200],
            )
            transaction.on_commit(lambda: payload_enqueue(payload_id=payload.pk))
    except IntegrityError:
        # Two requests with one Idempotency-Key raced: the first one stored is the answer.
        first = InboundPayload.objects.get(sender=sender, idempotency_key=idempotency_key)
        return ReceiveResult(first, created=False)
    return ReceiveResult(payload, created=True)


def payload_enqueue(*, payload_id: int) -> bool:
    """Ring the doorbell (core.queue.enqueue); the periodic sweep delivers whatever could not
    be enqueued here."""
    from reports.tasks import ingest_payload

    return enqueue(ingest_payload, args=[payload_id], what=f"payload {payload_id}")


# --- processing ---------------------------------------------------------------------------


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


_OUT_OF_MEMORY = (
    "the ingest ran out of memory (the ceiling is INGEST_WORKER_MEMORY_MB per worker process): "
    "the payload is too large or too deeply nested; nothing was stored"
)


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
        draft = _admin_draft(payload)
        if draft is not None and draft.status == ReportStatus.SUBMITTED:
            _set_status(draft, ReportStatus.REJECTED, payload.sender, summary)


def _admin_draft(payload: InboundPayload) -> Report | None:
    report_id = payload.params.get("draft_report_id")
    if payload.channel != Channel.ADMIN or not report_id:
        return None
    return Report.objects.filter(pk=report_id).first()


def _set_status(report: Report, status: str, by, note: str = "") -> None:
    ReportStatusChange.objects.create(
        report=report, from_status=report.status, to_status=status, changed_by=by, note=note
    )
    Report.objects.filter(pk=report.pk).update(status=status, updated_at=timezone.now())
    report.status = status


def _header_value(header: dict, name: str, *, required: bool, limit: int = 200) -> str:
    value = header.get(name)
    if value in (None, ""):
        if required:
            raise PayloadRejected([f"header, {name}: is required"])
        return ""
    if not isinstance(value, str | int):
        raise PayloadRejected([f"header, {name}: must be text"])
    text = str(value).strip()
    if len(text) > limit:
        raise PayloadRejected([f"header, {name}: longer than {limit} characters"])
    return text


def _mission_for(payload: InboundPayload, header: dict) -> ObserverMission:
    code = _header_value(header, "mission", required=True, limit=60)
    mission = ObserverMission.objects.filter(code=code).first()
    if mission is None:
        raise PayloadRejected([f'header, mission: unknown mission "{code}"'])
    if payload.mission_id and payload.mission_id != mission.pk:
        raise PayloadRejected(
            [
                f'header, mission: the report names "{code}" but was sent for '
                f'"{payload.mission.code}"'
            ]
        )
    sender = payload.sender
    if (
        sender is not None
        and reach_of(sender).records == "own"
        and not mission.members.filter(pk=sender.pk).exists()
    ):
        raise PayloadRejected([f'header, mission: you are not a member of mission "{code}"'])
    if not mission.is_active:
        raise PayloadRejected([f'header, mission: mission "{code}" is not active'])
    return mission


def _period(header: dict, tz: dt.tzinfo) -> tuple[dt.datetime | None, dt.datetime | None]:
    bounds = []
    for name in ("period_start", "period_end"):
        value = header.get(name)
        if value in (None, ""):
            bounds.append(None)
            continue
        try:
            bounds.append(parse_datetime(value, tz=tz))
        except DateProblem as exc:
            raise PayloadRejected([f"header, {name}: {exc}"]) from None
    start, end = bounds
    if start and end and end < start:
        raise PayloadRejected(["header, period: the end is before the start"])
    return start, end


def _hashable(value: object) -> str:
    # One instant, one text: the same time written with another offset is the same content.
    return value.astimezone(dt.UTC).isoformat() if isinstance(value, dt.datetime) else str(value)


def _row_hash(digest, row: tuple) -> None:
    digest.update(json.dumps(row, default=_hashable, sort_keys=True).encode())


def _process(payload: InboundPayload, progress: Callable[[int], object] | None) -> dict:
    try:
        source = DatabaseSource(payload.pk)
        parsed = get_parser(payload.format)(source, dict(payload.params))
    except PayloadProblem as problem:
        raise PayloadRejected([f"file: {problem}"]) from None
    header = parsed.header
    mission = _mission_for(payload, header)
    external_id = _header_value(header, "external_id", required=True, limit=120)
    try:
        tz = zone(str(header.get("timezone") or "UTC"))
    except DateProblem as exc:
        raise PayloadRejected([f"header, timezone: {exc}"]) from None
    period_start, period_end = _period(header, tz)
    agreement_code = _header_value(header, "agreement", required=False, limit=60) or None

    try:
        with transaction.atomic():
            return _write(
                payload,
                parsed,
                mission,
                external_id,
                tz,
                period_start,
                period_end,
                agreement_code,
                header,
                progress,
            )
    except DuplicateContent as duplicate:
        result = {
            "report_id": duplicate.report.pk,
            "revision": duplicate.report.revision,
            "observations": duplicate.report.observations.count(),
            "duplicate": True,
        }
        InboundPayload.objects.filter(pk=payload.pk).update(
            state=State.DONE,
            report=duplicate.report,
            result=result,
            processed_at=timezone.now(),
            errors=[],
            last_error="",
        )
        return result


def _write(
    payload,
    parsed,
    mission,
    external_id,
    tz,
    period_start,
    period_end,
    agreement_code,
    header,
    progress,
) -> dict:
    # One ingest per mission at a time: corrections and the report chain stay in order.
    ObserverMission.objects.select_for_update().filter(pk=mission.pk).first()
    live = (
        Report.objects.filter(mission=mission, external_id=external_id)
        .exclude(status=ReportStatus.SUPERSEDED)
        .first()
    )
    draft = _admin_draft(payload)
    superseded = None
    title = _header_value(header, "title", required=False)
    summary = str(header.get("summary") or "")[:10_000]
    if (
        live is not None
        and live.payloads.filter(sha256=payload.sha256).exclude(pk=payload.pk).exists()
    ):
        raise DuplicateContent(live)  # the very same bytes again: answer with the first result
    named = _evidence_named(header, mission)
    relink: dict[int, int] = {}
    if draft is not None and live is not None and live.pk == draft.pk:
        report = draft
        relink = _evidence_positions(report)
        report.observations.all().delete()
    else:
        if live is not None and live.status in (ReportStatus.DRAFT, ReportStatus.SUBMITTED):
            raise PayloadRejected(
                [
                    f'header, external_id: report "{external_id}" is a {live.status} report in the '
                    "admin; submit or delete it there first"
                ]
            )
        if live is not None:
            _set_status(
                live, ReportStatus.SUPERSEDED, payload.sender, f"corrected by payload {payload.pk}"
            )
            superseded = live
        report = Report.objects.create(
            mission=mission,
            external_id=external_id,
            revision=(superseded.revision + 1) if superseded else 1,
            # Placeholders until the rows are read; they must satisfy the ordering constraint.
            period_start=period_start or period_end or timezone.now(),
            period_end=period_end or period_start or timezone.now(),
            status=ReportStatus.SUBMITTED,
            title=title,
            summary=summary,
            filed_by=payload.sender,
            filed_at=payload.received_at,
            channel=payload.channel,
            supersedes=superseded,
        )
        ReportStatusChange.objects.create(
            report=report,
            from_status="",
            to_status=ReportStatus.SUBMITTED,
            changed_by=payload.sender,
            note=f"payload {payload.pk}",
        )

    ctx = RowContext.load(
        mission=mission,
        agreement_code=agreement_code,
        tz=tz,
        date_format=str(header.get("date_format") or ""),
    )
    errors: list[str] = []
    error_total = 0
    batch: list[tuple] = []
    count = 0
    digest = hashlib.sha256(f"{mission.code}\n{external_id}\n".encode())
    _row_hash(digest, (title, summary, period_start, period_end))  # a corrected header is new
    earliest = latest = None
    try:
        for number, raw in parsed.rows:
            try:
                values = validate_row(raw, ctx)
            except RowError as exc:
                error_total += 1
                if len(errors) < MAX_LISTED_ERRORS:
                    errors.append(f"row {number}, {exc}")
                continue
            count += 1
            occurred = values[3]
            earliest = occurred if earliest is None or occurred < earliest else earliest
            latest = occurred if latest is None or occurred > latest else latest
            if errors:
                continue  # keep validating to list every problem, but write nothing more
            _row_hash(digest, values)
            batch.append((report.pk, count, *values))
            if len(batch) >= BATCH_SIZE:
                observations_write(batch)
                batch = []
                if progress:
                    progress(BATCH_SIZE)
    except PayloadProblem as problem:
        raise PayloadRejected([*errors, f"file: {problem}"], error_total + 1) from None
    if errors:
        raise PayloadRejected(errors, error_total)
    if count == 0:
        raise PayloadRejected(["file: the report has no observations"])
    observations_write(batch)

    content_sha = digest.hexdigest()
    # A half-open period is completed from the rows, never inverted.
    start = period_start or (min(earliest, period_end) if period_end else earliest)
    end = period_end or max(latest, start)
    if superseded is not None and superseded.content_sha256 == content_sha:
        raise DuplicateContent(superseded)  # same content, re-serialised: roll back, change nothing
    Report.objects.filter(pk=report.pk).update(
        content_sha256=content_sha,
        period_start=start,
        period_end=end,
    )
    if named:
        beyond = sorted(n for n in named.values() if n is not None and n > count)
        if beyond:
            raise PayloadRejected(
                [
                    f"header, evidence: observation {n} named, but the report has {count} "
                    "observation(s)"
                    for n in beyond
                ]
            )
        EvidenceFile.objects.filter(pk__in=named).update(report=report)
        relink.update({pk: n for pk, n in named.items() if n is not None})
    if relink:
        _evidence_relink(report, relink)
    _set_status(report, ReportStatus.ACCEPTED, payload.sender, f"payload {payload.pk}")
    ledger_append(report=report)
    result = {
        "report_id": report.pk,
        "revision": report.revision,
        "observations": count,
        "supersedes": superseded.pk if superseded else None,
        "clauses": sorted(ctx.clauses_touched),
    }
    InboundPayload.objects.filter(pk=payload.pk).update(
        state=State.DONE,
        report=report,
        result=result,
        processed_at=timezone.now(),
        errors=[],
        last_error="",
    )
    touched = set(ctx.clauses_touched)
    days = [earliest, latest]
    if superseded is not None:  # a correction may drop clauses the earlier report bore on
        earlier = superseded.observations.exclude(clause=None)
        touched |= set(earlier.values_list("clause_id", flat=True))
        span = earlier.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
        days += [span["first"], span["last"]]
    clause_ids = sorted(touched)
    days = [d.astimezone(dt.UTC).date() for d in days if d is not None]
    window = (min(days).isoformat(), max(days).isoformat())
    transaction.on_commit(lambda: _after_ingest(clause_ids, window))
    return result


def _evidence_named(header: dict, mission: ObserverMission) -> dict[int, int | None]:
    """The staged evidence files a report names in its ``evidence`` list, as
    {file id: position of the observation it backs, or None}; each must be a file uploaded to
    this mission's evidence and not yet part of a report. Locked until the ingest commits."""
    value = header.get("evidence")
    if value is None or value == []:
        return {}
    if not isinstance(value, list):
        raise PayloadRejected(['header, evidence: a list of {"id": …, "observation": …}'])
    named: dict[int, int | None] = {}
    errors: list[str] = []
    for number, item in enumerate(value, start=1):
        item = {"id": item} if _whole(item) else item
        if (
            not isinstance(item, dict)
            or not _whole(item.get("id"))
            or set(item)
            - {
                "id",
                "observation",
            }
        ):
            errors.append(
                f"header, evidence {number}: give the id of a file uploaded to "
                f"/api/v1/missions/{mission.code}/evidence/ and, optionally, the observation "
                "it backs"
            )
            continue
        observation = item.get("observation")
        if observation is not None and not (_whole(observation) and observation >= 1):
            errors.append(
                f"header, evidence {number}: observation is the position (1, 2, …) of an "
                "observation in this report"
            )
            continue
        named[item["id"]] = observation
    staged = set(
        EvidenceFile.objects.select_for_update()
        .filter(pk__in=named, mission=mission, report__isnull=True)
        .order_by("pk")  # not the model's ordering: it joins the (nullable) report
        .values_list("pk", flat=True)
    )
    errors += [
        f"header, evidence: file {pk} is not a staged evidence file of mission "
        f'"{mission.code}" (upload it there first; a file backs one report)'
        for pk in named
        if pk not in staged
    ]
    if errors:
        raise PayloadRejected(errors)
    return named


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _evidence_positions(draft: Report) -> dict[int, int]:
    """Evidence file id -> position of its observation, before the draft's rows are rewritten
    (report_as_json sends them in (sequence, id) order and they come back as 1, 2, ...)."""
    order = list(draft.observations.order_by("sequence", "id").values_list("pk", flat=True))
    position = {pk: number for number, pk in enumerate(order, start=1)}
    linked = draft.evidence_files.exclude(observation=None).values_list("pk", "observation_id")
    return {evidence: position[obs] for evidence, obs in linked if obs in position}


def _evidence_relink(report: Report, positions: dict[int, int]) -> None:
    by_sequence = dict(
        report.observations.filter(sequence__in=set(positions.values())).values_list(
            "sequence", "pk"
        )
    )
    for evidence_id, sequence in positions.items():
        EvidenceFile.objects.filter(pk=evidence_id).update(observation_id=by_sequence.get(sequence))


_bulk_load: contextvars.ContextVar[bool] = contextvars.ContextVar("bulk_load", default=False)


@contextlib.contextmanager
def bulk_load():
    """Skip the per-payload rule evaluation while loading many historical reports; the
    caller evaluates once at the end (the demo does)."""
    token = _bulk_load.set(True)
    try:
        yield
    finally:
        _bulk_load.reset(token)


def _after_ingest(clause_ids: list[int], window: tuple[str, str] | None = None) -> None:
    """Ask the rules engine (another app, by task name) to look at the touched clauses.

    The request is recorded here, in this process (a row write: the engine coalesces the
    requests per agreement and rings its own doorbell), so a burst of reports does not leave
    hundreds of evaluation tasks queued.
    """
    from celery import current_app as app  # config.celery's app: reports sits below config

    if _bulk_load.get() or not clause_ids or "monitor.request_evaluation" not in app.tasks:
        return
    try:
        app.tasks["monitor.request_evaluation"](clause_ids, *(window or ()))
    except Exception:
        logger.warning(
            "could not request rule evaluation; the periodic run will cover it", exc_info=True
        )


# --- operations ---------------------------------------------------------------------------


def payloads_requeue(*, older_than: dt.timedelta | None = None) -> int:
    """Re-ring for payloads never picked up, or whose claim expired (the worker died)."""
    older_than = older_than or dt.timedelta(seconds=settings.INGEST_REQUEUE_AFTER)
    now = timezone.now()
    stale = InboundPayload.objects.filter(
        Q(state=State.RECEIVED, received_at__lt=now - older_than) | claim_lapsed(now)
    ).values_list("pk", flat=True)[:1000]
    broker_rest_forget()  # the sweep is how a broker's return is noticed
    rung = 0
    for payload_id in stale:
        if broker_resting():
            break  # the broker failed: the next sweep tries again, not a thousand times now
        payload_enqueue(payload_id=payload_id)
        rung += 1
    return rung


def payload_replay(*, payload: InboundPayload) -> InboundPayload:
    """Put a quarantined or rejected payload back in the queue, attempts reset."""
    if payload.state not in (State.QUARANTINED, State.REJECTED):
        raise ValueError(
            f"Only quarantined or rejected payloads are replayed, not {payload.state}."
        )
    InboundPayload.objects.filter(pk=payload.pk).update(
        state=State.RECEIVED,
        attempts=0,
        crashes=0,
        claimed_at=None,
        claimed_by="",
        lease_expires_at=None,
        errors=[],
        processed_at=None,
    )
    transaction.on_commit(lambda: payload_enqueue(payload_id=payload.pk))
    payload.refresh_from_db()
    return payload
