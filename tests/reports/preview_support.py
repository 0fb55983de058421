"""What the import preview, command and admin tests share: the patrol log of
tests/data/imports/preview_patrols.csv, its profile, and a workbook whose first sheet is a
read-me."""

import io
from pathlib import Path

from openpyxl import Workbook

from tests.factories import PartyFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
PATROLS = DATA / "preview_patrols.csv"
PATROLS_PROFILE = DATA / "preview_patrols.yaml"
# The lines of the patrol log with a problem (rows 8 and 9).
PROBLEM_LINES = ("2025-03-03 10:00,rumour", "31.02.2025 10:00")


def patrol_world(world) -> None:
    """Kyiv time for the agreement and mission A; the parties East and West."""
    world.agreement.time_zone = "Europe/Kyiv"
    world.agreement.save()
    world.mission_a.time_zone = "Europe/Kyiv"
    world.mission_a.save()
    PartyFactory(code="east", name="East")
    PartyFactory(code="west", name="West")


def clean_patrols() -> bytes:
    """The patrol log without its two problem rows: five observations."""
    lines = PATROLS.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(PROBLEM_LINES)).encode()


def inspections_workbook() -> bytes:
    """A read-me sheet first, then "Inspections": three rows (one a sighting, which is no
    kind), a blank row between them, and a decimal tonnage."""
    book = Workbook()
    readme = book.active
    readme.title = "Read me"
    readme.append(["This workbook lists the inspections of the joint centre."])
    sheet = book.create_sheet("Inspections")
    sheet.append(["Inspected at", "Kind", "Place", "Tonnage", "Status"])
    sheet.append(["2025-03-01T08:00:00Z", "incident", "Port A", 12.5, "cleared"])
    sheet.append(["2025-03-01T09:00:00Z", "sighting", "Port B", 3, "repeat"])
    sheet.append([])
    sheet.append(["2025-03-02T10:00:00Z", "information", "Port A", 40.25, "cleared"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


INSPECTIONS_PROFILE = """\
name: Inspections
sheet: Inspections
columns:
  Inspected at: occurred_at
  Kind: kind
  Place: place_name
  Tonnage: amount
set:
  unit: t
"""
