"""Which field each column of a table fills, resolved once per file from its header row, its
HXL hashtag row (if any) and the import profile.

A column's candidates, strongest first: the profile's column named by its header text; the
profile's most specific hashtag spec its tag matches (``#date+inspection`` over ``#date``); a
header that is a field name (``kind``); a profile pattern (``*_latitude``); the built-in HXL
table (reports.parsers.tabular.HXL_FIELDS). When columns land on one field, the strongest
takes it and the others are kept in the attributes; a tie is an error that says which lines
to add to the profile. Nothing is dropped: every column that maps to no field is kept in the
attributes under its header text, else its hashtag, else ``column_<n>``.
"""

from collections import Counter
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from reports.parsers.base import PayloadProblem
from reports.parsers.tabular import HXL_FIELDS, Tag, best_tag_match, normalised, parse_tag, tag_key
from reports.profiles.spec import TARGET_FIELDS

if TYPE_CHECKING:
    from reports.profiles.spec import ProfileSpec

# How strongly a column claims a field (see the module's docstring); hashtag specs add one
# per attribute they name, so the more specific wins.
BY_HEADER, BY_GROUPLESS_HEADER, BY_PROFILE_TAG, BY_FIELD_NAME, BY_PATTERN, BY_HXL = (
    60,
    55,
    50,
    45,
    42,
    10,
)


@dataclass(frozen=True)
class Reading:
    """How a file's cells are read, from its import profile (the defaults without one)."""

    sheet: str = ""
    header_row: int = 1
    hxl: str = "auto"
    by_header: dict[str, str] = field(default_factory=dict)  # lower-case header -> target
    by_tag: list[tuple[str, frozenset[str], str]] = field(default_factory=list)
    by_pattern: list[tuple[str, str]] = field(default_factory=list)  # lower-case glob -> target
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # target -> normalised map
    skip_blank_rows: bool = True
    strip_groups: str = ""


def reading_of(spec: "ProfileSpec | None") -> Reading:
    """A profile's columns split by kind and its value maps normalised: once per file."""
    if spec is None:
        return Reading()
    by_header: dict[str, str] = {}
    by_tag: list[tuple[str, frozenset[str], str]] = []
    by_pattern: list[tuple[str, str]] = []
    for key, target in spec.columns.items():
        if key.startswith("#"):
            hashtag, attributes = parse_tag(key)
            by_tag.append((hashtag, attributes, target))
        elif "*" in key:
            by_pattern.append((key.strip().lower(), target))
        else:
            by_header[key.strip().lower()] = target
    return Reading(
        sheet=spec.sheet,
        header_row=spec.header_row,
        hxl=spec.hxl,
        by_header=by_header,
        by_tag=by_tag,
        by_pattern=by_pattern,
        constants=dict(spec.constants),
        values={
            target: {normalised(source): stored for source, stored in mapping.items()}
            for target, mapping in spec.values.items()
        },
        skip_blank_rows=spec.skip_blank_rows,
        strip_groups=spec.strip_groups,
    )


@dataclass
class Column:
    number: int  # 1-based, as a person counts columns
    header: str
    tag: Tag | None
    written_tag: str
    target: str | None = None
    strength: int = 0
    key: str = ""  # its own attribute key

    @property
    def label(self) -> str:
        return f"{self.number} ({self.written_tag or self.header or 'no header'})"

    @property
    def spec(self) -> str:
        """How the profile's columns would name this column."""
        if self.tag is not None:
            return self.tag[0] + "".join(f"+{a}" for a in self.written_attributes)
        return self.header or f"column_{self.number}"

    @property
    def written_attributes(self) -> list[str]:
        parts = "".join(self.written_tag.lower().split()).split("+")[1:]
        return [p for p in parts if p]

    @property
    def attribute_name(self) -> str:
        """A name to keep this column under when another takes its field."""
        if self.tag is not None and self.written_attributes:
            return "_".join(self.written_attributes)
        return self.header or f"column_{self.number}"


@dataclass(frozen=True)
class Plan:
    """The resolved columns: per column (name, is it an attribute, value map, key to keep the
    source value under when the map changes it), and what every row starts with."""

    slots: list[tuple[str, bool, dict[str, Any] | None, str | None]]
    constants: dict[str, Any]
    skip_blank_rows: bool
    first_row: int
    reads_amount: bool
    fields: list[str]  # the observation fields columns fill, in column order


def _text(cell: Any) -> str:
    return str(cell).strip() if cell not in (None, "") else ""


def _names(header: str, separator: str) -> list[str]:
    name = header.lower()
    if separator and separator in name:
        return [name, name.rsplit(separator, 1)[1]]
    return [name]


def _profile_tag(column: Column, reading: Reading, where: str) -> tuple[str, int] | None:
    assert column.tag is not None
    found = best_tag_match(column.tag, reading.by_tag)
    if not found:
        return None
    if len(found) > 1 and found[0][0] == found[1][0] and found[0][2] != found[1][2]:
        raise PayloadProblem(
            f'{where}column {column.label} matches both "{found[0][1]}" and "{found[1][1]}" '
            f'in the profile\'s columns: add "{column.spec}: <field>" to say which'
        )
    return found[0][2], BY_PROFILE_TAG + found[0][0]


def _candidate(column: Column, reading: Reading, where: str) -> tuple[str, int] | None:
    names = _names(column.header, reading.strip_groups) if column.header else []
    for rank, name in enumerate(names):
        if (target := reading.by_header.get(name)) is not None:
            return target, BY_HEADER if rank == 0 else BY_GROUPLESS_HEADER
    if column.tag is not None and (claim := _profile_tag(column, reading, where)):
        return claim
    for name in names:
        if name in TARGET_FIELDS:
            return name, BY_FIELD_NAME
    for name in names:
        for pattern, target in reading.by_pattern:
            if fnmatchcase(name, pattern):
                return target, BY_PATTERN
    if column.tag is not None and (found := best_tag_match(column.tag, HXL_FIELDS)):
        return found[0][2], BY_HXL + found[0][0]
    return None


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _collision(target: str, tied: list[Column], where: str) -> PayloadProblem:
    keeper, others = tied[-1], tied[:-1]
    verb = "both map" if len(tied) == 2 else "all map"
    specs = Counter(c.spec for c in tied)
    # Columns with one and the same hashtag are told apart by their headers.
    named = {id(c): c.header if specs[c.spec] > 1 and c.header else c.spec for c in tied}
    lines = [f'"{named[id(keeper)]}: {target}"'] + [
        f'"{named[id(c)]}: attributes.{c.attribute_name}"' for c in others
    ]
    return PayloadProblem(
        f"{where}columns {_listed([c.label for c in tied])} {verb} to {target}: add "
        f"{_listed(lines)} to the profile's columns"
    )


def _columns(headers: list[Any], tags: list[Any] | None, where: str) -> list[Column]:
    width = max(len(headers), len(tags or []))
    columns = []
    for index in range(width):
        header = _text(headers[index]) if index < len(headers) else ""
        written = _text(tags[index]) if tags and index < len(tags) else ""
        tag = None
        if written.startswith("#"):
            try:
                tag = parse_tag(written)
            except PayloadProblem as problem:
                raise PayloadProblem(f"{where}column {index + 1}: {problem}") from None
        columns.append(Column(index + 1, header, tag, written if tag else ""))
    return columns


def _keys(columns: list[Column], taken: set[str]) -> None:
    """Each column's own attribute key, unique among the keys already taken."""
    for column in columns:
        if _is_attr(column):
            continue  # kept under the name the profile or the HXL table gives it
        key = column.header or (tag_key(column.tag) if column.tag else f"column_{column.number}")
        if key in taken:
            key = f"{key} (column {column.number})"
        taken.add(key)
        column.key = key


def plan_columns(
    headers: list[Any],
    tags: list[Any] | None,
    reading: Reading,
    *,
    first_row: int,
    where: str = "",
) -> Plan:
    """The plan for a table with these header cells (and hashtag cells); PayloadProblem when
    a tie between columns leaves a field ambiguous. ``where`` prefixes messages ("sheet X: ")."""
    columns = _columns(headers, tags, where)
    claims: dict[str, list[Column]] = {}
    for column in columns:
        claim = _candidate(column, reading, where)
        if claim is None or claim[0] in reading.constants:
            continue  # a constant given for the whole file wins; the column is kept as is
        column.target, column.strength = claim
        claims.setdefault(claim[0], []).append(column)
    for target, claimants in claims.items():
        if len(claimants) < 2:
            continue
        strongest = max(c.strength for c in claimants)
        tied = [c for c in claimants if c.strength == strongest]
        if len(tied) > 1 and not target.startswith("attributes."):
            raise _collision(target, tied, where)
        for column in claimants:
            if column is not tied[0]:
                column.target = None
    _keys(columns, {str(c.target).removeprefix("attributes.") for c in columns if _is_attr(c)})
    slots: list[tuple[str, bool, dict[str, Any] | None, str | None]] = []
    for column in columns:
        target = column.target or f"attributes.{column.key}"
        values = reading.values.get(target)
        if target.startswith("attributes."):
            slots.append((target.removeprefix("attributes."), True, values, None))
        else:
            slots.append((target, False, values, column.key))
    mapped = [c.target for c in columns if c.target and not _is_attr(c)]
    return Plan(
        slots=slots,
        constants=reading.constants,
        skip_blank_rows=reading.skip_blank_rows,
        first_row=first_row,
        reads_amount="amount" in mapped,
        fields=mapped,
    )


def _is_attr(column: Column) -> bool:
    return bool(column.target and column.target.startswith("attributes."))
