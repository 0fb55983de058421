"""Backfill, end to end (issue 14): a 2015 Minsk II archive and a 2022 archive, shaped as the
OSCE SMM's spreadsheets are (local Kyiv times, dates without a time, variant oblast spellings),
imported through ``import_reports`` today, into a world whose 2026 agreement has live alerts.

What must hold: the archives land on their own calendar days, rows outside the clause's period
or areas are stored flagged with their reason, ``evaluate_rules --as-of`` finds the past
violations as retrospective alerts about the right dates, the scorecard of a 2015 period reads
real statuses, the overview shows Minsk II over its active life, and nothing of the present
moves: the live alerts, their transitions and the live mechanisms' cadence stay as they were.
"""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from agreements.loader import agreement_load_file
from agreements.models import Agreement, Clause, VerificationMechanism
from core.params import DateWindow
from demo.services import DATA_DIR
from monitor.models import Alert, ClauseDay
from monitor.scorecards.agreement import agreement_scorecard
from monitor.scorecards.overview import agreements_overview
from monitor.services import rules_run
from reports.models import Observation, ObserverMission, Report
from reports.selectors import mechanisms_with_last_covered
from tests.monitor.clocks_world import live_alerts_snapshot

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
KYIV = ZoneInfo("Europe/Kyiv")
VIOLATIONS = "clause.violation_recorded"

# The 2015 archive: dates as the mission's spreadsheet writes them, in Kyiv time.
ARCHIVE_2015 = """kind,clause,occurred_at,admin_area,place_name,party
violation,1,10.02.2015,Donetsk oblast,Debaltseve,
violation,1,14.02.2015 23:30,Donetska oblast,Shyrokyne,
violation,1,15.02.2015 00:30,Donetsk Oblast,Shyrokyne,
violation,1,16.02.2015,Donetsk,Horlivka,
violation,1,29.03.2015 23:30,Luhanska oblast,Shchastia,
violation,1,25.10.2015 00:30,Luhansk Oblast,Stanytsia Luhanska,
violation,1,17.02.2015,Kharkiv oblast,Kharkiv,
"""
# The 2022 archive: ten days of violations before the agreement lapsed, one after.
ARCHIVE_2022 = (
    "kind,clause,occurred_at,admin_area,place_name\n"
    + "".join(
        f"violation,1,2022-02-{day:02d}T08:00,Donetsk oblast,Avdiivka\n" for day in range(10, 20)
    )
    + "violation,1,2022-02-24T05:00,Donetsk oblast,Mariupol\n"
)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def present(world, clock):
    """The personas' 2026 agreement with its live alerts, as the engine left them."""
    rules_run(trigger="periodic")
    assert Alert.objects.filter(describes__isnull=True, state="open").exists()
    return world


@pytest.fixture
def minsk(present):
    agreement_load_file(path=DATA_DIR / "minsk-ii.yaml")
    agreement = Agreement.objects.get(code="minsk-ii")
    smm = ObserverMission.objects.create(
        code="smm-donetsk",
        name="OSCE SMM Donetsk",
        time_zone="Europe/Kyiv",
        active_from=dt.date(2014, 3, 21),
        active_until=dt.date(2022, 3, 31),
    )
    smm.mechanisms.add(VerificationMechanism.objects.get(agreement=agreement, code="osce-smm"))
    return agreement


def _import(tmp_path, name: str, text: str, on_commit) -> str:
    """The file through the ingest, and what its acceptance starts on commit (the daily
    figures and the live rules for the clauses it touched)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    with on_commit(execute=True):
        call_command(
            "import_reports",
            str(path),
            mission="smm-donetsk",
            agreement="minsk-ii",
            here=True,
            stdout=out,
            stderr=io.StringIO(),
        )
    return out.getvalue()


def _cadence() -> list[tuple]:
    live = VerificationMechanism.objects.exclude(agreement__code="minsk-ii")
    return list(
        mechanisms_with_last_covered(mechanisms=live, as_of=NOW, known_at=NOW)
        .order_by("pk")
        .values_list("pk", "last_covered", "last_filed")
    )


@pytest.fixture
def backfilled(minsk, tmp_path, clock, django_capture_on_commit_callbacks):
    before = _live_alerts(), _cadence()
    clock.shift(dt.timedelta(hours=2))
    _import(tmp_path, "smm-2015.csv", ARCHIVE_2015, django_capture_on_commit_callbacks)
    _import(tmp_path, "smm-2022.csv", ARCHIVE_2022, django_capture_on_commit_callbacks)
    return before


def _live_alerts() -> tuple[list[tuple], list[tuple]]:
    """The live alerts and their transitions, without last_seen (a later live run refreshes
    when a condition was last seen; that is the present, not a change to it)."""
    alerts, transitions = live_alerts_snapshot()
    return [
        (pk, state, severity, title, resolved)
        for pk, state, severity, title, _, resolved, _ in alerts
    ], transitions


def _point(reference: str) -> Clause:
    return Clause.objects.get(agreement__code="minsk-ii", reference=reference)


def _row(place: str, day: dt.date) -> Observation:
    return Observation.objects.get(place_name=place, occurred_on=day)


def test_the_archives_are_archival_and_leave_the_present_alone(backfilled):
    alerts_before, cadence_before = backfilled
    assert set(Report.objects.filter(mission__code="smm-donetsk").values_list("archival")) == {
        (True,)
    }
    # The ingests ran the live rules for the clauses they touched: nothing of today moved.
    rules_run(trigger="periodic")
    assert _live_alerts() == alerts_before
    assert _cadence() == cadence_before
    assert not Alert.objects.filter(agreement__code="minsk-ii", describes__isnull=True).exists()


def test_dates_stay_on_their_kyiv_calendar_day(backfilled):
    date_only = _row("Horlivka", dt.date(2015, 2, 16))
    assert date_only.date_only is True
    assert date_only.occurred_at == dt.datetime(2015, 2, 16, tzinfo=KYIV)  # 22:00 UTC on the 15th
    # 23:30 on the day summer time began (UTC+3): 20:30 UTC, the same day.
    spring = _row("Shchastia", dt.date(2015, 3, 29))
    assert spring.occurred_at == dt.datetime(2015, 3, 29, 20, 30, tzinfo=dt.UTC)
    # 00:30 on the day summer time ended, still UTC+3: 21:30 UTC on the 24th, counted on the 25th.
    autumn = _row("Stanytsia Luhanska", dt.date(2015, 10, 25))
    assert autumn.occurred_at == dt.datetime(2015, 10, 24, 21, 30, tzinfo=dt.UTC)
    point_1 = _point("1")
    days = dict(
        ClauseDay.objects.filter(clause=point_1, day__year=2015, violations__gt=0).values_list(
            "day", "violations"
        )
    )
    assert days == {
        dt.date(2015, 2, 15): 1,
        dt.date(2015, 2, 16): 1,
        dt.date(2015, 3, 29): 1,
        dt.date(2015, 10, 25): 1,
    }


def test_rows_outside_the_clause_are_stored_flagged_with_their_reason(backfilled):
    before_start = _row("Debaltseve", dt.date(2015, 2, 10))
    assert (before_start.outside_period, before_start.outside_area) == (True, False)
    assert "before" in before_start.scope_note and "15 February 2015" in before_start.scope_note
    # 23:30 Kyiv on the 14th is before the ceasefire's 00:00 on the 15th; 00:30 is after.
    assert _row("Shyrokyne", dt.date(2015, 2, 14)).outside_period is True
    assert _row("Shyrokyne", dt.date(2015, 2, 15)).outside_period is False
    after_end = _row("Mariupol", dt.date(2022, 2, 24))
    assert after_end.outside_period is True and "2022" in after_end.scope_note
    kharkiv = _row("Kharkiv", dt.date(2015, 2, 17))
    assert (kharkiv.outside_period, kharkiv.outside_area) == (False, True)
    assert "Kharkiv" in kharkiv.scope_note
    # Variant spellings of the clause's oblasts are inside.
    for place in ("Horlivka", "Shchastia", "Stanytsia Luhanska"):
        assert not Observation.objects.get(place_name=place).outside_area, place
    outside = dict(
        ClauseDay.objects.filter(clause=_point("1"), outside__gt=0).values_list("day", "outside")
    )
    assert outside == {
        dt.date(2015, 2, 10): 1,
        dt.date(2015, 2, 14): 1,
        dt.date(2015, 2, 17): 1,
        dt.date(2022, 2, 24): 1,
    }


def test_evaluate_rules_as_of_past_dates_finds_retrospective_violations(backfilled):
    alerts_before, _ = backfilled
    for as_of in ("2022-02-20", "2015-03-31"):
        call_command("evaluate_rules", agreement=["minsk-ii"], as_of=as_of, stdout=io.StringIO())
    found = {
        alert.describes.date(): alert
        for alert in Alert.objects.filter(rule=VIOLATIONS, clause=_point("1"))
    }
    assert set(found) == {dt.date(2022, 2, 20), dt.date(2015, 3, 31)}
    assert found[dt.date(2022, 2, 20)].details["count"] == 10
    # In the 30 days before 31 March 2015: only 29 March counts (flagged rows never do).
    assert found[dt.date(2015, 3, 31)].details["count"] == 1
    assert _live_alerts() == alerts_before


def test_the_scorecard_of_a_2015_period_reads_real_statuses(backfilled):
    minsk = Agreement.objects.get(code="minsk-ii")
    card = agreement_scorecard(
        agreement=minsk,
        period=DateWindow(start=dt.date(2015, 2, 15), end=dt.date(2015, 3, 31)),
    )
    row = next(r for r in card.rows if r.clause.reference == "1")
    assert row.status == "violated"  # 29 March is within 30 days of 31 March
    assert row.violations == 3  # 15 and 16 February, 29 March
    assert row.outside == 1  # Kharkiv, 17 February (the 14th is before the period)
    assert card.not_in_force < len(card.rows)
    default = agreement_scorecard(agreement=minsk)
    assert (default.period.start, default.period.end) == (
        dt.date(2015, 2, 15),
        dt.date(2022, 2, 21),
    )
    point_1 = next(r for r in default.rows if r.clause.reference == "1")
    assert point_1.status == "violated" and point_1.violations == 14


def test_the_overview_shows_each_agreement_over_its_own_period(backfilled):
    rows = {row.agreement.code: row for row in agreements_overview()}
    minsk = rows["minsk-ii"]
    assert minsk.kind == "active_life"
    assert minsk.violations == 14 and minsk.violations_30d is None
    assert sum(minsk.trend) == 14
    live = [row for code, row in rows.items() if code != "minsk-ii"]
    assert live and all(row.kind == "last_30_days" for row in live)
    assert all(row.violations_30d is not None for row in live)
