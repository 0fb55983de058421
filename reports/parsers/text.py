"""Text hygiene at the edge: characters no report needs and the database may refuse.

Rejected: C0 control characters other than tab, CR and LF, DEL, and lone surrogates
(PostgreSQL refuses NUL; a lone surrogate is not UTF-8). Nothing is silently stripped.
"""

import re

_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Names for the controls a sender may recognise; the rest are "control".
_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x1B: "ESC", 0x7F: "DEL"}


def control_character(text: str) -> str | None:
    """A description of the first refused character in ``text``, or None when it is clean."""
    match = _REFUSED.search(text)
    if match is None:
        return None
    code = ord(match.group())
    kind = "lone surrogate" if code >= 0xD800 else "control"
    return f"U+{code:04X}, {_NAMES.get(code, kind)}"


def printable(text: str, limit: int = 60) -> str:
    """``text`` shortened and with refused characters escaped, safe to quote in a message."""
    return _REFUSED.sub(lambda m: f"\\x{ord(m.group()):02x}", text[:limit])


def value_problem(value: object) -> str | None:
    """The first refused character in a value, its keys or its nested values, if any."""
    if isinstance(value, str):
        return control_character(value)
    if isinstance(value, dict):
        for key, item in value.items():
            if problem := value_problem(key) or value_problem(item):
                return problem
    elif isinstance(value, list):
        for item in value:
            if problem := value_problem(item):
                return problem
    return None


def refusal(problem: str) -> str:
    return f"contains a control character ({problem}); remove it"
