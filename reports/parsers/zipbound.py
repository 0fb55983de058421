"""A zip archive read within the input limits: members counted from the directory, sizes
counted while decompressing (a declared size may lie), all before the memory is spent."""

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator

from reports.parsers.base import LimitExceeded, PayloadProblem
from reports.parsers.limits import Limits
from reports.parsers.text import printable

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR, _ZIP64_EOCD = b"PK\x06\x07", b"PK\x06\x06"
_EOCD_SEARCH = 22 + 65535  # the end record, then at most a 64 KB comment
_CENTRAL_BYTES_PER_MEMBER = 512  # a directory entry is 46 bytes plus a name and extras
_CHUNK = 64 * 1024
# What a damaged or hostile archive raises from zipfile and zlib while it is read.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError)


def unreadable(exc: Exception) -> PayloadProblem:
    """Not a zip, or a zip without a workbook in it."""
    return PayloadProblem(f"the file is not a readable XLSX workbook ({printable(str(exc), 200)})")


class BoundedZip:
    """The members of a zip, read as chunks against one budget of expanded bytes."""

    def __init__(self, body: bytes, limits: Limits):
        _check_directory(body, limits)
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(body))
        except ZIP_ERRORS as exc:
            raise unreadable(exc) from None
        self.names = set(self.archive.namelist())
        self.left = limits.expanded_bytes
        declared = sum(info.file_size for info in self.archive.infolist())
        if declared > limits.expanded_bytes:
            self._refuse(declared)

    def chunks(self, name: str) -> Iterator[bytes]:
        """The member's bytes in chunks; stops as soon as the budget is spent."""
        try:
            with self.archive.open(name) as member:
                while chunk := member.read(_CHUNK):
                    self.left -= len(chunk)
                    if self.left < 0:
                        self._refuse()
                    yield chunk
        except ZIP_ERRORS as exc:
            problem = f"{type(exc).__name__}: {printable(str(exc), 200)}"
            raise PayloadProblem(f"the workbook is damaged ({problem})") from None

    def _refuse(self, size: int | None = None) -> None:
        stated = f" ({size:,} bytes)" if size else ""
        raise LimitExceeded(
            f"the workbook expands to more than the allowed size{stated}",
            "INGEST_MAX_XLSX_EXPANDED_BYTES",
        )


def _check_directory(body: bytes, limits: Limits) -> None:
    """Refuse a central directory too big to list, before zipfile builds an entry for each."""
    entries, directory_bytes = _directory_size(body)
    if entries > limits.members or directory_bytes > limits.members * _CENTRAL_BYTES_PER_MEMBER:
        raise LimitExceeded(
            f"the workbook has more than {limits.members:,} parts", "INGEST_MAX_XLSX_MEMBERS"
        )


def _directory_size(body: bytes) -> tuple[int, int]:
    """(entries, bytes) of the central directory as the end records state them, or (0, 0)."""
    at = body.rfind(_EOCD, max(0, len(body) - _EOCD_SEARCH))
    if at == -1 or at + 22 > len(body):
        return 0, 0  # not a zip: zipfile says so in its own words
    entries, directory_bytes = struct.unpack("<HI", body[at + 10 : at + 16])
    if entries != 0xFFFF and directory_bytes != 0xFFFFFFFF:
        return entries, directory_bytes
    # ZIP64: a locator just before the end record points to the 64-bit end record.
    locator = body[at - 20 : at] if at >= 20 else b""
    if not locator.startswith(_ZIP64_LOCATOR):
        return 0, 0
    (record,) = struct.unpack("<Q", locator[8:16])
    if body[record : record + 4] != _ZIP64_EOCD or record + 48 > len(body):
        return 0, 0
    return struct.unpack("<QQ", body[record + 32 : record + 48])
