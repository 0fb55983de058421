"""The demo's data file (demo/data/demo.yaml) read and checked, and its report patterns turned
into observations, reproducibly from a seeded random generator.

The file's header explains the pattern keys. A mistake in the file (an unknown key, a
misspelt place list) stops the demo with the path of the bad entry, not a KeyError later.
"""

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo.yaml"

# Keys a pattern reads itself; any other key is an observation field.
PATTERN_KEYS = {
    "kind",
    "clause",
    "chance",
    "from_day",
    "repeat",
    "hour",
    "place",
    "places",
    "jitter",
    "quantity",
    "severity",
    "one_of",
    "weight",
    "description",
}
OBSERVATION_FIELDS = {"party", "grade", "verification_status", "source", "admin_area"}
SCHEDULE_KEYS = {"mission", "agreement", "first_day", "days", "every", "places", "area"}
SCHEDULE_KEYS |= {"phases", "patterns"}

Pattern = dict[str, Any]
Row = dict[str, Any]


class DemoDataError(ValueError):
    """The demo's data file says something this reader does not understand."""


@dataclass(frozen=True)
class Schedule:
    mission: str
    agreement: str
    first_day: dt.datetime
    days: int
    every: int
    places: list[dict[str, Any]]
    area: str
    phases: list[dict[str, Any]]
    patterns: list[Pattern]

    def intensity(self, day_index: int) -> float:
        """The phase's multiplier of the gauss quantities on this day of the schedule."""
        for phase in self.phases:
            if "until_day" not in phase or day_index < phase["until_day"]:
                return float(phase["intensity"])
        return 1.0


def demo_data_read(*, path: Path = DEMO_FILE) -> dict[str, Any]:
    """The demo file, parsed and checked; its schedules as ``Schedule`` objects."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise DemoDataError(f"{path}: expected a mapping at the top.")
    places = data.get("places", {})
    data["schedules"] = [
        _schedule(entry, places, where=f"{path}: schedules[{i}]")
        for i, entry in enumerate(data.get("schedules", []))
    ]
    return data


def _schedule(entry: dict[str, Any], places: dict[str, Any], *, where: str) -> Schedule:
    unknown = set(entry) - SCHEDULE_KEYS
    if unknown:
        raise DemoDataError(f"{where}: unknown key(s) {sorted(unknown)}.")
    named = entry.get("places")
    if named is not None and named not in places:
        raise DemoDataError(f"{where}: no place list named {named!r} under `places`.")
    patterns = list(entry.get("patterns", []))
    for j, pattern in enumerate(patterns):
        _check_pattern(pattern, where=f"{where}.patterns[{j}]")
    first = entry["first_day"]
    return Schedule(
        mission=entry["mission"],
        agreement=entry["agreement"],
        first_day=dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC),
        days=int(entry["days"]),
        every=int(entry.get("every", 1)),
        places=list(places.get(named, [])) if named else [],
        area=entry.get("area", ""),
        phases=list(entry.get("phases", [])),
        patterns=patterns,
    )


def _check_pattern(pattern: Pattern, *, where: str) -> None:
    unknown = set(pattern) - PATTERN_KEYS - OBSERVATION_FIELDS
    if unknown:
        raise DemoDataError(f"{where}: unknown key(s) {sorted(unknown)}.")
    if "one_of" in pattern:
        for k, choice in enumerate(pattern["one_of"]):
            _check_pattern(choice, where=f"{where}.one_of[{k}]")
    elif "kind" not in pattern or "clause" not in pattern:
        raise DemoDataError(f"{where}: a pattern needs `kind` and `clause` (or `one_of`).")


def day_rows(schedule: Schedule, *, rng: random.Random, day_index: int) -> list[Row]:
    """The observations of one day of ``schedule``: each pattern in order, drawn from ``rng``."""
    day = schedule.first_day + dt.timedelta(days=day_index)
    rows: list[Row] = []
    for pattern in schedule.patterns:
        if day_index < pattern.get("from_day", 0):
            continue
        if "chance" in pattern and rng.random() >= pattern["chance"]:
            continue
        chosen = _one_of(pattern, rng)
        for _ in range(_count(pattern.get("repeat", 1), rng)):
            rows.append(_row(chosen, schedule, rng=rng, day=day, day_index=day_index))
    return rows


def _one_of(pattern: Pattern, rng: random.Random) -> Pattern:
    if "one_of" not in pattern:
        return pattern
    choices: list[Pattern] = pattern["one_of"]
    return rng.choices(choices, weights=[c.get("weight", 1) for c in choices])[0]


def _count(spec: int | list[int], rng: random.Random) -> int:
    return rng.randint(spec[0], spec[1]) if isinstance(spec, list) else int(spec)


def _row(
    pattern: Pattern, schedule: Schedule, *, rng: random.Random, day: dt.datetime, day_index: int
) -> Row:
    place = pattern.get("place") or rng.choice(schedule.places)
    jitter = float(pattern.get("jitter", 0))
    quantity = _quantity(pattern.get("quantity"), rng, schedule.intensity(day_index))
    row: Row = {
        "kind": pattern["kind"],
        "clause": str(pattern["clause"]),
        "occurred_at": (day + dt.timedelta(hours=_count(pattern["hour"], rng))).isoformat(),
        "place_name": place["name"],
        "admin_area": schedule.area,
        "latitude": place["lat"] + (rng.uniform(-jitter, jitter) if jitter else 0),
        "longitude": place["lon"] + (rng.uniform(-jitter, jitter) if jitter else 0),
    }
    if quantity is not None:
        row["quantity"] = quantity
    row["severity"] = _severity(pattern.get("severity", 1), quantity, rng)
    if "description" in pattern:
        row["description"] = str(pattern["description"]).format(quantity=quantity)
    for name in sorted(OBSERVATION_FIELDS & set(pattern)):
        value = pattern[name]
        row[name] = rng.choice(value) if isinstance(value, list) else value
    return {k: v for k, v in row.items() if v not in (None, "")}


def _quantity(spec: Any, rng: random.Random, intensity: float) -> int | None:
    if spec is None:
        return None
    if isinstance(spec, dict):
        mean, sd = spec["gauss"]
        return max(int(spec.get("min", 0)), int(rng.gauss(mean * intensity, sd)))
    return _count(spec, rng)


def _severity(spec: Any, quantity: int | None, rng: random.Random) -> int:
    if isinstance(spec, dict):
        return int(spec["then"] if (quantity or 0) > spec["above"] else spec["else"])
    if isinstance(spec, list):
        return int(rng.choice(spec))
    return int(spec)
