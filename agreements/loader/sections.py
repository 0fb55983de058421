"""The keys each section of an agreement file takes, and the checker that collects problems."""

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from agreements.loader.converters import (
    Convert,
    _alias,
    _Bad,
    _bbox,
    _choice_of,
    _date,
    _duration,
    _format,
    _geometry,
    _integer,
    _listed,
    _ref,
    _roles,
    _seq,
    _shown,
    _text,
    _time,
    _unknown,
    _when,
    _zone,
)
from agreements.loader.yaml_lines import _Map, _Seq
from agreements.models import (
    Agreement,
    Area,
    Clause,
    ControlArea,
    Party,
    VerificationMechanism,
)

Spec = dict[str, tuple[Convert, bool]]  # key: (convert, required)

_TOP: Spec = {
    "format": (_format, True),
    "code": (_text(Agreement, "code"), True),
    "title": (_text(Agreement, "title"), True),
    "short_title": (_text(Agreement, "short_title"), False),
    "kind": (_choice_of(Agreement, "kind"), True),
    "status": (_choice_of(Agreement, "status"), False),
    "negotiation_round": (_text(Agreement, "negotiation_round"), False),
    "venue": (_text(Agreement, "venue"), False),
    "signed_on": (_date("signed_on"), False),
    "in_force_on": (_date("in_force_on"), False),
    "expires_on": (_date("expires_on"), False),
    "in_force_time": (_time("in_force_time"), False),
    "time_zone": (_zone("time_zone"), False),
    "summary": (_text(Agreement, "summary"), False),
    "source_url": (_text(Agreement, "source_url"), False),
    "source_note": (_text(Agreement, "source_note"), False),
    "parties": (_seq("parties"), True),
    "areas": (_seq("areas"), False),
    "areas_of_control": (_seq("areas_of_control"), False),
    "clauses": (_seq("clauses"), True),
    "mechanisms": (_seq("mechanisms"), False),
}
_PARTY: Spec = {
    "code": (_text(Party, "code"), True),
    "name": (_text(Party, "name"), True),
    "kind": (_choice_of(Party, "kind"), True),
    "category": (_choice_of(Party, "category"), False),
    "role": (_roles, True),
    "notes": (_text(Party, "notes"), False),
    "aliases": (_listed(_alias, "aliases"), False),
}
_CONTROL_AREA: Spec = {
    "name": (_text(ControlArea, "name"), True),
    "party": (_text(Party, "code", "party"), True),
    "aliases": (_listed(_alias, "aliases"), False),
}
_AREA: Spec = {
    "code": (_text(Area, "code"), True),
    "name": (_text(Area, "name"), True),
    "country": (_text(Area, "country"), False),
    "admin_level": (_integer("admin_level", 0), False),
    "bbox": (_bbox, False),
    "aliases": (_listed(_alias, "aliases"), False),
    "geometry": (_geometry, False),
}
_CLAUSE: Spec = {
    "ref": (_ref("ref"), True),
    "parent": (_ref("parent"), False),
    "title": (_text(Clause, "title"), True),
    "text": (_text(Clause, "text"), True),
    "category": (_choice_of(Clause, "category"), True),
    "obliged": (_listed(_text(Party, "code", "obliged"), "obliged"), False),
    "phase": (_integer("phase", 1), False),
    "prerequisites": (_listed(_ref("prerequisites"), "prerequisites"), False),
    "starts": (_when("starts"), False),
    "deadline": (_when("deadline"), False),
    "deadline_text": (_text(Clause, "deadline_text"), False),
    "deadline_time": (_time("deadline_time"), False),
    "notes": (_text(Clause, "notes"), False),
    "areas": (_listed(_text(Area, "code", "areas"), "areas"), False),
    "geometry": (_geometry, False),
}
_MECHANISM: Spec = {
    "code": (_text(VerificationMechanism, "code"), True),
    "name": (_text(VerificationMechanism, "name"), True),
    "kind": (_choice_of(VerificationMechanism, "kind"), True),
    "responsible": (_text(Party, "code", "responsible"), False),
    "covers": (_listed(_ref("covers"), "covers"), False),
    "reporting_interval": (_duration("reporting_interval", positive=True), True),
    "grace": (_duration("grace", positive=False), True),
    "active_from": (_date("active_from"), False),
    "active_until": (_date("active_until"), False),
    "description": (_text(VerificationMechanism, "description"), False),
}


@dataclass
class _Row:
    """One checked entry of a list: its code or ref, its values and where it sits."""

    key: str
    line: int
    values: dict[str, Any]
    lines: dict[Hashable, int]

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)

    def entries(self, key: str) -> list[tuple[str, int]]:
        """The items of a list value, each with its own line (or the key's)."""
        seq = self.values.get(key, [])
        lines = getattr(seq, "item_lines", [None] * len(seq))
        return [(entry, line or self.line_of(key)) for entry, line in zip(seq, lines, strict=True)]


@dataclass
class _Plan:
    top: dict[str, Any]
    lines: dict[Hashable, int]
    parties: dict[str, _Row]
    areas: dict[str, _Row]
    control_areas: dict[str, _Row]
    clauses: dict[str, _Row]
    mechanisms: dict[str, _Row]


class _Check:
    """Collects every problem in a file, so one run reports them all."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[tuple[int, str]] = []

    def error(self, line: int, where: str, problem: str) -> None:
        prefix = f"{where}: " if where else ""
        self.errors.append((line, f"{self.source} line {line}: {prefix}{problem}"))

    def fields(self, node: Any, where: str, spec: Spec, line: int) -> dict[str, Any] | None:
        if not isinstance(node, _Map):
            self.error(line, where, f"expected a mapping of key: value, got {_shown(node)}")
            return None
        values: dict[str, Any] = {}
        for key, raw in node.items():
            key_line = node.key_lines[key]
            if key not in spec:
                self.error(key_line, where, _unknown("key", key, spec))
                continue
            try:
                values[key] = spec[key][0](raw)
            except _Bad as bad:
                self.error(bad.line or key_line, where, bad.problem)
        for key, (_, required) in spec.items():
            if required and key not in node:
                self.error(node.line, where, f'missing key "{key}"')
        return values

    def rows(self, seq: Any, *, what: str, key: str, spec: Spec) -> dict[str, _Row]:
        rows: dict[str, _Row] = {}
        if not isinstance(seq, _Seq):
            return rows
        for index, (node, line) in enumerate(zip(seq, seq.item_lines, strict=True), start=1):
            name = node.get(key) if isinstance(node, _Map) else None
            where = f'{what} "{name}"' if isinstance(name, str | int) else f"{what} #{index}"
            values = self.fields(node, where, spec, line)
            if values is None or key not in values:
                continue
            if values[key] in rows:
                first = rows[values[key]].line
                self.error(line, where, f"{what} {key} is listed twice (first on line {first})")
                continue
            rows[values[key]] = _Row(values[key], node.line, values, node.key_lines)
        return rows
