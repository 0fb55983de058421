"""The input limits of issue 12, read from settings once per payload."""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Limits:
    depth: int
    keys: int
    items: int
    rows: int
    columns: int
    string_chars: int
    row_chars: int
    expanded_bytes: int
    members: int
    shared_strings: int
    shared_chars: int


def current_limits() -> Limits:
    """The limits now in force (tests change them through settings)."""
    return Limits(
        depth=settings.INGEST_MAX_DEPTH,
        keys=settings.INGEST_MAX_KEYS,
        items=settings.INGEST_MAX_ITEMS,
        rows=settings.INGEST_MAX_ROWS,
        columns=settings.INGEST_MAX_COLUMNS,
        string_chars=settings.INGEST_MAX_STRING_CHARS,
        row_chars=settings.INGEST_MAX_ROW_CHARS,
        expanded_bytes=settings.INGEST_MAX_XLSX_EXPANDED_BYTES,
        members=settings.INGEST_MAX_XLSX_MEMBERS,
        shared_strings=settings.INGEST_MAX_XLSX_SHARED_STRINGS,
        shared_chars=settings.INGEST_MAX_XLSX_SHARED_CHARS,
    )
