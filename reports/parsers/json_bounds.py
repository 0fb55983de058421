"""Limits on a JSON document, checked while it is read, before its memory is spent (issue 12).

ijson's prefixes grow with the depth (a 200 KB body nested 100,000 deep took 22 GB), so the
depth is counted here from ijson's basic events, which carry no prefix, and the walk stops at
the first breach. Strings are bounded twice: on the raw bytes, before ijson buffers a token,
and exactly, in characters, on the parsed value.
"""

import re
from typing import Any

import ijson

from reports.parsers.base import LimitExceeded, PayloadProblem
from reports.parsers.limits import Limits
from reports.parsers.text import printable

_ESCAPE = re.compile(rb"\\.", re.DOTALL)  # an escape pair, such as \" or \\
# The longest spelling of one character is a surrogate pair of escapes: \uD83D\uDE00.
_WIRE_BYTES_PER_CHAR = 12
_SHOWN_PARTS = 6
# An open container: [is a map, keys or items so far, its current key]
Frame = list


class RawStringScan:
    """Fed the body chunk by chunk; stops at a string token too long for any allowed string.

    Only counts and finds run per chunk (in C): pieces are cut no longer than the bound, so a
    token can only breach it by spanning pieces, and only the open one is followed.
    """

    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        self.max_bytes = _WIRE_BYTES_PER_CHAR * max_chars + 2
        self.carried: int | None = None  # bytes of a string still open at the last piece's end
        self.escaped = False  # the last piece ended with a backslash inside a string

    def feed(self, chunk: bytes) -> None:
        for start in range(0, len(chunk), self.max_bytes):
            self._piece(chunk[start : start + self.max_bytes])

    def _piece(self, piece: bytes) -> None:
        # Escape pairs become two neutral bytes, so every quote left is a token's edge.
        if self.escaped:
            clean = b"\0" + _ESCAPE.sub(b"\0\0", piece[1:])
        else:
            clean = _ESCAPE.sub(b"\0\0", piece)
        self.escaped = False
        quotes, start = clean.count(b'"'), 0
        if self.carried is not None:
            close = clean.find(b'"')
            if close == -1:
                self._open_until_end(len(piece) + self.carried, clean)
                return
            self._check(self.carried + close)
            self.carried, quotes, start = None, quotes - 1, close + 1
        if quotes % 2:
            opening = clean.rfind(b'"', start)
            self._open_until_end(len(piece) - opening - 1, clean)

    def _open_until_end(self, length: int, clean: bytes) -> None:
        self._check(length)
        self.carried, self.escaped = length, clean.endswith(b"\\")

    def _check(self, length: int) -> None:
        if length > self.max_bytes:
            raise LimitExceeded(
                f"a text is longer than {self.max_chars:,} characters", "INGEST_MAX_STRING_CHARS"
            )


def read_header(stream, limits: Limits) -> tuple[Any, bool]:
    """The document without its top-level ``observations`` (and whether it had them).

    Walks every event of the body, so every limit is checked before a row is read. One loop
    on purpose: this runs once per event of a 100 MB body.
    """
    stack: list[Frame] = []
    builder = ijson.ObjectBuilder()
    skipping = has_observations = False
    max_chars, max_keys, max_depth = limits.string_chars, limits.keys, limits.depth
    max_items = min(limits.items, limits.rows)  # the exact limit is looked up past this one
    for event, value in ijson.basic_parse(stream, use_float=True):
        if event == "map_key":
            top = stack[-1]
            top[1] += 1
            if top[1] > max_keys:
                _too_many_keys(stack, limits)
            if len(value) > max_chars:
                _too_long(stack, value, limits, of_key=True)
            top[2] = value
        elif event == "end_map" or event == "end_array":
            stack.pop()
        else:
            if stack and not stack[-1][0]:
                stack[-1][1] += 1
                if stack[-1][1] > max_items:
                    _check_items(stack, limits)
            if event == "string":
                if len(value) > max_chars:
                    _too_long(stack, value, limits)
            elif event == "start_map" or event == "start_array":
                if len(stack) >= max_depth:
                    _too_deep(stack, limits)
                stack.append([event == "start_map", 0, ""])
        if skipping:
            if len(stack) == 1:  # back at the top: the observations value is over
                if event != "end_array":
                    raise PayloadProblem('"observations" must be a list of objects')
                skipping = False
        elif len(stack) == 1 and event == "map_key" and value == "observations":
            skipping = has_observations = True
        else:
            builder.event(event, value)
    return getattr(builder, "value", None), has_observations


def _too_many_keys(stack: list[Frame], limits: Limits) -> None:
    raise LimitExceeded(
        f"{where(stack[:-1])} has more than {limits.keys:,} keys", "INGEST_MAX_KEYS"
    )


def _too_long(stack: list[Frame], text: str, limits: Limits, *, of_key: bool = False) -> None:
    place = f"a key of {where(stack[:-1])}" if of_key else where(stack)
    raise LimitExceeded(
        f"a text at {place} is {len(text):,} characters long, more than {limits.string_chars:,}",
        "INGEST_MAX_STRING_CHARS",
    )


def _too_deep(stack: list[Frame], limits: Limits) -> None:
    raise LimitExceeded(
        f"{where(stack)} is nested more than {limits.depth} levels deep", "INGEST_MAX_DEPTH"
    )


def _check_items(stack: list[Frame], limits: Limits) -> None:
    count = stack[-1][1]
    if len(stack) == 2 and stack[0][2] == "observations":
        if count > limits.rows:
            raise LimitExceeded(
                f"the report has more than {limits.rows:,} observations", "INGEST_MAX_ROWS"
            )
    elif count > limits.items:
        raise LimitExceeded(
            f"{where(stack[:-1])} has more than {limits.items:,} items", "INGEST_MAX_ITEMS"
        )


def where(stack: list[Frame]) -> str:
    """Where a value inside these open containers sits, as a sender would look for it."""
    parts = [f".{printable(key, 40)}" if is_map else f"[{count}]" for is_map, count, key in stack]
    head = ""
    if parts[:1] == [".observations"] and len(parts) > 1:
        head, parts = f"observation {parts[1][1:-1]}", parts[2:]
    rest = "".join(parts[:_SHOWN_PARTS]).lstrip(".")
    rest += "…" if len(parts) > _SHOWN_PARTS else ""
    return ", ".join(p for p in (head, rest) if p) or "the report"
