"""The parser registry and what every parser returns."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

# A raw row: observation field name -> value as read (strings, numbers, dates), plus the
# ``attributes`` dict for columns that map to no field and are kept as sent.
RawRow = dict[str, Any]


class PayloadProblem(ValueError):
    """The payload as a whole cannot be read (not a row-level error)."""


class LimitExceeded(PayloadProblem):
    """The payload breaches an input limit; the pipeline rejects it like any PayloadProblem."""

    def __init__(self, problem: str, setting: str):
        super().__init__(f"{problem} (the limit is set by {setting})")
        self.setting = setting


@dataclass
class ParsedPayload:
    header: dict[str, Any]
    rows: Iterator[tuple[int, RawRow]]
    row_errors: list[str] = field(default_factory=list)
    # The workbook sheet the rows come from ("" for other formats): every message names it.
    sheet: str = ""

    def row_label(self, number: int) -> str:
        """How a message names a row: "row 12", or "sheet Inspections, row 12"."""
        return f"sheet {self.sheet}, row {number}" if self.sheet else f"row {number}"


Parser = Callable[..., ParsedPayload]
PARSERS: dict[str, Parser] = {}


def register(code: str) -> Callable[[Parser], Parser]:
    """Register a parser under a format code; a second parser for one code is refused."""

    def decorate(parser: Parser) -> Parser:
        if code in PARSERS:
            raise ValueError(f"A parser for format {code!r} is already registered.")
        PARSERS[code] = parser
        return parser

    return decorate


def get_parser(code: str) -> Parser:
    try:
        return PARSERS[code]
    except KeyError:
        known = ", ".join(sorted(PARSERS))
        raise PayloadProblem(f'unknown format "{code}" (known formats: {known})') from None
