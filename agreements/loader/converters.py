"""Converting one value of an agreement file, raising _Bad with a message a person can act on."""

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from agreements.geo import geometry_problem
from agreements.loader.yaml_lines import _Map, _Seq
from agreements.models import AgreementParty, DateAnchor
from core.days import zone_named

FORMAT = "accord-monitor/agreement/v1"
CLAUSE_ANCHORS = (DateAnchor.CLAUSE_START, DateAnchor.CLAUSE_DEADLINE)


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


def _field(model: type[models.Model], name: str) -> "models.Field[Any, Any]":
    """A concrete field of ``model`` (the loader never converts relations' reverse sides)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a concrete field")
    return field


def _text(model: type[models.Model], name: str, key: str | None = None) -> Convert:
    model_field = _field(model, name)
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
    return _choice([str(v) for v, _ in _field(model, name).flatchoices], name)


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


_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _time(key: str) -> Convert:
    """A local time of day, ``"HH:MM"`` (24-hour)."""

    def convert(value: Any) -> dt.time:
        if isinstance(value, int) and not isinstance(value, bool):
            # YAML 1.1 reads an unquoted 12:30 as the base-60 number 750.
            raise _Bad(f'{key}: put the time in quotes, e.g. "12:30"; YAML read it as a number')
        match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
        if not match:
            raise _Bad(f'{key}: expected a time "HH:MM" (24-hour), got {_shown(value)}')
        return dt.time(int(match[1]), int(match[2]))

    return convert


def _zone(key: str) -> Convert:
    """An IANA time zone name such as ``Europe/Kyiv``."""

    def convert(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _Bad(f'{key}: expected an IANA zone name such as "Europe/Kyiv"')
        try:
            zone_named(value.strip())
        except ValueError:
            raise _Bad(
                f'{key}: unknown time zone "{value.strip()}" (an IANA name such as '
                '"Europe/Kyiv", "UTC")'
            ) from None
        return value.strip()

    return convert


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


def _alias(value: Any) -> str:
    """Another name of a party or an area as sources spell it ("ЗСУ", "Донецкая область")."""
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"aliases: expected names as text, got {_shown(value)}")
    if len(value.strip()) > 200:
        raise _Bad(f'aliases: "{value.strip()[:40]}…" is longer than 200 characters')
    return value.strip()


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
