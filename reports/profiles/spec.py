"""An import profile, read from YAML and checked before any file is read with it.

A profile says, for one family of files:

- ``sheet``: the workbook sheet to read, by name (default: the first sheet);
- ``header_row``: the row that holds the headers (default 1; an HXL hashtag row, if any,
  is the row right under it);
- ``hxl``: ``auto`` (use hashtags when the row under the headers holds them), ``required``
  or ``off``;
- ``columns``: header text, HXL hashtag (with attributes) or a header pattern with ``*``
  -> observation field, or ``attributes.<name>`` to keep a column under a name of your
  choice. The most specific hashtag wins (``#date+inspection`` over ``#date``); field-name
  headers map to themselves; every column that maps to nothing is kept in the observation's
  attributes (reports.parsers.columns);
- ``set``: constants for every row (``kind``, ``clause``, ``agreement``, ``party``,
  ``verification_status``, ``grade``, ``unit``...), which no column may also give;
- ``values``: per field, source value -> stored value (compared without case or spacing);
- ``unknown_parties``: ``keep`` (the actor's name is kept as text, the party left empty and
  the name listed in the preview) or ``reject`` (the row is refused);
- ``skip_blank_rows``: rows with no value at all are layout (default true; false makes each
  one a row error);
- ``strip_groups``: form-server headers carry the group a question sits in
  (``observation/kind`` in KoboToolbox, ``observation-kind`` in ODK Central): ``"/"`` or
  ``"-"`` (``true`` is ``"/"``) compares a header by its last part too, so it maps like
  ``kind``;
- ``time``: ``zone`` (of values without an offset), ``date_format`` (strftime, for dates
  that are not ISO 8601), ``date_only`` (values are calendar days: any time of day is
  dropped), ``serial_dates`` (numbers in date columns are spreadsheet serial dates; default
  true), ``wall_time`` (datetimes were stored in the local wall time of ``zone``: each
  counts on its wall-clock day, whatever the offset of that day).
"""

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

# What a column or a constant may fill (the JSON row fields, the fields of issue 15, and
# control_area: an area of control that names the side through the agreement's mapping).
TARGET_FIELDS = frozenset(
    {
        "id",
        "kind",
        "clause",
        "agreement",
        "category",
        "party",
        "control_area",
        "occurred_at",
        "place_name",
        "admin_area",
        "latitude",
        "longitude",
        "to_place_name",
        "to_latitude",
        "to_longitude",
        "quantity",
        "amount",
        "unit",
        "severity",
        "description",
        "evidence_urls",
        "source",
        "source_reliability",
        "information_credibility",
        "grade",
        "verification_status",
    }
)
# What ``set`` may give the whole file: not the per-row facts (time, place, quantities...).
CONSTANT_FIELDS = frozenset(
    {
        "kind",
        "clause",
        "agreement",
        "category",
        "party",
        "control_area",
        "admin_area",
        "unit",
        "severity",
        "source",
        "source_reliability",
        "information_credibility",
        "grade",
        "verification_status",
    }
)
PROFILE_KEYS = frozenset(
    {
        "name",
        "description",
        "format",
        "sheet",
        "header_row",
        "hxl",
        "columns",
        "set",
        "values",
        "unknown_parties",
        "skip_blank_rows",
        "strip_groups",
        "time",
    }
)
TIME_KEYS = frozenset({"zone", "date_format", "date_only", "serial_dates", "wall_time"})
MAX_DEFINITION_CHARS = 200_000
_ATTRIBUTE = re.compile(r"^attributes\.[^\s.][^\x00-\x1f]{0,99}$")


class ProfileProblem(ValueError):
    """The profile cannot be used; the message says where and how to fix it."""


@dataclass(frozen=True)
class TimeHandling:
    zone: str = ""
    date_format: str = ""
    date_only: bool = False
    serial_dates: bool = True
    wall_time: bool = False


@dataclass(frozen=True)
class ProfileSpec:
    """A checked profile; ``as_params()`` is what a stored payload keeps of it."""

    name: str = ""
    code: str = ""
    description: str = ""
    format: str = ""
    sheet: str = ""
    header_row: int = 1
    hxl: str = "auto"
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    unknown_parties: str = "reject"
    skip_blank_rows: bool = True
    strip_groups: str = ""
    time: TimeHandling = field(default_factory=TimeHandling)

    def as_params(self) -> dict[str, Any]:
        """The profile as JSON, as a payload stores it (and ``from_mapping`` reads back)."""
        out: dict[str, Any] = {
            "name": self.name,
            "code": self.code,
            "header_row": self.header_row,
            "hxl": self.hxl,
            "columns": dict(self.columns),
            "set": dict(self.constants),
            "values": {k: dict(v) for k, v in self.values.items()},
            "unknown_parties": self.unknown_parties,
            "skip_blank_rows": self.skip_blank_rows,
            "strip_groups": self.strip_groups,
            "time": {
                "zone": self.time.zone,
                "date_format": self.time.date_format,
                "date_only": self.time.date_only,
                "serial_dates": self.time.serial_dates,
                "wall_time": self.time.wall_time,
            },
        }
        for key in ("description", "format", "sheet"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def with_overrides(
        self, *, sheet: str = "", constants: dict[str, Any] | None = None, zone: str = ""
    ) -> "ProfileSpec":
        """This profile with a sheet, constants (``--set``) or a zone given for one import."""
        data = self.as_params()
        if sheet:
            data["sheet"] = sheet
        if constants:
            data["set"] = {**data["set"], **constants}
            # A constant given for this import replaces a column that read the same field.
            data["columns"] = {k: v for k, v in data["columns"].items() if v not in constants}
        if zone:
            data["time"] = {**data["time"], "zone": zone}
        return from_mapping(data, code=self.code)


def _where(code: str) -> str:
    return f'profile "{code}": ' if code else "profile: "


def _field(value: Any, where: str, *, allowed: frozenset[str] = TARGET_FIELDS) -> str:
    if not isinstance(value, str):
        raise ProfileProblem(f"{where} must name a field, not {type(value).__name__}")
    name = value.strip()
    if name in allowed or _ATTRIBUTE.match(name):
        return name
    known = ", ".join(sorted(allowed))
    raise ProfileProblem(
        f'{where} "{name[:60]}" is not a field (fields: {known}; or attributes.<name> to keep '
        "the column under a name)"
    )


def _flag(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ProfileProblem(f"{where} must be true or false")


def _hashtag(key: str, where: str) -> None:
    from reports.parsers.base import PayloadProblem
    from reports.parsers.tabular import parse_tag

    try:
        parse_tag(key)
    except PayloadProblem as problem:
        raise ProfileProblem(f"{where} {problem} (e.g. #date+inspection)") from None


def _separator(value: Any, where: str) -> str:
    if value is None or value is False or value == "":
        return ""
    if value is True:
        return "/"
    if value in ("/", "-", "."):
        return value
    raise ProfileProblem(f'{where} must be "/" (KoboToolbox), "-" (ODK Central), "." or false')


def _text(value: Any, where: str, limit: int = 200) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ProfileProblem(f"{where} must be text")
    text = str(value).strip()
    if len(text) > limit or any(ord(c) < 32 for c in text):
        raise ProfileProblem(f"{where} must be one line of at most {limit} characters")
    return text


def _scalar(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    return _text(value, where, 500)


def _time(data: Any, where: str) -> TimeHandling:
    if data is None:
        return TimeHandling()
    if not isinstance(data, dict):
        raise ProfileProblem(f"{where}time must be a mapping (zone, date_format, ...)")
    unknown = set(data) - TIME_KEYS
    if unknown:
        raise ProfileProblem(
            f"{where}time: unknown key(s) {', '.join(sorted(map(str, unknown)))} "
            f"(known: {', '.join(sorted(TIME_KEYS))})"
        )
    zone = _text(data.get("zone"), f"{where}time.zone", 60)
    if zone:
        from core.days import zone_named

        try:
            zone_named(zone)
        except ValueError:
            raise ProfileProblem(f'{where}time.zone: unknown time zone "{zone}"') from None
    wall_time = _flag(data.get("wall_time", False), f"{where}time.wall_time")
    if wall_time and not zone:
        raise ProfileProblem(
            f"{where}time.wall_time needs time.zone: the zone whose wall clock the file shows"
        )
    return TimeHandling(
        zone=zone,
        date_format=_text(data.get("date_format"), f"{where}time.date_format", 40),
        date_only=_flag(data.get("date_only", False), f"{where}time.date_only"),
        serial_dates=_flag(data.get("serial_dates", True), f"{where}time.serial_dates"),
        wall_time=wall_time,
    )


def from_mapping(data: Any, *, code: str = "") -> ProfileSpec:
    """Check a profile given as a mapping (parsed YAML, or a payload's stored profile)."""
    where = _where(code or (data.get("code", "") if isinstance(data, dict) else ""))
    if not isinstance(data, dict):
        raise ProfileProblem(f"{where}a profile is a mapping of keys (columns, set, time...)")
    data = {k: v for k, v in data.items() if k != "code"}
    unknown = set(map(str, data)) - PROFILE_KEYS
    if unknown:
        raise ProfileProblem(
            f"{where}unknown key(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(PROFILE_KEYS))})"
        )
    columns_in = data.get("columns") or {}
    if not isinstance(columns_in, dict):
        raise ProfileProblem(
            f'{where}columns must map headers to fields: {{"Date": "occurred_at"}}'
        )
    columns: dict[str, str] = {}
    for header, target in columns_in.items():
        key = _text(header, f"{where}columns", 200)
        if not key:
            raise ProfileProblem(f"{where}columns: a header is empty")
        if key.startswith("#"):
            _hashtag(key, f"{where}columns:")
        columns[key] = _field(target, f"{where}columns.{key}:")
    constants_in = data.get("set") or {}
    if not isinstance(constants_in, dict):
        raise ProfileProblem(f'{where}set must map fields to values: {{"kind": "violation"}}')
    constants = {
        _field(name, f"{where}set:", allowed=CONSTANT_FIELDS): _scalar(value, f"{where}set.{name}")
        for name, value in constants_in.items()
    }
    clash = sorted(set(constants) & set(columns.values()))
    if clash:
        raise ProfileProblem(
            f"{where}{', '.join(clash)} is both set for the whole file and read from a column: "
            "remove one of the two"
        )
    values_in = data.get("values") or {}
    if not isinstance(values_in, dict):
        raise ProfileProblem(f'{where}values must map fields to value maps: {{"kind": {{...}}}}')
    values: dict[str, dict[str, Any]] = {}
    for name, mapping in values_in.items():
        target = _field(name, f"{where}values:")
        if not isinstance(mapping, dict):
            raise ProfileProblem(f"{where}values.{target} must map source values to stored ones")
        values[target] = {
            _text(source, f"{where}values.{target}", 500): _scalar(value, f"{where}values.{target}")
            for source, value in mapping.items()
        }
    header_row = data.get("header_row", 1)
    if isinstance(header_row, bool) or not isinstance(header_row, int) or not 1 <= header_row <= 50:
        raise ProfileProblem(f"{where}header_row must be a row number from 1 to 50")
    hxl_in = data.get("hxl", "auto")
    # YAML 1.1 reads a bare off as false.
    hxl = "off" if hxl_in is False else _text(hxl_in, f"{where}hxl", 10) or "auto"
    if hxl not in ("auto", "required", "off"):
        raise ProfileProblem(f"{where}hxl must be auto, required or off")
    unknown_parties = _text(data.get("unknown_parties", "reject"), f"{where}unknown_parties", 10)
    if unknown_parties not in ("keep", "reject"):
        raise ProfileProblem(f"{where}unknown_parties must be keep or reject")
    return ProfileSpec(
        name=_text(data.get("name"), f"{where}name"),
        code=code,
        description=_text(data.get("description"), f"{where}description", 2000),
        format=_text(data.get("format"), f"{where}format", 10),
        sheet=_text(data.get("sheet"), f"{where}sheet", 100),
        header_row=header_row,
        hxl=hxl,
        columns=columns,
        constants=constants,
        values=values,
        unknown_parties=unknown_parties,
        skip_blank_rows=_flag(data.get("skip_blank_rows", True), f"{where}skip_blank_rows"),
        strip_groups=_separator(data.get("strip_groups"), f"{where}strip_groups"),
        time=_time(data.get("time"), where),
    )


def from_yaml(text: str, *, code: str = "") -> ProfileSpec:
    """Check a profile written in YAML (a file, or the admin's definition box)."""
    if len(text) > MAX_DEFINITION_CHARS:
        raise ProfileProblem(f"{_where(code)}the definition is longer than 200,000 characters")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileProblem(f"{_where(code)}the YAML cannot be read: {where}{problem}") from None
    return from_mapping(data or {}, code=code)
