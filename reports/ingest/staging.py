"""A file kept between the steps of the admin's import (upload, profile, preview, confirm),
as django-import-export keeps its file for the confirm step.

The bytes and the choices made so far are written under MEDIA_ROOT/import-staging/, named by a
random token; the pages pass a signed reference to it (never a path), bound to the user who
uploaded it. A confirmed import deletes its file; each new upload sweeps away files older than
STAGING_MAX_AGE, so abandoned imports never pile up.
"""

import datetime as dt
import hashlib
import json
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing

from reports.parsers import PayloadProblem
from reports.parsers.csv_profile import _csv_cells
from reports.parsers.limits import current_limits
from reports.parsers.source import as_source
from reports.parsers.tabular import is_hxl_row
from reports.parsers.xlsx_parts import (
    attribute,
    parse,
    relationships,
    shared_strings,
    style_kinds,
    workbook,
    xml_parser,
)
from reports.parsers.xlsx_sheet import SheetReader, sheet_rows
from reports.parsers.zipbound import BoundedZip, unreadable

STAGING_MAX_AGE = dt.timedelta(days=1)
_SALT = "reports.import-staging"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class StagingMissing(LookupError):
    """The reference is unsigned, expired, another user's, or its file is gone."""


@dataclass
class StagedImport:
    """A file waiting in the import wizard, and the choices made for it so far."""

    token: str
    user_id: int
    mission_id: int
    filename: str
    content_type: str
    format: str
    sha256: str
    size: int
    agreement: str = ""
    external_id: str = ""
    # A profile by name (stored or shipped), or "" with ``spec`` the profile built in the form.
    profile: str = ""
    spec: dict[str, Any] | None = None
    # Digest of the params and bytes last previewed without a problem ("" until then).
    previewed: str = ""
    created: float = field(default_factory=time.time)

    @property
    def reference(self) -> str:
        """What a page passes on: the token, signed (the file is looked up by it alone)."""
        return signing.dumps(self.token, salt=_SALT)


def staging_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "import-staging"


def _paths(token: str) -> tuple[Path, Path]:
    folder = staging_dir()
    return folder / f"{token}.bin", folder / f"{token}.json"


def staged_import_create(*, body: bytes, user_id: int, **choices: Any) -> StagedImport:
    """Keep ``body`` and the first choices; sweep away abandoned imports first."""
    staged_imports_sweep()
    staged = StagedImport(
        token=secrets.token_hex(16),
        user_id=user_id,
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
        **choices,
    )
    staging_dir().mkdir(parents=True, exist_ok=True)
    data, _ = _paths(staged.token)
    data.write_bytes(body)
    staged_import_save(staged)
    return staged


def staged_import_save(staged: StagedImport) -> None:
    _, state = _paths(staged.token)
    state.write_text(json.dumps(asdict(staged)), encoding="utf-8")


def staged_import_load(*, reference: str, user_id: int) -> StagedImport:
    """The staged import ``reference`` names, if it is ``user_id``'s and still kept."""
    try:
        token = signing.loads(reference, salt=_SALT, max_age=STAGING_MAX_AGE)
    except signing.BadSignature:
        raise StagingMissing("expired or not a reference of this site") from None
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise StagingMissing("not a staged import")
    _, state = _paths(token)
    try:
        staged = StagedImport(**json.loads(state.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        raise StagingMissing("the file is no longer kept") from None
    if staged.user_id != user_id:
        raise StagingMissing("another user's import")
    return staged


def staged_import_body(staged: StagedImport) -> bytes:
    """The bytes as uploaded; StagingMissing if they are gone or changed on disk."""
    data, _ = _paths(staged.token)
    try:
        body = data.read_bytes()
    except OSError:
        raise StagingMissing("the file is no longer kept") from None
    if hashlib.sha256(body).hexdigest() != staged.sha256:
        raise StagingMissing("the kept file changed")
    return body


def staged_import_delete(staged: StagedImport) -> None:
    for path in _paths(staged.token):
        path.unlink(missing_ok=True)


def staged_imports_sweep(*, older_than: dt.timedelta = STAGING_MAX_AGE) -> int:
    """Delete staged files older than ``older_than``; how many were deleted."""
    folder = staging_dir()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    gone = 0
    for path in folder.iterdir():
        if path.suffix in (".bin", ".json") and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            gone += path.suffix == ".bin"
    return gone


@dataclass(frozen=True)
class FileHead:
    """What the profile form is built from: the sheets of a workbook, the one read, and its
    columns (header text, and HXL hashtag when the row under the headers holds them)."""

    sheets: list[str]
    sheet: str
    headers: list[str]
    tags: list[str]


def file_head(*, body: bytes, format: str, sheet: str = "", header_row: int = 1) -> FileHead:
    """The header row (and HXL row) of a CSV or of a workbook's sheet (the first by default);
    PayloadProblem when the file cannot be read that far."""
    sheets: list[str] = []
    if format == "xlsx":
        sheets, sheet, rows = _workbook_head(body, sheet, header_row + 1)
    elif format in ("csv", "hxl"):
        rows = []
        for number, cells in _csv_cells(as_source(body)):
            rows.append((number, cells))
            if number > header_row:
                break
    else:
        return FileHead([], "", [], [])
    by_number = dict(rows)
    headers = [str(c if c is not None else "").strip() for c in by_number.get(header_row, [])]
    under = by_number.get(header_row + 1, [])
    tags = [str(c or "").strip() for c in under] if is_hxl_row(under) else []
    width = max(len(headers), len(tags))
    return FileHead(
        sheets=sheets,
        sheet=sheet,
        headers=headers + [""] * (width - len(headers)),
        tags=tags + [""] * (width - len(tags)) if tags else [""] * width,
    )


def _workbook_head(body: bytes, sheet: str, last_row: int) -> tuple[list[str], str, list]:
    limits = current_limits()
    archive = BoundedZip(body, limits)
    try:
        book = workbook(archive)
        named = _sheet_members(archive)
    except KeyError as exc:
        raise unreadable(exc) from None
    names = [name for name, _ in named]
    if not named:
        raise PayloadProblem("the workbook has no sheet")
    chosen = sheet or names[0]
    members = dict(named)
    if chosen not in members:
        raise PayloadProblem(f'the workbook has no sheet "{chosen}" (sheets: {", ".join(names)})')
    shared = shared_strings(archive, book.shared_strings, limits)
    reader = SheetReader(limits, shared, style_kinds(archive, book.styles), book.date1904)
    rows = []
    for number, cells in sheet_rows(archive.chunks(members[chosen]), reader):
        if number > last_row:
            break
        rows.append((number, cells))
    return names, chosen, rows


def _sheet_members(archive: BoundedZip) -> list[tuple[str, str]]:
    """(sheet name, member) for each sheet, in the workbook's order."""
    package = relationships(archive, "")
    main = next((p for t, p in package.values() if t.endswith("/officeDocument")), None)
    main = main or "xl/workbook.xml"
    rels = relationships(archive, main)
    found: list[tuple[str, str]] = []

    def start(tag: str, attrs: dict) -> None:
        if tag == "sheet" and (rel := attribute(attrs, "id")) in rels:
            found.append((attrs.get("name", ""), rels[rel][1]))

    parse(xml_parser(start), archive.chunks(main))
    return [(name, member) for name, member in found if member in archive.names]
