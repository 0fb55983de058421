"""The two clocks end to end: an archival Minsk II report imported today, then
``evaluate_rules --agreement minsk-ii --as-of 2022-02-20`` finds its violations and writes
retrospective alerts about that date; and the clocks' own rules (the margin, the refusals, the
parameter)."""

import datetime as dt
import json
import re
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from core.params import ParameterError, known_at_param
from monitor import tasks
from monitor.clocks import RETROSPECTIVE_MARGIN, clocks_check, evaluation_is_retrospective
from monitor.models import Alert, EvaluationRun
from monitor.selectors import alerts_live, alerts_retrospective
from reports.models import InboundPayload
from tests.monitor.clocks_world import (
    AS_OF,
    NOW,
    VIOLATIONS,
    clocks_world_build,
    live_alerts_snapshot,
    live_run,
)


def command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def imported(world, clock, tmp_path):
    """Live alerts open on the personas' agreement; Minsk II loaded; the SMM's February 2022
    report on point 1 imported today through the ingest pipeline."""
    live_run()
    built = clocks_world_build(filed=False)
    body = {
        "mission": "smm-donetsk",
        "external_id": "SMM-DON-2022-02",
        "agreement": "minsk-ii",
        "period": {"start": "2022-02-10T00:00:00+02:00", "end": "2022-02-20T00:00:00+02:00"},
        "observations": [
            {
                "kind": "violation",
                "clause": "1",
                "occurred_at": f"2022-02-{day}T21:40:00+02:00",
                "place_name": "Shyrokyne",
                "severity": 3,
                "grade": "B2",
                "description": "Explosions assessed as artillery.",
            }
            for day in range(10, 20)
        ],
    }
    path = tmp_path / "smm-2022-02.json"
    path.write_text(json.dumps(body))
    command("import_reports", str(path), "--mission", "smm-donetsk", "--here")
    assert InboundPayload.objects.get(filename="smm-2022-02.json").state == "done"
    return built


def test_evaluate_rules_as_of_a_past_date_finds_the_violations_filed_today(imported, clock):
    clock.shift(dt.timedelta(hours=2))
    before = live_alerts_snapshot()
    output = command("evaluate_rules", "--agreement", "minsk-ii", "--as-of", "2022-02-20")
    counts = {m[1]: int(m[2]) for m in re.finditer(r"^(clause\.\w+)\s+(\d+)$", output, re.M)}
    assert counts[VIOLATIONS] == 1
    alert = alerts_retrospective().get(rule=VIOLATIONS)
    # A day given for one agreement ends where its days end: midnight in Kyiv (UTC+2).
    kyiv_day_end = dt.datetime(2022, 2, 20, 21, 59, 59, tzinfo=dt.UTC)
    assert (alert.clause, alert.describes) == (imported.point_1, kyiv_day_end)
    assert alert.details["count"] == 10
    assert alert.title.startswith("As of 20 February 2022")
    assert "Describes 20 February 2022, counting what was filed by 2026-03-01 14:00 UTC" in output
    written = alerts_retrospective().count()
    assert f"retrospective alerts about 20 February 2022: opened {written}," in output
    assert live_alerts_snapshot() == before  # the other agreement's live alerts
    assert not alerts_live().filter(agreement=imported.minsk).exists()
    run = EvaluationRun.objects.get(retrospective=True)
    assert (run.as_of, run.known_at, run.trigger) == (
        kyiv_day_end,
        NOW + dt.timedelta(hours=2),
        "command",
    )


def test_the_list_names_the_date_each_finding_describes(imported):
    output = command(
        "evaluate_rules", "--agreement", "minsk-ii", "--as-of", "2022-02-20", "--list", "--dry-run"
    )
    assert "- [clause.violation_recorded] 10 violation(s)" in output
    assert "(dry run: alerts not changed)" in output
    assert not Alert.objects.filter(describes__isnull=False).exists()


def test_known_at_before_the_import_finds_nothing_about_that_date(imported):
    output = command(
        "evaluate_rules",
        "--agreement",
        "minsk-ii",
        "--as-of",
        "2022-02-20",
        "--known-at",
        "2026-02-28T12:00",
    )
    assert "counting what was filed by 2026-02-28 12:00 UTC" in output
    assert not alerts_retrospective().filter(rule=VIOLATIONS).exists()


def test_a_margin_of_an_hour_separates_the_present_from_the_past():
    assert not evaluation_is_retrospective(as_of=NOW - RETROSPECTIVE_MARGIN, known_at=NOW)
    assert evaluation_is_retrospective(
        as_of=NOW - RETROSPECTIVE_MARGIN - dt.timedelta(seconds=1), known_at=NOW
    )
    clocks_check(as_of=NOW - dt.timedelta(minutes=5), known_at=NOW, now=NOW)  # a late beat run
    clocks_check(as_of=AS_OF, known_at=NOW - dt.timedelta(days=400), now=NOW)
    with pytest.raises(ValueError, match="live alerts follow what is known now"):
        clocks_check(as_of=AS_OF, known_at=AS_OF, now=NOW)


def test_evaluate_rules_refuses_a_known_at_in_the_future(world, clock):
    with pytest.raises(CommandError, match="is not a date"):
        command("evaluate_rules", "--known-at", "2026-03-01T25:00")
    output = command("evaluate_rules", "--known-at", "2026-03-01")  # today: as far as it went
    assert "alerts opened" in output


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("2022-03-01", dt.datetime(2022, 3, 1, 23, 59, 59, tzinfo=dt.UTC)),
        ("2022-03-01T12:30", dt.datetime(2022, 3, 1, 12, 30, tzinfo=dt.UTC)),
        ("2022-03-01T12:30+02:00", dt.datetime(2022, 3, 1, 10, 30, tzinfo=dt.UTC)),
        ("", None),
    ],
)
def test_known_at_is_a_date_or_a_date_and_time(value, moment):
    assert known_at_param({"known_at": value}) == moment


@pytest.mark.parametrize("value", ["yesterday", "2022-02-30", "1899-12-31T12:00", "01.03.2022"])
def test_a_bad_known_at_says_what_it_must_be(value):
    with pytest.raises(ParameterError) as caught:
        known_at_param({"known_at": value})
    assert caught.value.name == "known_at"
    assert "YYYY-MM-DD" in caught.value.message or "from 1900" in caught.value.message


def test_the_rules_task_runs_a_retrospective_evaluation_when_given_a_past_as_of(world, clock):
    clocks_world_build()
    tasks.rules_run(as_of=AS_OF.isoformat())
    run = EvaluationRun.objects.get()
    assert (run.retrospective, run.as_of, run.trigger) == (True, AS_OF, "command")
    assert alerts_retrospective().filter(rule=VIOLATIONS, describes=AS_OF).exists()
    tasks.rules_run()  # the beat's call: the present
    assert EvaluationRun.objects.filter(retrospective=False, trigger="periodic").exists()
