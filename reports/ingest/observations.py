"""The rows of a report: validated against the mission's context, hashed and written in
batches, all or nothing."""

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reports.ingest.errors import PayloadRejected
from reports.ingest.header import ReportHeader
from reports.ingest.rows import (
    CONTENT_FIELDS,
    EXTRA_CONTENT,
    RowContext,
    RowError,
    validate_row,
)
from reports.ingest.writer import observations_write
from reports.models import Report
from reports.parsers import PayloadProblem
from reports.parsers.base import RawRow

MAX_LISTED_ERRORS = 200
BATCH_SIZE = 5000


@dataclass(frozen=True)
class ObservationsStored:
    """What the rows came to: how many, the span of their times and of their calendar days,
    the content's sha256 and the clauses they bear on."""

    count: int
    earliest: dt.datetime
    latest: dt.datetime
    first_day: dt.date
    last_day: dt.date
    content_sha256: str
    clause_ids: frozenset[int]


def observations_store(
    *,
    report: Report,
    header: ReportHeader,
    rows: Iterable[tuple[int, RawRow]],
    progress: Callable[[int], object] | None = None,
    row_label: Callable[[int], str] = "row {}".format,
) -> ObservationsStored:
    """Validate every row and write them to ``report``; PayloadRejected lists every problem
    (writing stops at the first one, validation goes on), the caller's transaction rolls
    back what was written. ``row_label`` names a row in messages ("sheet X, row 12")."""
    ctx = row_context(header)
    errors: list[str] = []
    error_total = 0
    batch: list[tuple[object, ...]] = []
    count = 0
    digest = hashlib.sha256(f"{header.mission.code}\n{header.external_id}\n".encode())
    # A corrected header is new content.
    _row_hash(digest, (header.title, header.summary, header.period_start, header.period_end))
    earliest: dt.datetime | None = None
    latest: dt.datetime | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    try:
        for number, raw in rows:
            try:
                values = validate_row(raw, ctx)
            except RowError as exc:
                error_total += 1
                if len(errors) < MAX_LISTED_ERRORS:
                    errors.append(row_problem(row_label(number), exc))
                continue
            count += 1
            occurred = values.occurred_at
            earliest = occurred if earliest is None or occurred < earliest else earliest
            latest = occurred if latest is None or occurred > latest else latest
            day = values.occurred_on
            first_day = day if first_day is None or day < first_day else first_day
            last_day = day if last_day is None or day > last_day else last_day
            if errors:
                continue  # keep validating to list every problem, but write nothing more
            extra: tuple[object, ...] = tuple(values)[EXTRA_CONTENT]
            content: tuple[object, ...] = tuple(values)[:CONTENT_FIELDS]
            _row_hash(
                digest, content + extra if any(v not in (None, "") for v in extra) else content
            )
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
    if earliest is None or latest is None or first_day is None or last_day is None:
        raise PayloadRejected(["file: the report has no observations"])
    observations_write(batch)
    return ObservationsStored(
        count=count,
        earliest=earliest,
        latest=latest,
        first_day=first_day,
        last_day=last_day,
        content_sha256=digest.hexdigest(),
        clause_ids=frozenset(ctx.clauses_touched),
    )


def row_problem(label: str, error: RowError) -> str:
    """``row 12, occurred_at: ...``; a problem of the whole row reads ``row 12: ...``."""
    if error.field == "row":
        return f"{label}: {str(error).removeprefix('row: ')}"
    return f"{label}, {error}"


def row_context(header: ReportHeader) -> RowContext:
    """The context the rows of a payload with ``header`` are checked in (the ingest and its
    preview, reports.ingest.preview, share it)."""
    return RowContext.load(
        mission=header.mission,
        agreement_code=header.agreement_code,
        tz=header.timezone,
        date_format=header.date_format,
        unknown_parties=header.unknown_parties,
        date_only=header.date_only,
        serial_dates=header.serial_dates,
        wall_time=header.wall_time,
    )


def _hashable(value: object) -> str:
    # One instant, one text: the same time written with another offset is the same content.
    return value.astimezone(dt.UTC).isoformat() if isinstance(value, dt.datetime) else str(value)


def _row_hash(digest: "hashlib._Hash", row: tuple[object, ...]) -> None:
    digest.update(json.dumps(row, default=_hashable, sort_keys=True).encode())
