"""Evidence files: what a file really is (from its first bytes), the limits, and storing one.

The client's Content-Type and file name are never trusted for the type; a name whose
extension says something else than the content is refused as a likely disguise.
"""

import csv
import hashlib
import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import transaction

from reports.models import EvidenceFile, Observation, ObserverMission, Report, ReportStatus

SNIFF_BYTES = 8192
EDITABLE_STATES = (ReportStatus.DRAFT, ReportStatus.SUBMITTED, ReportStatus.REJECTED)

# (offset, signature, type): binary formats by their magic numbers.
SIGNATURES = [
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"MZ", "application/x-msdownload"),
    (0, b"\x7fELF", "application/x-executable"),
    (0, b"RIFF", "application/x-riff"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
]
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash"}
MARKUP_PREFIXES = (b"<!doctype html", b"<html", b"<?xml", b"<svg", b"<script", b"<head", b"<body")
# Extensions that may carry a detected type besides the one mimetypes gives.
EXTENSION_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
}


class EvidenceRefused(Exception):
    """The file cannot be kept; ``code`` is the API error code, ``status`` the HTTP status."""

    def __init__(self, message: str, *, code: str = "invalid", status: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def _text_type(head: bytes, name: str) -> str | None:
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the sniffing boundary
            return None
        text = head[: exc.start].decode("utf-8")
    if text.lstrip().lower().encode().startswith(MARKUP_PREFIXES):
        return "text/html"  # markup could run in a browser: never evidence
    if Path(name).suffix.lower() == ".csv" and _looks_tabular(text):
        return "text/csv"
    return "text/plain"


def _looks_tabular(text: str) -> bool:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if len(lines) < 2:
        return False
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t")
    except csv.Error:
        return False
    # The last line may be cut at the sniffing boundary; the others must agree on the width.
    widths = {len(row) for row in csv.reader(lines[:-1] or lines, dialect)}
    return len(widths) == 1 and widths.pop() >= 2


def content_type_detect(head: bytes, name: str = "") -> str:
    """The type the first bytes show; ``application/octet-stream`` when nothing is known."""
    for offset, signature, kind in SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return kind
    if head[4:8] == b"ftyp":
        return "video/mp4" if head[8:12] in MP4_BRANDS else "video/quicktime"
    return _text_type(head, name) or "application/octet-stream"


def evidence_check(*, head: bytes, name: str, size: int) -> str:
    """Refuse what is too big, not allowed, or disguised; return the detected type."""
    limit = settings.EVIDENCE_MAX_BYTES
    if size > limit:
        raise EvidenceRefused(
            f"The file is {size} bytes; evidence files may be at most {limit} bytes.",
            code="too_large",
            status=413,
        )
    if size == 0:
        raise EvidenceRefused("The file is empty.")
    detected = content_type_detect(head, name)
    allowed = settings.EVIDENCE_ALLOWED_TYPES
    if detected not in allowed:
        raise EvidenceRefused(
            f'The content of "{name}" is {detected}, which is not accepted as evidence; '
            f"accepted: {', '.join(allowed)}."
        )
    suffix = Path(name).suffix.lower()
    claimed = EXTENSION_TYPES.get(suffix) or (mimetypes.guess_type(name)[0] if suffix else None)
    if claimed and claimed != detected:
        raise EvidenceRefused(
            f'"{name}" is named as {claimed} but its content is {detected}; '
            "rename it to match what it is."
        )
    return detected


class EvidenceSizeLimit(FileUploadHandler):
    """Stop reading a multipart upload once a file passes EVIDENCE_MAX_BYTES, so an oversized
    body (even one sent without Content-Length) is neither buffered nor written out whole."""

    exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.EVIDENCE_MAX_BYTES:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def evidence_editable(report: Report) -> bool:
    return report.status in EDITABLE_STATES


def _checked(upload: UploadedFile, by: User | None) -> EvidenceFile:
    """An unsaved EvidenceFile for the upload (name, detected type, size, sha256), or
    EvidenceRefused; the caller says where it belongs and stores it."""
    name = Path(upload.name or "").name[:255]
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    size = upload.size or 0
    content_type = evidence_check(head=head, name=name, size=size)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return EvidenceFile(
        original_name=name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )


def _store(evidence: EvidenceFile, upload: UploadedFile) -> EvidenceFile:
    upload.seek(0)
    evidence.file.save("evidence", upload, save=False)
    try:
        evidence.save()
    except Exception:
        evidence.file.delete(save=False)
        raise
    return evidence


def evidence_add(
    *,
    report: Report,
    upload: UploadedFile,
    by: User | None,
    observation: Observation | None = None,
) -> EvidenceFile:
    """Check and store one evidence file for a report that is not accepted yet.

    The report row is locked, so an acceptance running at the same time either sees the
    file (and hashes it into the ledger) or makes this call fail: never a file outside the hash.
    """
    if observation is not None and observation.report_id != report.pk:
        raise EvidenceRefused("The observation belongs to another report.")
    evidence = _checked(upload, by)
    with transaction.atomic():
        current = Report.objects.select_for_update().get(pk=report.pk)
        if not evidence_editable(current):
            raise EvidenceRefused(
                f"Report {current.external_id} is {current.status}: its ledger hash covers its "
                "evidence, so files can only be added before it is accepted. File a correction "
                "with the new evidence instead.",
                code="conflict",
                status=409,
            )
        evidence.mission_id = current.mission_id
        evidence.report = current
        evidence.observation = observation
        return _store(evidence, upload)


def evidence_stage(
    *, mission: ObserverMission, upload: UploadedFile, by: User | None
) -> EvidenceFile:
    """Check and store an evidence file for a report the mission has not filed yet.

    The file waits, staged, until a report of the mission names it in its ``evidence`` list;
    the ingest then attaches it before the report is accepted, so the ledger hash covers it.
    """
    evidence = _checked(upload, by)
    evidence.mission = mission
    return _store(evidence, upload)
