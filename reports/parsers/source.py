"""Where a parser reads the payload from: bytes in memory, or the database row in chunks.

A 100 MB payload read from PostgreSQL in 4 MB slices keeps a worker's memory flat; parsers
only ever ask for a fresh stream (``open``), the first bytes (``head``) or, for formats that
need random access (XLSX is a zip), everything (``read_all``).
"""

import io

from django.db import connection

CHUNK = 4 << 20


class BytesSource:
    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.size = len(self.data)

    def open(self) -> io.BufferedIOBase:
        return io.BytesIO(self.data)

    def head(self, n: int) -> bytes:
        return self.data[:n]

    def read_all(self) -> bytes:
        return self.data


class _RowReader(io.RawIOBase):
    def __init__(self, payload_id: int, size: int):
        self.payload_id, self.size, self.offset = payload_id, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        want = min(len(buffer), self.size - self.offset)
        if want <= 0:
            return 0
        chunk = _slice(self.payload_id, self.offset, want)
        buffer[: len(chunk)] = chunk
        self.offset += len(chunk)
        return len(chunk)


def _slice(payload_id: int, offset: int, length: int) -> bytes:
    function = "substring" if connection.vendor == "postgresql" else "substr"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {function}(body, %s, %s) FROM reports_inboundpayload WHERE id = %s",  # noqa: S608
            [offset + 1, length, payload_id],
        )
        return bytes(cursor.fetchone()[0])


def _length(payload_id: int) -> int:
    function = "octet_length" if connection.vendor == "postgresql" else "length"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {function}(body) FROM reports_inboundpayload WHERE id = %s",  # noqa: S608
            [payload_id],
        )
        return int(cursor.fetchone()[0] or 0)


class DatabaseSource:
    """The body of a stored payload, read in slices so it is never all in memory."""

    def __init__(self, payload_id: int):
        self.payload_id = payload_id
        self.size = _length(payload_id)

    def open(self) -> io.BufferedIOBase:
        return io.BufferedReader(_RowReader(self.payload_id, self.size), buffer_size=CHUNK)

    def head(self, n: int) -> bytes:
        return _slice(self.payload_id, 0, min(n, self.size)) if self.size else b""

    def read_all(self) -> bytes:
        return _slice(self.payload_id, 0, self.size) if self.size else b""


def as_source(body) -> BytesSource | DatabaseSource:
    return body if isinstance(body, BytesSource | DatabaseSource) else BytesSource(body)


def is_blank(source) -> bool:
    """Empty or only white space; looks at the whole body only when it starts blank."""
    if not source.head(4096).strip():
        with source.open() as stream:
            while chunk := stream.read(1 << 20):
                if chunk.strip():
                    return False
        return True
    return False
