"""A dry run of an import: the file read by the same parser and every row checked by the same
validation as the ingest, storing nothing; what would be stored is shown by name.

The rows are counted as they stream past (Counters keyed by ids, names looked up once at the
end), so a preview costs a handful of queries whatever the file's length.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from agreements.models import Area, Clause, Party
from reports.ingest.errors import PayloadRejected
from reports.ingest.header import ReportHeader, header_read
from reports.ingest.observations import MAX_LISTED_ERRORS, row_context
from reports.ingest.rows import RowContext, RowError, ValidRow, validate_row
from reports.models import InboundPayload, Observation, ObserverMission, Report, ReportStatus
from reports.parsers import ParsedPayload, PayloadProblem, get_parser
from reports.parsers.base import RawRow
from reports.profiles.spec import ProfileProblem

SAMPLE_MAX = 200
# Figures with free-text values (unknown actors, admin areas) list this many, the rest summed.
LISTED_VALUES = 100
CONVERSIONS_MAX = 12
PROGRESS_EVERY = 1000
FLAGS = {
    "outside_period": "outside the clause's period",
    "outside_area": "outside the clause's areas",
    "place_mismatch": "coordinates in another admin area than the one named",
}
KIND_LABELS = dict(Observation.Kind.choices)


@dataclass(frozen=True)
class Problem:
    """One row's problem, as the ingest would list it."""

    label: str  # "sheet Inspections, row 12", or "row 12", or "file" / "header"
    field: str
    message: str
    row: int | None = None
    sheet: str = ""

    @property
    def text(self) -> str:
        if self.field == "row":  # a problem of the whole row, as the ingest words it
            return f"{self.label}: {self.message}"
        return f"{self.label}, {self.field}: {self.message}" if self.field else self.message

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "row": self.row,
            "sheet": self.sheet,
            "field": self.field,
            "message": self.message,
            "text": self.text,
        }


@dataclass
class Preview:
    """What an import would do: its outcome, totals, first rows, problems and figures."""

    format: str
    mission: str
    profile: str = ""
    sheet: str = ""
    # File or header problems that stop the import before its rows are counted.
    refusal: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows_read: int = 0
    valid: int = 0
    with_problems: int = 0
    blank_skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    columns: list[dict[str, Any]] = field(default_factory=list)
    conversions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """The ingest would accept the file: no refusal and no row with a problem."""
        return not self.refusal and not self.with_problems

    @property
    def would_store(self) -> int:
        """Observations stored on confirming: all valid rows, or none when any row fails."""
        return self.valid if self.accepted else 0

    @property
    def outcome(self) -> str:
        if self.refusal:
            return "would be rejected: " + self.refusal[0]
        if self.with_problems:
            return (
                f"would be rejected: {self.with_problems:,} row(s) with problems; nothing is "
                "stored until every one is fixed"
            )
        return f"would be accepted: {self.valid:,} observation(s) stored"

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "mission": self.mission,
            "profile": self.profile,
            "sheet": self.sheet,
            "accepted": self.accepted,
            "outcome": self.outcome,
            "refusal": list(self.refusal),
            "notes": list(self.notes),
            "totals": {
                "rows_read": self.rows_read,
                "valid": self.valid,
                "with_problems": self.with_problems,
                "blank_skipped": self.blank_skipped,
                "would_store": self.would_store,
            },
            "problems": [p.as_dict() for p in self.problems],
            "problems_listed": len(self.problems),
            "sample": self.sample,
            "figures": self.figures,
            "columns": self.columns,
            "conversions": self.conversions,
        }


def constants_parse(values: Iterable[str] | dict[str, Any]) -> dict[str, Any]:
    """``--set``/``set`` constants: FIELD=VALUE texts, or a mapping (a JSON object); a
    ProfileProblem saying how to write one that is neither. The profile checks the fields."""
    if isinstance(values, dict):
        return {str(k).strip(): v for k, v in values.items()}
    constants: dict[str, Any] = {}
    for pair in values:
        name, sep, value = str(pair).partition("=")
        if not sep or not name.strip():
            raise ProfileProblem(f'set "{pair[:60]}": write FIELD=VALUE, e.g. kind=violation')
        constants[name.strip()] = value.strip()
    return constants


def preview_file(
    *,
    body: bytes,
    format: str,
    params: dict[str, Any],
    mission: ObserverMission,
    sample: int = 20,
    progress: Callable[[int], object] | None = None,
    sender=None,
) -> Preview:
    """Read ``body`` as the ingest would with ``params`` (as stored, after profile_params) for
    ``mission``, checking every row, and store nothing."""
    spec = params.get("profile_spec") or {}
    preview = Preview(
        format=format,
        mission=mission.code,
        profile=str(params.get("profile") or spec.get("name") or ""),
    )
    if len(body) > settings.INGEST_MAX_BODY_BYTES:
        preview.refusal.append(
            f"file: the body is {len(body):,} bytes; the limit is "
            f"{settings.INGEST_MAX_BODY_BYTES:,} (INGEST_MAX_BODY_BYTES)"
        )
        return preview
    payload = InboundPayload(
        format=format, params=params, mission=mission, sender=sender, size=len(body)
    )
    try:
        parsed = get_parser(format)(body, dict(params))
        preview.sheet = parsed.sheet
        header = header_read(payload=payload, header=parsed.header)
        preview.notes.extend(_report_notes(header, preview.refusal))
        _Counting(preview, parsed, header, max(0, min(sample, SAMPLE_MAX)), progress).run()
        if any(
            p.field == "clause" and "must name the clause" in p.message for p in preview.problems
        ):
            preview.notes.append(CLAUSE_HINT)
    except PayloadProblem as problem:
        preview.refusal.append(f"file: {problem}")
    except PayloadRejected as rejected:
        preview.refusal.extend(rejected.errors)
    return preview


# Where to say it once when a file's rows do not name their clause (it is one for all).
CLAUSE_HINT = (
    "Rows that must name a clause do not. When one clause holds for the whole file, give it "
    'once: on the import page, "Adjust the columns" then "The same for every row": Clause; '
    "on the command line, --set clause=REF; in a profile, set: {clause: REF}."
)


def _report_notes(header: ReportHeader, refusal: list[str]) -> list[str]:
    """What confirming would do to a report already filed under this external id."""
    live = (
        Report.objects.filter(mission=header.mission, external_id=header.external_id)
        .exclude(status=ReportStatus.SUPERSEDED)
        .only("pk", "status", "revision")
        .first()
    )
    if live is None:
        return []
    if live.status in (ReportStatus.DRAFT, ReportStatus.SUBMITTED):
        refusal.append(
            f'header, external_id: report "{header.external_id}" is a {live.status} report '
            "in the admin; submit or delete it there first"
        )
        return []
    return [
        f'report "{header.external_id}" is already filed (revision {live.revision}): '
        "confirming files a correction of it, or changes nothing if the content is the same"
    ]


class _Counting:
    """One pass over the rows: validate each, keep the first few, count the rest."""

    def __init__(
        self,
        preview: Preview,
        parsed: ParsedPayload,
        header: ReportHeader,
        sample: int,
        progress: Callable[[int], object] | None,
    ):
        self.preview, self.parsed, self.sample, self.progress = preview, parsed, sample, progress
        self.ctx: RowContext = row_context(header)
        self.kept: list[tuple[int, object, ValidRow]] = []
        self.kinds: Counter[str] = Counter()
        self.clauses: Counter[int | None] = Counter()
        self.parties: Counter[int | None] = Counter()
        self.actors: Counter[str] = Counter()
        self.months: Counter[tuple[int, int]] = Counter()
        self.areas: Counter[tuple[int | None, str]] = Counter()
        self.flags: Counter[str] = Counter()
        self.conversions: dict[tuple[object, ...], tuple[int, object, ValidRow]] = {}
        self.fields_seen: set[str] = set()
        self.attributes_seen: set[str] = set()
        self.columns = _parsed_columns(parsed)

    def run(self) -> None:
        preview, previous = self.preview, None
        try:
            for number, raw in self.parsed.rows:
                preview.rows_read += 1
                if previous is not None and number > previous + 1:
                    preview.blank_skipped += number - previous - 1
                previous = number
                if self.progress and preview.rows_read % PROGRESS_EVERY == 0:
                    self.progress(PROGRESS_EVERY)
                if self.columns is None:
                    self._seen(raw)
                try:
                    values = validate_row(raw, self.ctx)
                except RowError as exc:
                    self._problem(number, exc)
                    continue
                self._count(number, raw, values)
        except PayloadProblem as problem:
            preview.refusal.append(f"file: {problem}")
        if self.progress:
            self.progress(preview.rows_read % PROGRESS_EVERY)
        if not preview.refusal and not preview.rows_read:
            preview.refusal.append("file: the report has no observations")
        self._finish()

    def _seen(self, raw: RawRow) -> None:
        self.fields_seen.update(k for k in raw if k not in ("attributes", "__error__"))
        attributes = raw.get("attributes")
        if isinstance(attributes, dict):
            self.attributes_seen.update(map(str, attributes))

    def _problem(self, number: int, exc: RowError) -> None:
        preview = self.preview
        preview.with_problems += 1
        if len(preview.problems) < MAX_LISTED_ERRORS:
            message = str(exc).removeprefix(f"{exc.field}: ")
            label = self.parsed.row_label(number)
            preview.problems.append(
                Problem(label, exc.field, message, row=number, sheet=self.parsed.sheet)
            )

    def _count(self, number: int, raw: RawRow, values: ValidRow) -> None:
        self.preview.valid += 1
        if len(self.kept) < self.sample:
            self.kept.append((number, raw.get("occurred_at"), values))
        self.kinds[values.kind] += 1
        self.clauses[values.clause_id] += 1
        if values.party_id is None and values.actor:
            self.actors[values.actor] += 1
        else:
            self.parties[values.party_id] += 1
        day = values.occurred_on
        self.months[(day.year, day.month)] += 1
        self.areas[(values.area_id, values.admin_area)] += 1
        for flag in FLAGS:
            if getattr(values, flag):
                self.flags[flag] += 1
        if len(self.conversions) < CONVERSIONS_MAX:
            zone = self._zone(values)
            offset = None if values.date_only else values.occurred_at.astimezone(zone).utcoffset()
            key = (zone, values.date_only, offset)
            self.conversions.setdefault(key, (number, raw.get("occurred_at"), values))

    def _zone(self, values: ValidRow) -> dt.tzinfo:
        return self.ctx.clause_zones.get(values.clause_id or 0, self.ctx.mission_zone)

    def _finish(self) -> None:
        preview = self.preview
        names = _Names.load(
            clauses={*self.clauses, *(v.clause_id for _, _, v in self.kept)},
            parties={*self.parties, *(v.party_id for _, _, v in self.kept)},
            areas={a for a, _ in self.areas} | {v.area_id for _, _, v in self.kept},
        )
        preview.sample = [self._row(n, raw, v, names) for n, raw, v in self.kept]
        preview.conversions = [
            self._conversion(n, raw, v) for n, raw, v in self.conversions.values()
        ]
        preview.figures = {
            "kind": _ranked((KIND_LABELS.get(k, k), c) for k, c in self.kinds.items()),
            "clause": _ranked((names.clause(k), c) for k, c in self.clauses.items()),
            "party": self._parties(names),
            "month": [
                {"label": f"{year:04d}-{month:02d}", "count": count}
                for (year, month), count in sorted(self.months.items())
            ],
            "admin_area": _ranked(
                (names.area(area_id, text), c) for (area_id, text), c in self.areas.items()
            ),
            "flags": [
                {"label": FLAGS[flag], "flag": flag, "count": self.flags[flag]} for flag in FLAGS
            ],
        }
        preview.columns = self.columns if self.columns is not None else self._derived_columns()

    def _parties(self, names: "_Names") -> list[dict[str, Any]]:
        known = _ranked(
            (names.party(k) if k is not None else "unattributed", c)
            for k, c in self.parties.items()
        )
        unknown: list[dict[str, Any]] = [
            {"label": actor, "count": count, "unknown_actor": True}
            for actor, count in sorted(self.actors.items(), key=lambda i: (-i[1], i[0]))
        ]
        if len(unknown) > LISTED_VALUES:
            rest = unknown[LISTED_VALUES:]
            unknown = unknown[:LISTED_VALUES] + [
                {
                    "label": f"{len(rest):,} other unknown actors",
                    "count": sum(r["count"] for r in rest),
                    "unknown_actor": True,
                }
            ]
        return known + unknown

    def _derived_columns(self) -> list[dict[str, Any]]:
        """Without the parser's column list: the fields and attributes the rows held, each
        field with the header the profile reads it from."""
        spec = self.parsed.header.get("profile_spec") or {}
        headers: dict[str, str] = {}
        for header, target in (spec.get("columns") or {}).items():
            headers.setdefault(str(target), str(header))
        return [
            {"header": headers.get(name), "tag": None, "field": name, "kept_as": "field"}
            for name in sorted(self.fields_seen)
        ] + [
            {"header": name, "tag": None, "field": f"attributes.{name}", "kept_as": "attribute"}
            for name in sorted(self.attributes_seen)
        ]

    def _conversion(self, number: int, raw: object, values: ValidRow) -> dict[str, Any]:
        zone = self._zone(values)
        utc, local = values.occurred_at.astimezone(dt.UTC), values.occurred_at.astimezone(zone)
        return {
            "label": self.parsed.row_label(number),
            "raw": _raw_text(raw),
            "occurred_at_utc": utc.isoformat(),
            "occurred_at_local": local.isoformat(),
            "zone": str(zone),
            "occurred_on": values.occurred_on.isoformat(),
            "date_only": values.date_only,
            # As a person reads it: "2025-03-01 09:30 EET = 07:30 UTC".
            "stored": f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
            + ("" if local.utcoffset() == dt.timedelta(0) else f" = {utc:%H:%M} UTC"),
        }

    def _row(self, number: int, raw: object, values: ValidRow, names: "_Names") -> dict[str, Any]:
        party = names.party(values.party_id) if values.party_id is not None else ""
        return {
            **self._conversion(number, raw, values),
            "row": number,
            "kind": KIND_LABELS.get(values.kind, values.kind),
            "clause": names.clause(values.clause_id) if values.clause_id else "",
            "party": party,
            "actor": values.actor,
            "unknown_actor": bool(values.actor and values.party_id is None),
            "quantity": values.quantity,
            "amount": _decimal(values.amount),
            "unit": values.unit,
            "place_name": values.place_name,
            "admin_area": values.admin_area,
            "area": names.area(values.area_id, "") if values.area_id else "",
            "latitude": values.latitude,
            "longitude": values.longitude,
            "to_place_name": values.to_place_name,
            "to_latitude": values.to_latitude,
            "to_longitude": values.to_longitude,
            "severity": values.severity,
            "verification_status": values.verification_status,
            "source": values.source,
            "grade": f"{values.source_reliability}{values.information_credibility}",
            "description": values.description[:300],
            "attributes": values.attributes,
            "flags": [FLAGS[flag] for flag in FLAGS if getattr(values, flag)],
            "notes": [n for n in (values.scope_note, values.place_note) if n],
        }


@dataclass
class _Names:
    """Names of the clauses, parties and areas a preview shows, in three queries."""

    clauses: dict[int, str]
    parties: dict[int, str]
    areas: dict[int, str]

    @classmethod
    def load(cls, *, clauses: set, parties: set, areas: set) -> "_Names":
        rows = Clause.objects.filter(pk__in=clauses - {None}).values_list(
            "pk", "agreement__code", "reference", "title"
        )
        return cls(
            clauses={pk: f"{code} clause {ref}: {title}" for pk, code, ref, title in rows},
            parties=dict(Party.objects.filter(pk__in=parties - {None}).values_list("pk", "name")),
            areas=dict(Area.objects.filter(pk__in=areas - {None}).values_list("pk", "name")),
        )

    def clause(self, pk: int | None) -> str:
        return "no clause" if pk is None else self.clauses.get(pk, f"clause {pk}")

    def party(self, pk: int | None) -> str:
        return "unattributed" if pk is None else self.parties.get(pk, f"party {pk}")

    def area(self, pk: int | None, text: str) -> str:
        if pk is not None:
            return self.areas.get(pk, text or f"area {pk}")
        return text or "not given"


def _ranked(items: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
    """Labels with their counts, largest first; past LISTED_VALUES the rest are summed."""
    merged: Counter[str] = Counter()
    for label, count in items:
        merged[label] += count
    ranked = sorted(merged.items(), key=lambda item: (-item[1], item[0]))
    out = [{"label": label, "count": count} for label, count in ranked[:LISTED_VALUES]]
    if rest := ranked[LISTED_VALUES:]:
        out.append({"label": f"{len(rest):,} others", "count": sum(c for _, c in rest)})
    return out


def _parsed_columns(parsed: ParsedPayload) -> list[dict[str, Any]] | None:
    """The parser's column list (header, HXL tag, field), when it gives one."""
    columns = getattr(parsed, "columns", None)
    if columns is None:
        return None
    out = []
    for column in columns:
        if isinstance(column, dict):
            header, tag, target = column.get("header"), column.get("tag"), column.get("field")
        elif isinstance(column, tuple | list):
            header, tag, target = (list(column) + [None, None, None])[:3]
        else:  # an object: header, tag (or written_tag), field (or target)
            header = getattr(column, "header", None)
            tag = getattr(column, "written_tag", None) or getattr(column, "tag", None)
            target = getattr(column, "field", None) or getattr(column, "target", None)
        kept_as = (
            "ignored"
            if not target
            else "attribute"
            if str(target).startswith("attributes.")
            else "field"
        )
        out.append({"header": header, "tag": tag or None, "field": target, "kept_as": kept_as})
    return out


def _raw_text(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return "" if value is None else str(value)


def _decimal(value: Decimal | None) -> str | None:
    # As a person writes it: 12.5, not the column's 12.500000.
    return None if value is None else format(value.normalize(), "f")
