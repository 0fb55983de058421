"""A 100,000-row conflict-event export (ACLED's columns under HDX's hashtags), previewed and
then imported by the command line through the shipped acled profile into PostgreSQL: every
row stored, every figure of the preview what the import then stored, no column lost."""

import csv
import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count

from agreements.models import Party
from reports.models import InboundPayload, Observation

# A minute of one core's work: it takes turns with the other heavy tests.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("big-payloads")]
ROWS = 100_000
# The header and hashtag rows of the small export beside the other real-shaped files.
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "imports" / "acled-ukraine-2025.csv"
HEADERS, TAGS = list(csv.reader(SAMPLE.read_text(encoding="utf-8").splitlines()))[:2]
EVENTS = [  # (event type, sub-event type, kind the acled profile gives it)
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", "violation"),
    ("Battles", "Armed clash", "violation"),
    ("Violence against civilians", "Attack", "violation"),
    ("Protests", "Peaceful protest", "information"),
    ("Strategic developments", "Looting/property destruction", "information"),
    ("Riots", "Mob violence", "incident"),
]
ACTORS = [  # (as ACLED writes it, known to a party?)
    ("Military Forces of Ukraine (2019-)", True),
    ("Military Forces of Russia (2000-)", True),
    ("Unidentified Armed Group (Ukraine)", False),
    ("Protesters (Ukraine)", False),
]


def _export() -> tuple[bytes, Counter, Counter]:
    """The export, the kinds it must give, and the actors no party is known by."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerow(TAGS)
    kinds: Counter = Counter()
    unknown: Counter = Counter()
    first = dt.date(2025, 1, 1)
    for n in range(ROWS):
        event_type, sub_event, kind = EVENTS[n % len(EVENTS)]
        actor, known = ACTORS[n % len(ACTORS) if n % 7 else 0]
        kinds[kind] += 1
        if not known:
            unknown[actor] += 1
        day = first + dt.timedelta(days=n % 60)
        writer.writerow(
            [f"UKR{300000 + n}", day.isoformat(), day.year, 1, "Political violence",
             event_type, sub_event, actor, "", 1, "", "", "", 10, "", 804, "Europe",
             "Ukraine", "Donetsk", "Pokrovskyi", "Pokrovska", "Pokrovsk",
             f"{48.2 + (n % 100) / 1000:.4f}", f"{37.1 + (n % 90) / 1000:.4f}", 1,
             "Ukrinform", "National", f"Event {n}.", n % 3, "", 1739896412]
        )  # fmt: skip
    return out.getvalue().encode(), kinds, unknown


def test_a_100000_row_export_is_previewed_then_imported_whole(world, tmp_path):
    Party.objects.create(code="ua", name="Ukraine", aliases=["Military Forces of Ukraine (2019-)"])
    Party.objects.create(code="ru", name="Russia", aliases=["Military Forces of Russia (2000-)"])
    body, kinds, unknown = _export()
    path = tmp_path / "ukraine-acled-2025.csv"
    path.write_bytes(body)
    common = [str(path), "--mission", world.mission_a.code, "--agreement", "test-ceasefire"]
    common += ["--profile", "acled", "--set", "clause=1"]

    out = io.StringIO()
    call_command("import_reports", *common, "--dry-run", "--json", stdout=out)
    [preview] = json.loads(out.getvalue())
    assert InboundPayload.objects.count() == Observation.objects.count() == 0
    assert preview["totals"]["would_store"] == ROWS
    assert preview["totals"]["with_problems"] == 0

    call_command("import_reports", *common, "--here", stdout=io.StringIO())

    stored = Observation.objects.filter(report__mission=world.mission_a)
    assert stored.count() == ROWS
    assert Counter(dict(stored.values_list("kind").annotate(n=Count("id")))) == kinds
    kept_as_text = stored.filter(party__isnull=True).values_list("actor").annotate(n=Count("id"))
    assert Counter(dict(kept_as_text)) == unknown
    assert stored.filter(party__code="ua").count() == ROWS - sum(unknown.values()) - (
        stored.filter(party__code="ru").count()
    )
    # Every column the profile maps to no field is kept on every row, tagged or not.
    for key in ("event_type", "sub_event_type", "timestamp", "geo_precision", "fatalities"):
        assert stored.filter(attributes__has_key=key).count() == ROWS, key
    assert stored.filter(occurred_on__isnull=True).count() == 0
