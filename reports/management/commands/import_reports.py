import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from reports.api.views import EXTENSION_FORMATS
from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.models import Channel, InboundPayload, ObserverMission
from reports.parsers import PARSERS

PENDING = (InboundPayload.State.RECEIVED, InboundPayload.State.PROCESSING)


class Command(BaseCommand):
    help = (
        "Import report files (JSON, CSV, HXL CSV, XLSX) for a mission through the ingest "
        "pipeline: each file is stored first, then ingested (in this process when no "
        "broker is configured or --here is given, else by the workers)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--mission", required=True, help="Mission code.")
        parser.add_argument("--format", choices=sorted(PARSERS))
        parser.add_argument("--profile", help="Column profile code for CSV/XLSX.")
        parser.add_argument("--agreement", help="Agreement code for bare clause references.")
        parser.add_argument(
            "--timezone",
            help="Zone of times without an offset and dates without a time (default: the "
            "profile's, else the mission's time zone).",
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
        here = options["here"] or settings.CELERY_TASK_ALWAYS_EAGER
        failed = 0
        for path in tqdm(files, unit="file", disable=len(files) < 2):
            fmt = options["format"] or EXTENSION_FORMATS.get(path.suffix.lower())
            if fmt is None:
                raise CommandError(f"{path}: cannot tell the format; pass --format.")
            try:
                body = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from None
            params = {"mission": mission, "external_id": path.stem}
            # Only what was given: a default zone here would override the profile's.
            for name in ("profile", "agreement", "timezone"):
                if options[name]:
                    params[name] = options[name]
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
                with tqdm(total=None, unit="obs", desc=path.name, leave=False) as bar:
                    payload_ingest(payload_id=payload.pk, progress=bar.update)
                payload = self._final(payload, options["wait"] or settings.INGEST_CLAIM_TIMEOUT)
                failed += payload.state != InboundPayload.State.DONE
            else:
                payload.refresh_from_db()
                failed += payload.state in (
                    InboundPayload.State.REJECTED,
                    InboundPayload.State.QUARANTINED,
                )
            self._report(path, payload, waited=here)
        if failed:
            raise CommandError(f"{failed} file(s) were not ingested; see the problems above.")

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
