"""Cross-checks over a whole agreement file: declared refs, cycles and date order."""

from typing import Any

from agreements.loader.results import AgreementFileError
from agreements.loader.sections import (
    _AREA,
    _CLAUSE,
    _CONTROL_AREA,
    _MECHANISM,
    _PARTY,
    _TOP,
    _Check,
    _Plan,
    _Row,
)
from agreements.loader.yaml_lines import _parse
from agreements.models import DateAnchor
from agreements.places import name_key


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


def _check_names(check: _Check, plan: _Plan) -> None:
    """A name (in any case or punctuation) means one party, and one area of control: data
    that names it must not have to guess. Areas of control name a party of the file."""
    for what, rows, fields in (
        ("party", plan.parties, ("code", "name", "aliases")),
        ("area of control", plan.control_areas, ("name", "aliases")),
    ):
        seen: dict[str, str] = {}
        for row in rows.values():
            where = f'{what} "{row.key}"'
            for field in fields:
                entries = row.entries(field) if field == "aliases" else [(row.values[field], 0)]
                for name, line in entries:
                    key = name_key(str(name))
                    if key in seen and seen[key] != row.key:
                        problem = f'"{name}" is also a name of {what} "{seen[key]}"'
                        check.error(line or row.line_of(field), where, problem)
                    seen.setdefault(key, row.key)
    for row in plan.control_areas.values():
        party = row.values.get("party")
        if party is not None and party not in plan.parties:
            problem = f"party: {_undeclared('party', party, plan.parties)}"
            check.error(row.line_of("party"), f'area of control "{row.key}"', problem)


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
    if "in_force_time" in top and not (top.get("in_force_on") or top.get("signed_on")):
        problem = "in_force_time needs the date it is the time of (in_force_on or signed_on)"
        check.error(plan.lines["in_force_time"], "", problem)
    for row in plan.clauses.values():
        if "deadline_time" in row.values and "deadline" not in row.values:
            problem = "deadline_time needs a deadline (the date it is the time of)"
            check.error(row.line_of("deadline_time"), f'clause "{row.key}"', problem)
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
        control_areas=check.rows(
            top.get("areas_of_control"), what="area of control", key="name", spec=_CONTROL_AREA
        ),
        clauses=check.rows(top.get("clauses"), what="clause", key="ref", spec=_CLAUSE),
        mechanisms=check.rows(top.get("mechanisms"), what="mechanism", key="code", spec=_MECHANISM),
    )
    _check_refs(check, plan)
    _check_names(check, plan)
    _check_cycles(check, plan)
    _check_dates(check, plan)
    if check.errors:
        messages = [message for _, message in sorted(check.errors, key=lambda error: error[0])]
        raise AgreementFileError("\n".join(messages), messages)
    return plan
