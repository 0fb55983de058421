"""Load an agreement from a YAML file (docs/agreement-format.md): check all of it, then write.

A file that fails any check writes nothing. Loading the same file again changes nothing; a
changed file updates rows in place and leaves a ClauseRevision for every clause it changes.
"""

import datetime as dt
import difflib
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts.audit import audit_reason, audit_reason_current, history_bulk_create
from agreements.geo import geometry_problem
from agreements.models import (
    Agreement,
    AgreementParty,
    Area,
    Clause,
    ClauseRevision,
    DateAnchor,
    Party,
    VerificationMechanism,
)
from agreements.services import clause_dates_resolve

FORMAT = "accord-monitor/agreement/v1"
CLAUSE_ANCHORS = (DateAnchor.CLAUSE_START, DateAnchor.CLAUSE_DEADLINE)


class AgreementFileError(ValueError):
    """A file that cannot be loaded; each line of the message names file, line and problem."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or [message]


@dataclass
class LoadResult:
    """What loading one file did."""

    agreement: str
    created: bool = False
    agreement_updated: bool = False
    clauses_created: int = 0
    clauses_updated: int = 0
    clauses_unchanged: int = 0
    mechanisms_created: int = 0
    mechanisms_updated: int = 0
    mechanisms_unchanged: int = 0
    parties_created: int = 0
    parties_updated: int = 0
    areas_created: int = 0
    areas_updated: int = 0
    revisions: int = 0
    # Rows the file no longer lists are kept (observations may refer to them), only reported.
    missing_from_file: list[str] = field(default_factory=list)
    mechanisms_missing_from_file: list[str] = field(default_factory=list)


# --- Reading YAML with line numbers -------------------------------------------------------


class _Map(dict):
    line: int = 1
    key_lines: dict[Hashable, int]


class _Seq(list):
    line: int = 1
    item_lines: list[int | None]


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """A SafeLoader that keeps line numbers and leaves dates as text, so a bad date has a line."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _construct_map(loader: _Loader, node: yaml.MappingNode):
    data = _Map()
    data.line, data.key_lines = node.start_mark.line + 1, {}
    yield data
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word", key_node.start_mark
            )
        key = loader.construct_object(key_node)
        if key in data:
            raise yaml.constructor.ConstructorError(
                None, None, f'key "{key}" appears twice in one mapping', key_node.start_mark
            )
        data[key] = loader.construct_object(value_node)
        data.key_lines[key] = key_node.start_mark.line + 1


def _construct_seq(loader: _Loader, node: yaml.SequenceNode):
    data = _Seq()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_object(item) for item in node.value)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _parse(*, text: str, source: str) -> Any:
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "cannot be read"
        if exc.problem and exc.context and exc.context_mark:
            problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        raise AgreementFileError(f"{source} line {line}: YAML syntax error: {problem}") from exc
    except yaml.YAMLError as exc:
        raise AgreementFileError(f"{source} line 1: YAML syntax error: {exc}") from exc
    finally:
        loader.dispose()


# --- Converting one value -------------------------------------------------------------------


class _Bad(Exception):
    """One problem with one value; ``line`` is set when it is not the line of the key."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem, self.line = problem, line


Convert = Callable[[Any], Any]


def _shown(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "yes/true", False: "no/false", None: "nothing"}[value]
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f'"{value}"'


def _unknown(what: str, value: Any, options: Iterable[str]) -> str:
    options = list(options)
    close = difflib.get_close_matches(str(value), options, n=1) if isinstance(value, str) else []
    hint = f'; did you mean "{close[0]}"?' if close else ""
    return f"unknown {what} {_shown(value)} (expected one of: {', '.join(options)}{hint})"


def _text(model: type[models.Model], name: str, key: str | None = None) -> Convert:
    model_field = model._meta.get_field(name)
    key = key or name

    def convert(value: Any) -> str:
        if not isinstance(value, str):
            raise _Bad(f"{key}: expected text, got {_shown(value)}")
        value = value.strip()
        if not value and not model_field.blank:
            raise _Bad(f"{key} must not be empty")
        try:
            model_field.run_validators(value)
        except ValidationError as exc:
            raise _Bad(f'{key} "{value}": {" ".join(exc.messages)}') from exc
        return value

    return convert


def _choice(options: Iterable[str], what: str) -> Convert:
    options = list(options)

    def convert(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            raise _Bad(_unknown(what, value, options))
        return value

    return convert


def _choice_of(model: type[models.Model], name: str) -> Convert:
    return _choice([str(v) for v, _ in model._meta.get_field(name).flatchoices], name)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date_value(value: Any, key: str) -> dt.date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise _Bad(f'{key}: bad date "{value}" ({exc})') from exc
    raise _Bad(f"{key}: bad date {_shown(value)} (expected YYYY-MM-DD)")


def _date(key: str) -> Convert:
    return lambda value: _date_value(value, key)


def _integer(key: str, minimum: int | None = None) -> Convert:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Bad(f"{key}: expected a whole number, got {_shown(value)}")
        if minimum is not None and value < minimum:
            raise _Bad(f"{key}: must be at least {minimum}")
        return value

    return convert


def _ref(key: str) -> Convert:
    def convert(value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, float):
            raise _Bad(f"{key}: put the ref in quotes; YAML reads it as the number {value}")
        if not isinstance(value, str) or not value.strip():
            raise _Bad(f'{key}: a clause ref is text such as "3" or "3.2(a)"; got {_shown(value)}')
        if len(value.strip()) > 40:
            raise _Bad(f"{key}: a clause ref has at most 40 characters")
        return value.strip()

    return convert


def _listed(item: Convert, key: str) -> Convert:
    """A list whose converted items keep their own lines, so later checks can point at them."""

    def convert(value: Any) -> _Seq:
        if isinstance(value, str | int) and not isinstance(value, bool):
            value = _Seq([value])
            value.item_lines = [None]
        if not isinstance(value, _Seq):
            raise _Bad(f"{key}: expected a list, got {_shown(value)}")
        out = _Seq(item(v) for v in value)
        out.item_lines = list(value.item_lines)
        for index, entry in enumerate(out):
            if entry in out[:index]:
                raise _Bad(f'{key}: "{entry}" is listed twice', out.item_lines[index])
        return out

    return convert


_DURATION = re.compile(r"(\d+)\s*(minute|hour|day|week)s?")


def _duration(key: str, *, positive: bool) -> Convert:
    def convert(value: Any) -> dt.timedelta:
        match = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
        if not match:
            raise _Bad(
                f'{key}: expected a duration such as "1 day", "12 hours"; got {_shown(value)}'
            )
        duration = dt.timedelta(**{f"{match[2]}s": int(match[1])})
        if positive and not duration:
            raise _Bad(f"{key}: must be longer than zero")
        return duration

    return convert


def _bbox(value: Any) -> tuple[float, float, float, float]:
    numbers = isinstance(value, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    )
    if not numbers or len(value) != 4:
        raise _Bad("bbox: expected [min_lon, min_lat, max_lon, max_lat]")
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in value)
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise _Bad(
            "bbox: expected [min_lon, min_lat, max_lon, max_lat] in WGS84 degrees, "
            "minimum before maximum (longitude first)"
        )
    return min_lon, min_lat, max_lon, max_lat


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _geometry(value: Any) -> dict:
    problem = geometry_problem(_plain(value))
    if problem:
        raise _Bad(f"geometry: {problem}")
    return _plain(value)


@dataclass
class _When:
    """A start or deadline: a fixed date, or days after a date of the agreement or a clause."""

    anchor: str
    line: int
    date: dt.date | None = None
    clause: str | None = None
    days: int = 0


_RELATIVE_ANCHORS = [str(a) for a in DateAnchor.values if a != DateAnchor.FIXED]


def _when(key: str) -> Convert:
    def convert(value: Any) -> _When:
        if not isinstance(value, _Map):
            return _When(DateAnchor.FIXED, 0, date=_date_value(value, key))
        try:
            return _relative(value)
        except _Bad as bad:
            raise _Bad(f"{key}: {bad.problem}", bad.line or value.line) from bad

    return convert


def _nested(value: _Map, name: str, convert: Convert, default: Any = None) -> Any:
    if name not in value:
        return default
    try:
        return convert(value[name])
    except _Bad as bad:
        raise _Bad(bad.problem, value.key_lines[name]) from bad


def _relative(value: _Map) -> _When:
    lines = value.key_lines
    for name in value:
        if name not in ("after", "clause", "days"):
            raise _Bad(_unknown("key", name, ["after", "clause", "days"]), lines[name])
    if "after" not in value:
        raise _Bad(f"a relative date needs after: (one of {', '.join(_RELATIVE_ANCHORS)})")
    anchor = _nested(value, "after", _choice(_RELATIVE_ANCHORS, "after"))
    clause = _nested(value, "clause", _ref("clause"))
    days = _nested(value, "days", _integer("days"), default=0)
    if anchor in CLAUSE_ANCHORS and clause is None:
        raise _Bad(f"after: {anchor} needs clause: (the ref it counts from)", lines["after"])
    if anchor not in CLAUSE_ANCHORS and clause is not None:
        raise _Bad("clause: only goes with after: clause_start or clause_deadline", lines["clause"])
    return _When(anchor, value.line, clause=clause, days=days)


def _roles(value: Any) -> list[str]:
    convert = _choice(AgreementParty.Role.values, "role")
    roles = [value] if isinstance(value, str) else value
    if not isinstance(roles, list) or not roles:
        raise _Bad("role: expected a role or a list of roles")
    if len(set(map(str, roles))) != len(roles):
        raise _Bad("role: a role is listed twice")
    return [convert(role) for role in roles]


def _format(value: Any) -> str:
    if value != FORMAT:
        raise _Bad(f"unsupported format {_shown(value)} (expected {FORMAT})")
    return value


def _seq(key: str) -> Convert:
    def convert(value: Any) -> _Seq:
        if not isinstance(value, _Seq):
            raise _Bad(f"{key}: expected a list, got {_shown(value)}")
        return value

    return convert


# --- The sections of a file -----------------------------------------------------------------

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
    "summary": (_text(Agreement, "summary"), False),
    "source_url": (_text(Agreement, "source_url"), False),
    "source_note": (_text(Agreement, "source_note"), False),
    "parties": (_seq("parties"), True),
    "areas": (_seq("areas"), False),
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
}
_AREA: Spec = {
    "code": (_text(Area, "code"), True),
    "name": (_text(Area, "name"), True),
    "country": (_text(Area, "country"), False),
    "admin_level": (_integer("admin_level", 0), False),
    "bbox": (_bbox, False),
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


def _find_cycle(graph: dict[Any, list[Any]]) -> list[Any] | None:
    """The first cycle met walking ``graph`` in insertion order, as a path that returns."""
    state: dict[Any, int] = {}
    path: list[Any] = []

    def visit(node: Any) -> list[Any] | None:
        state[node] = 1
        path.append(node)
        for target in graph.get(node, []):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state and (found := visit(node)):
            return found
    return None


def _check_refs(check: _Check, plan: _Plan) -> None:
    """Every code and ref a clause or mechanism names is declared in the same file."""
    declared = {"obliged": ("party", plan.parties), "areas": ("area", plan.areas)}
    declared["prerequisites"] = ("clause", plan.clauses)
    for row in plan.clauses.values():
        where = f'clause "{row.key}"'
        for key, (what, targets) in declared.items():
            for entry, line in row.entries(key):
                if entry not in targets:
                    check.error(line, where, f"{key}: {_undeclared(what, entry, targets)}")
                elif key == "prerequisites" and entry == row.key:
                    check.error(line, where, "a clause cannot be its own prerequisite")
        parent = row.values.get("parent")
        if parent is not None and parent not in plan.clauses:
            check.error(row.line_of("parent"), where, _undeclared("parent", parent, plan.clauses))
        elif parent == row.key:
            check.error(row.line_of("parent"), where, "a clause cannot be its own parent")
        for key in ("starts", "deadline"):
            when = row.values.get(key)
            if when is None or when.clause is None:
                continue
            line, target = when.line or row.line_of(key), plan.clauses.get(when.clause)
            if target is None:
                check.error(
                    line, where, f"{key}: {_undeclared('clause', when.clause, plan.clauses)}"
                )
            elif when.anchor == DateAnchor.CLAUSE_DEADLINE and "deadline" not in target.values:
                problem = f'counts from the deadline of clause "{when.clause}", which has none'
                check.error(line, where, f"{key}: {problem}")
    for row in plan.mechanisms.values():
        where = f'mechanism "{row.key}"'
        responsible = row.values.get("responsible")
        if responsible is not None and responsible not in plan.parties:
            problem = _undeclared("party", responsible, plan.parties)
            check.error(row.line_of("responsible"), where, f"responsible: {problem}")
        for ref, line in row.entries("covers"):
            if ref not in plan.clauses:
                check.error(line, where, f"covers: {_undeclared('clause', ref, plan.clauses)}")


def _undeclared(what: str, value: str, declared: dict[str, _Row]) -> str:
    listed = f" (declared: {', '.join(declared)})" if 0 < len(declared) <= 20 else ""
    return f'{what} "{value}" is not declared in this file{listed}'


def _check_cycles(check: _Check, plan: _Plan) -> None:
    """Parents, prerequisites and relative dates must not refer to each other in a loop."""
    clauses = plan.clauses
    parents = {
        ref: [row.values["parent"]]
        for ref, row in clauses.items()
        if row.values.get("parent") in clauses and row.values["parent"] != ref
    }
    if cycle := _find_cycle(parents):
        row = clauses[cycle[-2]]
        trail = " -> ".join(cycle)
        check.error(row.line_of("parent"), f'clause "{row.key}"', f"parents form a cycle ({trail})")
    prerequisites = {
        ref: [r for r, _ in row.entries("prerequisites") if r in clauses and r != ref]
        for ref, row in clauses.items()
    }
    if cycle := _find_cycle(prerequisites):
        row = clauses[cycle[-2]]
        trail = " -> ".join(cycle)
        problem = f"prerequisites form a cycle ({trail})"
        check.error(row.line_of("prerequisites"), f'clause "{row.key}"', problem)
    dates: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for ref, row in clauses.items():
        for key in ("starts", "deadline"):
            when = row.values.get(key)
            if when is not None and when.clause in clauses:
                counted_from = "starts" if when.anchor == DateAnchor.CLAUSE_START else "deadline"
                dates[(ref, key)] = [(when.clause, counted_from)]
    if cycle := _find_cycle(dates):
        (ref, key), row = cycle[-2], clauses[cycle[-2][0]]
        line = row.values[key].line or row.line_of(key)
        trail = " -> ".join(f"{r} {k}" for r, k in cycle)
        problem = f"{key}: dates count from each other in a cycle ({trail})"
        check.error(line, f'clause "{ref}"', problem)


def _check_dates(check: _Check, plan: _Plan) -> None:
    top = plan.top
    for earlier, later in [("signed_on", "in_force_on"), ("in_force_on", "expires_on")]:
        if top.get(earlier) and top.get(later) and top[later] < top[earlier]:
            problem = f"{later} ({top[later]}) is before {earlier} ({top[earlier]})"
            check.error(plan.lines[later], "", problem)
    for row in plan.mechanisms.values():
        start, end = row.values.get("active_from"), row.values.get("active_until")
        if start and end and end < start:
            problem = f"active_until ({end}) is before active_from ({start})"
            check.error(row.line_of("active_until"), f'mechanism "{row.key}"', problem)


def _plan_read(*, text: str, source: str) -> _Plan:
    """Parse and check the whole file; raise AgreementFileError listing every problem."""
    data = _parse(text=text, source=source)
    check = _Check(source)
    top = check.fields(data, "", _TOP, 1)
    if top is None:
        raise AgreementFileError(check.errors[0][1])
    plan = _Plan(
        top=top,
        lines=data.key_lines,
        parties=check.rows(top.get("parties"), what="party", key="code", spec=_PARTY),
        areas=check.rows(top.get("areas"), what="area", key="code", spec=_AREA),
        clauses=check.rows(top.get("clauses"), what="clause", key="ref", spec=_CLAUSE),
        mechanisms=check.rows(top.get("mechanisms"), what="mechanism", key="code", spec=_MECHANISM),
    )
    _check_refs(check, plan)
    _check_cycles(check, plan)
    _check_dates(check, plan)
    if check.errors:
        messages = [message for _, message in sorted(check.errors, key=lambda error: error[0])]
        raise AgreementFileError("\n".join(messages), messages)
    return plan


# --- Writing --------------------------------------------------------------------------------


def _assign(obj: models.Model, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set the values that differ; return them as {attname: (old, new)}."""
    changes = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = (old, new)
            setattr(obj, name, new)
    return changes


def _default(model: type[models.Model], name: str) -> Any:
    return model._meta.get_field(name).get_default()


def _shared_write(
    *, model: type[Party | Area], rows: dict[str, _Row], values_of: Callable[[_Row], dict]
) -> tuple[dict[str, Any], int, int]:
    """Create or update parties or areas by code; return them, how many created and updated.

    Other agreements share these rows, so a file sets only what it states and leaves the rest.
    """
    existing = model.objects.in_bulk(list(rows), field_name="code")
    created = updated = 0
    for code, row in rows.items():
        values = values_of(row)
        if code not in existing:
            existing[code] = model.objects.create(code=code, **values)
            created += 1
        elif changes := _assign(existing[code], values):
            existing[code].save(update_fields=list(changes))
            updated += 1
    return existing, created, updated


def _party_values(row: _Row) -> dict[str, Any]:
    return {k: row.values[k] for k in ("name", "kind", "category", "notes") if k in row.values}


def _area_values(row: _Row) -> dict[str, Any]:
    values = {k: row.values[k] for k in ("name", "country", "admin_level") if k in row.values}
    if "bbox" in row.values:
        corners = ("min_lon", "min_lat", "max_lon", "max_lat")
        values.update(zip(corners, row.values["bbox"], strict=True))
    return values


_AGREEMENT_FIELDS = (
    "title", "short_title", "kind", "status", "negotiation_round", "venue", "signed_on",
    "in_force_on", "expires_on", "summary", "source_url", "source_note",
)  # fmt: skip


def _agreement_write(*, plan: _Plan, parties: dict[str, Party], result: LoadResult) -> Agreement:
    values = {name: plan.top.get(name, _default(Agreement, name)) for name in _AGREEMENT_FIELDS}
    agreement = Agreement.objects.filter(code=plan.top["code"]).first()
    if agreement is None:
        agreement = Agreement.objects.create(code=plan.top["code"], **values)
        result.created = True
    elif changes := _assign(agreement, values):
        agreement.save(update_fields=[*changes, "updated_at"])
        result.agreement_updated = True
    wanted = {
        (parties[code].pk, role)
        for code, row in plan.parties.items()
        for role in row.values["role"]
    }
    links = AgreementParty.objects.filter(agreement=agreement)
    current = {(link.party_id, link.role): link.pk for link in links}
    stale = [pk for key, pk in current.items() if key not in wanted]
    fresh = [
        AgreementParty(agreement=agreement, party_id=party_id, role=role)
        for party_id, role in sorted(wanted - set(current))
    ]
    if stale or fresh:
        AgreementParty.objects.filter(pk__in=stale).delete()
        history_bulk_create(model=AgreementParty, objs=fresh)
        if not result.created and not result.agreement_updated:
            agreement.save(update_fields=["updated_at"])
            result.agreement_updated = True
    return agreement


def _start_fields(when: _When | None, clauses: dict[str, Clause]) -> dict[str, Any]:
    if when is None:
        when = _When(DateAnchor.AGREEMENT_IN_FORCE, 0)
    fields = {
        "start_anchor": when.anchor,
        "start_anchor_clause_id": clauses[when.clause].pk if when.clause else None,
        "start_offset_days": when.days,
    }
    if when.anchor == DateAnchor.FIXED:
        fields["in_force_from"] = when.date
    return fields


def _deadline_fields(when: _When | None, clauses: dict[str, Clause]) -> dict[str, Any]:
    if when is None:
        return {
            "deadline_anchor": "",
            "deadline_anchor_clause_id": None,
            "deadline_offset_days": None,
            "deadline": None,
        }
    fields = {
        "deadline_anchor": when.anchor,
        "deadline_anchor_clause_id": clauses[when.clause].pk if when.clause else None,
        "deadline_offset_days": when.days,
    }
    if when.anchor == DateAnchor.FIXED:
        fields.update(deadline_offset_days=None, deadline=when.date)
    return fields


def _clause_fields(row: _Row, position: int, clauses: dict[str, Clause]) -> dict[str, Any]:
    values, parent = row.values, row.values.get("parent")
    return {
        "position": position,
        "title": values["title"],
        "text": values["text"],
        "category": values["category"],
        "phase": values.get("phase", _default(Clause, "phase")),
        "deadline_text": values.get("deadline_text", ""),
        "geometry": values.get("geometry"),
        "parent_id": clauses[parent].pk if parent else None,
        **_start_fields(values.get("starts"), clauses),
        **_deadline_fields(values.get("deadline"), clauses),
    }


def _clause_sets(row: _Row, parties: dict, areas: dict, clauses: dict) -> dict[str, list]:
    return {
        "obliged_parties": [parties[code] for code in row.values.get("obliged", [])],
        "prerequisites": [clauses[ref] for ref in row.values.get("prerequisites", [])],
        "areas": [areas[code] for code in row.values.get("areas", [])],
    }


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _label(obj: models.Model) -> str:
    return obj.reference if isinstance(obj, Clause) else obj.code


def _clauses_write(
    *, agreement: Agreement, plan: _Plan, parties: dict, areas: dict, result: LoadResult
) -> tuple[dict[str, Clause], dict[int, dict[str, list[Any]]]]:
    """Create, update and date the clauses; return them and each existing clause's changes."""
    prefetched = agreement.clauses.prefetch_related("obliged_parties", "prerequisites", "areas")
    existing = {clause.reference: clause for clause in prefetched}
    before = {clause.pk: (clause.in_force_from, clause.deadline) for clause in existing.values()}
    clauses = dict(existing)
    for position, (ref, row) in enumerate(plan.clauses.items(), start=1):
        if ref not in clauses:
            # Anchors and parent are set in the second pass, once every clause has a row.
            values = {key: row.values[key] for key in ("title", "text", "category")}
            clauses[ref] = Clause.objects.create(
                agreement=agreement, reference=ref, position=position, **values
            )
            result.clauses_created += 1
    ref_of = {clause.pk: ref for ref, clause in clauses.items()}
    changes: dict[int, dict[str, list[Any]]] = {}
    for position, (ref, row) in enumerate(plan.clauses.items(), start=1):
        clause, is_new = clauses[ref], ref not in existing
        changed = _assign(clause, _clause_fields(row, position, clauses))
        if changed:
            clause.save(update_fields=list(changed))
        shown = {}
        for name, (old, new) in changed.items():
            if name.endswith("_id"):
                name, old, new = name.removesuffix("_id"), ref_of.get(old), ref_of.get(new)
            shown[name] = [_jsonable(old), _jsonable(new)]
        for name, objs in _clause_sets(row, parties, areas, clauses).items():
            current = [] if is_new else list(getattr(clause, name).all())
            if {obj.pk for obj in current} != {obj.pk for obj in objs}:
                getattr(clause, name).set(objs)
                shown[name] = [sorted(map(_label, current)), sorted(map(_label, objs))]
        if not is_new:
            changes[clause.pk] = shown
    clause_dates_resolve(agreement=agreement)
    resolved = Clause.objects.filter(pk__in=before).values_list("pk", "in_force_from", "deadline")
    for pk, *after in resolved:
        for name, old, new in zip(("in_force_from", "deadline"), before[pk], after, strict=True):
            if old != new:  # also for clauses no longer in the file that count from one that is
                changes.setdefault(pk, {})[name] = [_jsonable(old), _jsonable(new)]
    result.missing_from_file = [ref for ref in existing if ref not in plan.clauses]
    return clauses, {pk: shown for pk, shown in changes.items() if shown}


def _mechanisms_write(
    *, agreement: Agreement, plan: _Plan, parties: dict, clauses: dict, result: LoadResult
) -> None:
    existing = {m.code: m for m in agreement.mechanisms.prefetch_related("clauses")}
    for code, row in plan.mechanisms.items():
        values, responsible = row.values, row.values.get("responsible")
        fields = {
            "name": values["name"],
            "kind": values["kind"],
            "responsible_party_id": parties[responsible].pk if responsible else None,
            "reporting_interval": values["reporting_interval"],
            "grace": values["grace"],
            "active_from": values.get("active_from"),
            "active_until": values.get("active_until"),
            "description": values.get("description", ""),
        }
        covered = [clauses[ref] for ref in values.get("covers", [])]
        mechanism = existing.get(code)
        if mechanism is None:
            mechanism = VerificationMechanism.objects.create(
                agreement=agreement, code=code, **fields
            )
            mechanism.clauses.set(covered)
            result.mechanisms_created += 1
            continue
        changes = _assign(mechanism, fields)
        if changes:
            mechanism.save(update_fields=list(changes))
        covers_changed = {c.pk for c in mechanism.clauses.all()} != {c.pk for c in covered}
        if covers_changed:
            mechanism.clauses.set(covered)
        if changes or covers_changed:
            result.mechanisms_updated += 1
        else:
            result.mechanisms_unchanged += 1
    result.mechanisms_missing_from_file = [code for code in existing if code not in plan.mechanisms]


def _write(*, plan: _Plan, source: str, by: AbstractBaseUser | None) -> LoadResult:
    result = LoadResult(agreement=plan.top["code"])
    parties, result.parties_created, result.parties_updated = _shared_write(
        model=Party, rows=plan.parties, values_of=_party_values
    )
    areas, result.areas_created, result.areas_updated = _shared_write(
        model=Area, rows=plan.areas, values_of=_area_values
    )
    agreement = _agreement_write(plan=plan, parties=parties, result=result)
    clauses, changes = _clauses_write(
        agreement=agreement, plan=plan, parties=parties, areas=areas, result=result
    )
    _mechanisms_write(
        agreement=agreement, plan=plan, parties=parties, clauses=clauses, result=result
    )
    ClauseRevision.objects.bulk_create(
        ClauseRevision(clause_id=pk, changed_by=by, source=source, changes=shown)
        for pk, shown in changes.items()
    )
    # Not in the audit trail: updated_at is left out of it, the changes themselves are in.
    Clause.objects.filter(pk__in=changes).update(updated_at=timezone.now())
    result.revisions = len(changes)
    in_file = {clauses[ref].pk for ref in plan.clauses}
    result.clauses_updated = len(in_file & set(changes))
    result.clauses_unchanged = len(plan.clauses) - result.clauses_created - result.clauses_updated
    return result


def agreement_load_text(
    *, text: str, source: str, by: AbstractBaseUser | None = None
) -> LoadResult:
    """Check an agreement file's text fully, then create or update it in one transaction."""
    plan = _plan_read(text=text, source=source)
    try:
        with transaction.atomic(), audit_reason(audit_reason_current() or f"load {source}"):
            return _write(plan=plan, source=source, by=by)
    except ValidationError as exc:  # clause_dates_resolve refusing a cycle the checks missed
        line = plan.lines.get("clauses", 1)
        raise AgreementFileError(f"{source} line {line}: {' '.join(exc.messages)}") from exc


def agreement_load_file(*, path: str | Path, by: AbstractBaseUser | None = None) -> LoadResult:
    """Load one agreement file (docs/agreement-format.md); raise AgreementFileError if it is bad."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise AgreementFileError(f"{path.name}: cannot read the file: {exc}") from exc
    return agreement_load_text(text=text, source=path.name, by=by)
