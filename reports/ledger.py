"""The tamper-evident ledger: each mission's accepted reports, chained by sha256.

``ledger_hash = sha256(canonical_bytes(report) + prev_hash)``, where ``prev_hash`` is the
hash of the mission's previous link ("" for the first). docs/ledger.md describes the bytes so
anyone can recompute a chain without this code. Links are appended once, when a report is
accepted, and never rewritten: a correction is a new link that names the superseded one.

The functions take the report's own model class and related managers, so the data migration
can run them with historical models.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone

FORMAT = "accord-ledger/1"
GENESIS = ""
CHUNK_SIZE = 5000
ACCEPTED_STATES = ("accepted", "superseded")  # superseded reports were accepted first

# Each observation as (key, database path); sorted by key so the JSON object needs no sorting.
OBSERVATION_FIELDS = sorted(
    [
        ("admin_area", "admin_area"),
        ("agreement", "clause__agreement__code"),
        ("area", "area__code"),
        ("attributes", "attributes"),
        ("clause", "clause__reference"),
        ("description", "description"),
        ("evidence_urls", "evidence_urls"),
        ("information_credibility", "information_credibility"),
        ("kind", "kind"),
        ("latitude", "latitude"),
        ("longitude", "longitude"),
        ("occurred_at", "occurred_at"),
        ("party", "party__code"),
        ("place_name", "place_name"),
        ("quantity", "quantity"),
        ("sequence", "sequence"),
        ("severity", "severity"),
        ("source", "source"),
        ("source_reliability", "source_reliability"),
        ("verification_status", "verification_status"),
    ]
)
# Fields added later (issue 15: amounts, destinations, the actor as named): in the object only
# when set, so every report accepted before they existed keeps its hash.
OPTIONAL_OBSERVATION_FIELDS = [
    ("actor", "actor"),
    ("amount", "amount"),
    ("to_latitude", "to_latitude"),
    ("to_longitude", "to_longitude"),
    ("to_place_name", "to_place_name"),
    ("unit", "unit"),
]
_OPTIONAL_KEYS = frozenset(key for key, _ in OPTIONAL_OBSERVATION_FIELDS)
_OBSERVATION_KEYS = sorted(
    [key for key, _ in OBSERVATION_FIELDS] + [key for key, _ in OPTIONAL_OBSERVATION_FIELDS]
)
_PATHS = dict(OBSERVATION_FIELDS + OPTIONAL_OBSERVATION_FIELDS)
_OBSERVATION_PATHS = [_PATHS[key] for key in _OBSERVATION_KEYS]


def _plain(value):
    """The one text every consumer can agree on for values JSON leaves open."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same double
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _dump(value) -> bytes:
    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def _file_sha256(field_file) -> str:
    digest = hashlib.sha256()
    try:
        with field_file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
    except (FileNotFoundError, OSError):
        return "missing"
    return digest.hexdigest()


def _evidence(report, *, from_disk: bool) -> list[dict]:
    rows = []
    for evidence in report.evidence_files.all().select_related("observation").order_by("id"):
        rows.append(
            {
                "content_type": evidence.content_type,
                "name": evidence.original_name,
                "observation": evidence.observation.sequence if evidence.observation else None,
                "sha256": _file_sha256(evidence.file) if from_disk else evidence.sha256,
                "size": evidence.size,
            }
        )
    return sorted(rows, key=lambda row: (row["sha256"], row["name"], row["size"]))


def report_fields(report, *, evidence_from_disk: bool = False) -> dict:
    """Everything of the report that is hashed, except its observations."""
    supersedes = report.supersedes
    return {
        "channel": report.channel,
        "evidence": _evidence(report, from_disk=evidence_from_disk),
        "external_id": report.external_id,
        "filed_at": report.filed_at,
        "filed_by": report.filed_by.username if report.filed_by_id else None,
        "format": FORMAT,
        "mission": report.mission.code,
        "period_end": report.period_end,
        "period_start": report.period_start,
        "revision": report.revision,
        "summary": report.summary,
        "supersedes": supersedes.ledger_hash if supersedes is not None else None,
        "title": report.title,
    }


_text = json.encoder.encode_basestring  # JSON string, non-ASCII kept: as ensure_ascii=False


def _time_text(value: dt.datetime) -> str:
    value = value.astimezone(dt.UTC)
    return (
        f'"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:'
        f'{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}Z"'
    )


def _scalar_text(value) -> str:
    """One value as ``_dump`` writes it, without its general machinery: this runs per cell."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _text(repr(value))
    if isinstance(value, dt.datetime):
        return _time_text(value)
    if not value:  # the usual empty attributes / evidence_urls
        return "{}" if isinstance(value, dict) else "[]"
    return _dump(value).decode("utf-8")


def _nullable(write):
    return lambda value: "null" if value is None else write(value)


# Per column, the writer for the type the database returns there (no per-cell type tests:
# this runs for every cell of every accepted report). JSON columns take the general path.
_COLUMN_WRITERS = {
    "attributes": _scalar_text,
    "evidence_urls": _scalar_text,
    "occurred_at": _nullable(_time_text),
    "latitude": _nullable(lambda value: _text(repr(float(value)))),
    "longitude": _nullable(lambda value: _text(repr(float(value)))),
    "to_latitude": _nullable(lambda value: _text(repr(float(value)))),
    "to_longitude": _nullable(lambda value: _text(repr(float(value)))),
    "amount": _nullable(lambda value: _text(str(value))),
    "information_credibility": _nullable(str),
    "quantity": _nullable(str),
    "sequence": _nullable(str),
    "severity": _nullable(str),
}
_OBSERVATION_COLUMNS = [
    (_text(key) + ":", _COLUMN_WRITERS.get(key, _nullable(_text)), key in _OPTIONAL_KEYS)
    for key in _OBSERVATION_KEYS
]


def observation_json(row: tuple) -> bytes:
    """One observation row (values in the sorted order of OBSERVATION_FIELDS and
    OPTIONAL_OBSERVATION_FIELDS) as canonical JSON; an optional field that is not set
    (null or "") is left out."""
    parts = [
        prefix + write(value)
        for (prefix, write, optional), value in zip(_OBSERVATION_COLUMNS, row, strict=True)
        if not (optional and (value is None or value == ""))
    ]
    return ("{" + ",".join(parts) + "}").encode("utf-8")


def _observation_rows(report) -> Iterator[tuple]:
    rows = report.observations.order_by("sequence", "id").values_list(*_OBSERVATION_PATHS)
    return rows.iterator(chunk_size=CHUNK_SIZE)


def canonical_chunks(report, *, evidence_from_disk: bool = False) -> Iterator[bytes]:
    """The canonical bytes in pieces; observations are streamed, never held all at once.

    Joined, the pieces equal ``json.dumps(document, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` of the report fields plus ``"observations": [...]``.
    """
    fields = report_fields(report, evidence_from_disk=evidence_from_disk)
    fields["observations"] = None
    yield b"{"
    for position, key in enumerate(sorted(fields)):
        yield (b"," if position else b"") + _dump(key) + b":"
        if key != "observations":
            yield _dump(fields[key])
            continue
        yield b"["
        for number, row in enumerate(_observation_rows(report)):
            yield (b"," if number else b"") + observation_json(row)
        yield b"]"
    yield b"}"


def canonical_bytes(report, *, evidence_from_disk: bool = False) -> bytes:
    return b"".join(canonical_chunks(report, evidence_from_disk=evidence_from_disk))


def link_hash(report, prev_hash: str, *, evidence_from_disk: bool = False) -> str:
    digest = hashlib.sha256()
    for chunk in canonical_chunks(report, evidence_from_disk=evidence_from_disk):
        digest.update(chunk)
    digest.update(prev_hash.encode("ascii"))
    return digest.hexdigest()


@transaction.atomic
def ledger_append(*, report) -> None:
    """Chain a report that has just been accepted onto its mission's ledger.

    The mission row is locked first, so two acceptances for one mission queue up instead of
    both taking the same sequence number; (mission, ledger_seq) is unique besides.
    """
    Report = type(report)
    Mission = Report._meta.get_field("mission").related_model
    Mission.objects.select_for_update().filter(pk=report.mission_id).first()
    current = Report.objects.filter(pk=report.pk).values_list("ledger_seq", flat=True).get()
    if current is not None:
        return  # already chained: links are never rewritten
    last = (
        Report.objects.filter(mission_id=report.mission_id, ledger_seq__isnull=False)
        .order_by("-ledger_seq")
        .values_list("ledger_seq", "ledger_hash")
        .first()
    )
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    fresh = Report.objects.select_related("mission", "filed_by", "supersedes").get(pk=report.pk)
    values = {
        "ledger_seq": seq,
        "ledger_prev_hash": prev_hash,
        "ledger_hash": link_hash(fresh, prev_hash),
        "ledger_at": timezone.now(),
    }
    Report.objects.filter(pk=report.pk).update(**values)
    for name, value in values.items():
        setattr(report, name, value)


def ledger_backfill(*, report_model, status_change_model=None, mission_ids=None) -> int:
    """Chain accepted (or since superseded) reports that are not in the ledger yet, oldest
    acceptance first; for databases from before the ledger and for bulk-loaded data."""
    pending = report_model.objects.filter(status__in=ACCEPTED_STATES, ledger_seq__isnull=True)
    if mission_ids is not None:
        pending = pending.filter(mission_id__in=mission_ids)
    if status_change_model is not None:
        accepted_at = status_change_model.objects.filter(
            report=models.OuterRef("pk"), to_status="accepted"
        ).order_by("changed_at", "id")
        pending = pending.annotate(
            accepted_at=models.Subquery(accepted_at.values("changed_at")[:1])
        )
        order = [models.F("accepted_at").asc(nulls_first=True), "filed_at", "id"]
    else:
        order = ["filed_at", "id"]
    count = 0
    for report in pending.order_by(*order).iterator(chunk_size=500):
        ledger_append(report=report)
        count += 1
    return count


@dataclass
class LedgerProblem:
    mission: str
    external_id: str
    revision: int
    report_id: int
    seq: int | None
    broken: str  # "content": the report changed; "link": the chain around it changed
    expected: str
    stored: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.mission}: report {self.external_id} r{self.revision} (id {self.report_id}, "
            f"seq {self.seq}) - {self.broken} broken: {self.message}; "
            f"expected {self.expected or '-'}, stored {self.stored or '-'}"
        )


@dataclass
class ChainResult:
    mission: str
    links: int
    problem: LedgerProblem | None


def _problem(report, broken: str, expected, stored, message: str) -> LedgerProblem:
    return LedgerProblem(
        mission=report.mission.code,
        external_id=report.external_id,
        revision=report.revision,
        report_id=report.pk,
        seq=report.ledger_seq,
        broken=broken,
        expected=expected or "",
        stored=stored or "",
        message=message,
    )


def mission_chain_verify(*, mission) -> ChainResult:
    """Recompute one mission's chain; stop at the first report that does not match."""
    from reports.models import Report

    links = Report.objects.filter(mission=mission, ledger_seq__isnull=False).select_related(
        "mission", "filed_by", "supersedes"
    )
    prev_hash = GENESIS
    count = 0
    for report in links.order_by("ledger_seq").iterator(chunk_size=200):
        count += 1
        if report.ledger_seq != count:
            return ChainResult(
                mission.code,
                count - 1,
                _problem(
                    report,
                    "link",
                    str(count),
                    str(report.ledger_seq),
                    f"link {count} is missing before it (a report was removed from the chain)",
                ),
            )
        if report.ledger_prev_hash != prev_hash:
            return ChainResult(
                mission.code,
                count - 1,
                _problem(
                    report,
                    "link",
                    prev_hash,
                    report.ledger_prev_hash,
                    "it does not point at the previous link's hash",
                ),
            )
        expected = link_hash(report, report.ledger_prev_hash, evidence_from_disk=True)
        if expected != report.ledger_hash:
            return ChainResult(
                mission.code,
                count - 1,
                _problem(
                    report,
                    "content",
                    expected,
                    report.ledger_hash,
                    "its content (fields, observations or evidence files) changed since it "
                    "was accepted",
                ),
            )
        prev_hash = report.ledger_hash
    unchained = (
        Report.objects.filter(mission=mission, status__in=ACCEPTED_STATES, ledger_seq__isnull=True)
        .select_related("mission")
        .order_by("id")
        .first()
    )
    if unchained is not None:
        return ChainResult(
            mission.code,
            count,
            _problem(
                unchained,
                "link",
                "a ledger entry",
                "none",
                f"it is {unchained.status} but not in the ledger",
            ),
        )
    return ChainResult(mission.code, count, None)


def ledger_chains(*, mission=None) -> list[ChainResult]:
    """Verify every mission's chain, or one mission's (an ObserverMission or its code)."""
    from reports.models import ObserverMission

    missions = ObserverMission.objects.order_by("code")
    if isinstance(mission, str):
        missions = missions.filter(code=mission)
    elif mission is not None:
        missions = missions.filter(pk=mission.pk)
    return [mission_chain_verify(mission=m) for m in missions]


def ledger_verify(mission=None) -> list[LedgerProblem]:
    """Every mission's first mismatch (empty when all chains verify); ``mission`` is an
    ObserverMission or its code, or None for all."""
    return [r.problem for r in ledger_chains(mission=mission) if r.problem is not None]
