"""evaluate_rules: evaluate now and update the live alerts, or --as-of a past date and write
retrospective alerts about it; --dry-run changes nothing."""

import datetime as dt
import re
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from agreements.loader import agreement_load_file
from demo.services import DATA_DIR
from monitor.models import Alert, AlertTransition, EvaluationRun
from monitor.rules import RULES

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def evaluate_rules(*args: str) -> str:
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("evaluate_rules", *args, stdout=out)
    return out.getvalue()


def table(output: str) -> dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(r"^(clause\.\w+)\s+(\d+)$", output, re.M)}


def alerts_snapshot() -> tuple:
    return (
        list(Alert.objects.order_by("pk").values_list("pk", "state", "last_seen", "severity")),
        AlertTransition.objects.count(),
    )


@pytest.fixture
def minsk(world):
    agreement_load_file(path=DATA_DIR / "minsk-ii.yaml")


def test_prints_the_summary_table_with_every_rule_and_updates_alerts(world):
    output = evaluate_rules()
    assert "As of 2025-03-01 12:00 UTC, 3 clauses" in output
    counts = table(output)
    assert list(counts) == list(RULES)
    assert counts["clause.unmonitored"] == 1
    assert counts["clause.stale_monitoring"] == 2  # neither mission has reported
    assert sum(counts.values()) == Alert.objects.count() == 3
    assert "alerts opened 3, updated 0, resolved 0" in output
    run = EvaluationRun.objects.get()
    assert (run.trigger, run.opened, run.summary["per_rule"]) == ("command", 3, counts)
    assert run.queries > 0


def test_a_second_run_opens_nothing(world):
    evaluate_rules()
    assert "alerts opened 0, updated 0, resolved 0" in evaluate_rules()


def test_list_prints_every_finding(world):
    output = evaluate_rules("--list")
    assert "- [clause.unmonitored] Test ceasefire, clause 3 (Exchange) is in force" in output


def live_snapshot() -> tuple:
    live = Alert.objects.filter(describes__isnull=True).order_by("pk")
    return (
        list(live.values_list("pk", "state", "last_seen", "severity")),
        AlertTransition.objects.filter(alert__describes__isnull=True).count(),
    )


def test_as_of_a_past_date_writes_retrospective_alerts_and_leaves_live_ones(minsk):
    evaluate_rules()
    before = live_snapshot()
    assert before[0]  # there are live alerts to leave alone
    output = evaluate_rules("--agreement", "minsk-ii", "--as-of", "2015-04-01")
    assert live_snapshot() == before
    # One agreement (Minsk II, Europe/Kyiv, summer time): its 1 April ends at 20:59:59 UTC.
    assert "As of 2015-04-01 20:59 UTC" in output
    assert "Describes 1 April 2015, counting what was filed by 2025-03-01 12:00 UTC" in output
    assert table(output)["clause.unmonitored"] == 7
    retrospective = Alert.objects.filter(describes__isnull=False)
    assert retrospective.filter(rule="clause.unmonitored").count() == 7
    assert set(retrospective.values_list("describes", flat=True)) == {
        dt.datetime(2015, 4, 1, 20, 59, 59, tzinfo=dt.UTC)
    }
    opened = retrospective.count()
    assert f"retrospective alerts about 1 April 2015: opened {opened}, updated 0, resolved 0" in (
        output
    )
    assert "(live alerts not changed)" in output
    run = EvaluationRun.objects.get(retrospective=True)  # the live run before is not
    assert (run.as_of.date(), run.known_at, run.opened) == (dt.date(2015, 4, 1), NOW, opened)


def test_dry_run_changes_no_alert(minsk):
    evaluate_rules()
    before, runs = alerts_snapshot(), EvaluationRun.objects.count()
    output = evaluate_rules("--agreement", "minsk-ii", "--as-of", "2015-04-01", "--dry-run")
    assert alerts_snapshot() == before
    assert EvaluationRun.objects.count() == runs
    assert "(dry run: alerts not changed)" in output
    assert table(output)["clause.unmonitored"] == 7


def test_known_at_in_the_past_needs_an_earlier_as_of(minsk):
    with pytest.raises(CommandError, match="live alerts follow what is known now"):
        evaluate_rules("--known-at", "2015-04-01")
    assert not Alert.objects.exists()
    output = evaluate_rules("--known-at", "2015-04-01", "--dry-run")
    assert "As of 2015-04-01 23:59 UTC" in output


def test_as_of_today_is_the_present(world):
    output = evaluate_rules("--as-of", "2025-03-01")
    assert "As of 2025-03-01 12:00 UTC" in output  # not the end of a day still under way
    assert "alerts opened 3" in output
    assert not Alert.objects.filter(describes__isnull=False).exists()


def test_as_of_accepts_a_date_time(minsk):
    output = evaluate_rules("--agreement", "minsk-ii", "--as-of", "2015-03-08T06:30:00")
    assert "As of 2015-03-08 06:30 UTC" in output


def test_an_unknown_agreement_is_refused(world):
    with pytest.raises(CommandError, match='Unknown agreement "no-such-agreement"'):
        evaluate_rules("--agreement", "no-such-agreement")
    assert not Alert.objects.exists()


@pytest.mark.parametrize("value", ["2015-02-30", "yesterday", "01/04/2015"])
def test_a_bad_date_is_refused(world, value):
    with pytest.raises(CommandError, match="is not a date"):
        evaluate_rules("--as-of", value)
    with pytest.raises(CommandError, match="is not a date"):
        evaluate_rules("--known-at", value)
    assert not Alert.objects.exists()
