import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from reports.api.views import EXTENSION_FORMATS
from reports.ingest.preview import Preview, constants_parse, preview_file
from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.models import Channel, InboundPayload, ObserverMission
from reports.parsers import PARSERS
from reports.profiles.registry import profile_params, profile_resolve
from reports.profiles.spec import ProfileProblem, ProfileSpec

PENDING = (InboundPayload.State.RECEIVED, InboundPayload.State.PROCESSING)
LISTED_PROBLEMS = 50


class Command(BaseCommand):
    help = (
        "Import report files (JSON, CSV, HXL CSV, XLSX) for a mission through the ingest "
        "pipeline: each file is stored first, then ingested (in this process when no "
        "broker is configured or --here is given, else by the workers). With --dry-run, "
        "show what would be stored and store nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--mission", required=True, help="Mission code.")
        parser.add_argument("--format", choices=sorted(PARSERS))
        parser.add_argument(
            "--profile",
            help="Import profile: a name (stored in the admin, or shipped: acled, kobo, odk, "
            "hxl...) or the path of a YAML file.",
        )
        parser.add_argument("--agreement", help="Agreement code for bare clause references.")
        parser.add_argument("--sheet", help="Workbook sheet to read (default: the profile's).")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="A value for every row (kind, clause, party, verification_status, grade...); "
            "repeat for several.",
        )
        parser.add_argument(
            "--timezone",
            help="Zone of times without an offset and dates without a time (default: the "
            "profile's, else the mission's time zone).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and check every row and show what would be stored (first rows, "
            "problems, figures); store nothing. Exits non-zero if a file would be rejected.",
        )
        parser.add_argument(
            "--json", action="store_true", help="With --dry-run: the previews as a JSON array."
        )
        parser.add_argument(
            "--here",
            action="store_true",
            help="Ingest in this process even when workers are configured, and wait for each "
            "file's final state (a worker may have claimed it first); exit non-zero unless "
            "every file was accepted.",
        )
        parser.add_argument(
            "--wait",
            type=int,
            default=None,
            metavar="SECONDS",
            help="With --here: how long to wait for a worker that claimed a file first "
            "(default: INGEST_CLAIM_TIMEOUT).",
        )

    def handle(self, *args, files, mission, **options):
        target = ObserverMission.objects.filter(code=mission).first()
        if target is None:
            raise CommandError(f'Unknown mission "{mission}".')
        if options["json"] and not options["dry_run"]:
            raise CommandError("--json goes with --dry-run.")
        spec = self._profile(options["profile"], mission)
        try:
            constants = constants_parse(options["set"])
        except ProfileProblem as problem:
            raise CommandError(f"--{problem}") from None
        previews: list[dict[str, Any]] = []
        failed = 0
        for path in tqdm(files, unit="file", disable=len(files) < 2):
            fmt = options["format"] or EXTENSION_FORMATS.get(path.suffix.lower())
            if fmt is None:
                raise CommandError(f"{path}: cannot tell the format; pass --format.")
            try:
                body = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from None
            params = self._params(path, mission, spec, constants, options)
            if options["dry_run"]:
                preview = self._preview(path, body, fmt, params, target)
                failed += not preview.accepted
                if options["json"]:
                    previews.append({"file": str(path), **preview.as_dict()})
                else:
                    self._show(path, preview)
                continue
            failed += self._import(path, body, fmt, params, target, options)
        if options["json"]:
            self.stdout.write(json.dumps(previews, indent=2, ensure_ascii=False))
        if failed and options["dry_run"]:
            raise CommandError(f"{failed} file(s) would be rejected; nothing was stored.")
        if failed:
            raise CommandError(f"{failed} file(s) were not ingested; see the problems above.")

    def _profile(self, value: str | None, mission: str) -> ProfileSpec | None:
        if not value:
            return None
        try:
            return profile_resolve(value, mission_code=mission)
        except ProfileProblem as problem:
            raise CommandError(f"--profile {value}: {problem}") from None

    def _params(
        self,
        path: Path,
        mission: str,
        spec: ProfileSpec | None,
        constants: dict[str, Any],
        options: dict[str, Any],
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"mission": mission, "external_id": path.stem}
        # Only what was given: a default zone here would override the profile's.
        for name in ("agreement", "timezone"):
            if options[name]:
                params[name] = options[name]
        try:
            return profile_params(
                params,
                spec,
                sheet=options["sheet"] or "",
                constants=constants,
                zone=options["timezone"] or "",
            )
        except ProfileProblem as problem:
            raise CommandError(str(problem)) from None

    def _preview(self, path: Path, body: bytes, fmt: str, params, target) -> Preview:
        with tqdm(total=None, unit="row", desc=path.name, leave=False, delay=1) as bar:
            return preview_file(
                body=body, format=fmt, params=params, mission=target, progress=bar.update
            )

    def _import(self, path: Path, body: bytes, fmt: str, params, target, options) -> bool:
        """Store the file as a payload and follow it; True when it was not ingested."""
        here = options["here"] or settings.CELERY_TASK_ALWAYS_EAGER
        payload = payload_receive(
            body=body,
            content_type="application/octet-stream",
            format=fmt,
            channel=Channel.COMMAND,
            sender=None,
            mission=target,
            params=params,
            filename=path.name,
        ).payload
        if here:
            with tqdm(total=None, unit="obs", desc=path.name, leave=False, delay=1) as bar:
                payload_ingest(payload_id=payload.pk, progress=bar.update)
            payload = self._final(payload, options["wait"] or settings.INGEST_CLAIM_TIMEOUT)
            failed = payload.state != InboundPayload.State.DONE
        else:
            payload.refresh_from_db()
            failed = payload.state in (
                InboundPayload.State.REJECTED,
                InboundPayload.State.QUARANTINED,
            )
        self._report(path, payload, waited=here)
        return failed

    def _final(self, payload: InboundPayload, timeout: int) -> InboundPayload:
        """The payload once it is done, rejected or quarantined, or as it is after ``timeout``."""
        deadline = time.monotonic() + timeout
        payload.refresh_from_db()
        while payload.state in PENDING and time.monotonic() < deadline:
            time.sleep(0.5)  # a worker claimed it before this process could
            payload.refresh_from_db()
        return payload

    def _report(self, path: Path, payload: InboundPayload, *, waited: bool) -> None:
        if payload.state == InboundPayload.State.DONE:
            extra = (
                " (already imported: nothing changed)" if payload.result.get("duplicate") else ""
            )
            self.stdout.write(
                f"{path}: {payload.result.get('observations')} observations, "
                f"report {payload.report_id}{extra}"
            )
        elif payload.state in PENDING and waited:
            self.stderr.write(
                f"{path}: payload {payload.pk} is still {payload.state} (a worker holds it); "
                "see the payload in the admin for its outcome"
            )
        elif payload.state in PENDING:
            self.stdout.write(f"{path}: stored as payload {payload.pk}; the workers ingest it")
        else:
            self.stderr.write(f"{path}: {payload.state}: {payload.last_error}")
            for error in payload.errors[:50]:
                self.stderr.write(f"  {error}")

    def _show(self, path: Path, preview: Preview) -> None:
        for line in preview_lines(preview, title=str(path)):
            self.stdout.write(line)


def preview_lines(preview: Preview, *, title: str) -> list[str]:
    """A preview as text: outcome, totals, problems, first rows, figures, columns."""
    chosen = (("profile", preview.profile), ("sheet", preview.sheet))
    setting = ", ".join(f"{name} {value}" for name, value in chosen if value)
    lines = [f"{title}: {preview.outcome} (dry run: nothing was stored)"]
    if setting:
        lines.append(f"  read with {setting}")
    lines += [f"  note: {note}" for note in preview.notes]
    lines += [f"  refused: {reason}" for reason in preview.refusal]
    lines.append(
        f"  rows read {preview.rows_read:,}; valid {preview.valid:,}; with problems "
        f"{preview.with_problems:,}; blank rows skipped {preview.blank_skipped:,}"
    )
    if preview.problems:
        lines.append("  problems:")
        lines += [f"    {p.text}" for p in preview.problems[:LISTED_PROBLEMS]]
        if preview.with_problems > LISTED_PROBLEMS:
            lines.append(f"    ... and {preview.with_problems - LISTED_PROBLEMS:,} more")
    if preview.sample:
        lines.append("  first rows as they would be stored:")
        lines += [f"    {_row_text(row)}" for row in preview.sample]
    for name, title_text in (
        ("kind", "by kind"),
        ("clause", "by clause"),
        ("party", "by party"),
        ("month", "by month"),
        ("admin_area", "by admin area"),
        ("flags", "flags"),
    ):
        entries = preview.figures.get(name) or []
        if entries:
            text = "; ".join(
                f"{e['label']}{' (unknown actor)' if e.get('unknown_actor') else ''} {e['count']:,}"
                for e in entries
            )
            lines.append(f"  {title_text}: {text}")
    if preview.conversions:
        lines.append("  times read:")
        lines += [f"    {_conversion_text(c)}" for c in preview.conversions]
    if preview.columns:
        lines.append("  columns:")
        lines += [f"    {_column_text(c)}" for c in preview.columns]
    return lines


def _row_text(row: dict[str, Any]) -> str:
    parts = [row["label"], row["kind"], row["occurred_on"]]
    parts += [row[k] for k in ("clause", "party", "place_name", "admin_area") if row[k]]
    if row["unknown_actor"]:
        parts.append(f"actor {row['actor']} (no party)")
    if row["amount"] is not None:
        parts.append(f"{row['amount']} {row['unit']}".strip())
    parts += row["flags"]
    return " | ".join(parts)


def _conversion_text(c: dict[str, Any]) -> str:
    if c["date_only"]:
        return f'{c["label"]}: "{c["raw"]}" -> the day {c["occurred_on"]} (no time of day)'
    where = f'{c["label"]}: "{c["raw"]}"'
    return f"{where} -> {c['stored']} ({c['zone']}), counted on {c['occurred_on']}"


def _column_text(c: dict[str, Any]) -> str:
    source = " ".join(str(s) for s in (c["header"], c["tag"]) if s) or "(rows)"
    if c["kept_as"] == "attribute":
        return f"{source} -> kept as attribute {str(c['field']).removeprefix('attributes.')}"
    if c["kept_as"] == "ignored":
        return f"{source} -> ignored (no header)"
    return f"{source} -> {c['field']}"
