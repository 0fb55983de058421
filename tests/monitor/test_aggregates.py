"""The daily pre-aggregates the scorecards read agree with the raw observations.

Reports go through the real ingest pipeline, then the aggregates are refreshed for the clauses
the ingest touched, as the rules task does after every ingest.
"""

import datetime as dt
import json
import os
import random
import subprocess
import sys

import pytest
from django.conf import settings

from monitor.aggregates import aggregates_refresh
from monitor.models import ClauseDay, EvaluationRun, PartyDay
from monitor.scorecards.figures import period_figures
from monitor.tasks import clauses_evaluate
from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.models import Channel, InboundPayload, Observation, Report, ReportStatus
from tests.factories import PartyFactory
from tests.monitor.raw_figures import period_figures_from_observations

FIRST_DAY = dt.date(2025, 2, 1)
DAYS = 35
PERIODS = [
    (dt.date(2025, 1, 15), dt.date(2025, 3, 31)),  # everything
    (dt.date(2025, 2, 5), dt.date(2025, 2, 20)),  # starts and ends mid-week
    (dt.date(2025, 2, 3), dt.date(2025, 2, 3)),  # one Monday
    (dt.date(2025, 2, 9), dt.date(2025, 2, 9)),  # one Sunday
    (dt.date(2025, 4, 1), dt.date(2025, 4, 30)),  # nothing observed
]


@pytest.fixture
def parties(db):
    return [PartyFactory(code="north", name="North"), PartyFactory(code="south", name="South")]


@pytest.fixture
def covered(world):
    """Mission A watches clauses 1 and 2, so a correction can move rows between them."""
    world.mechanism_a.clauses.add(world.clause_b)
    return world


def _observations(rng: random.Random, day: dt.date) -> list[dict]:
    rows = []
    for _ in range(rng.randint(1, 5)):
        kind = rng.choice(["violation", "violation", "compliance", "incident", "information"])
        # Late evenings in Kyiv time fall on the next or previous UTC day: the day (and week)
        # an observation counts for must be the same in the aggregates and the raw query.
        hour = rng.choice([0, 1, 12, 22, 23])
        offset = rng.choice(["Z", "+02:00", "-05:00"])
        rows.append(
            {
                "kind": kind,
                "clause": rng.choice(["1", "2"]),
                "occurred_at": f"{day.isoformat()}T{hour:02d}:{rng.randint(0, 59):02d}:00{offset}",
                "place_name": "Checkpoint",
                "latitude": 47.1,
                "longitude": 37.5,
                "quantity": rng.randint(1, 40),
                **({"party": rng.choice(["north", "south", None])} if kind == "violation" else {}),
            }
        )
    return [{k: v for k, v in row.items() if v is not None} for row in rows]


def ingest(document: dict, *, sender) -> InboundPayload:
    payload = payload_receive(
        body=json.dumps(document).encode(),
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=sender,
    ).payload
    payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    assert payload.state == InboundPayload.State.DONE, payload.errors
    return payload


def daily_report(day: dt.date, observations: list[dict]) -> dict:
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return {
        "mission": "mission-a",
        "external_id": f"A-{day:%Y%m%d}",
        "agreement": "test-ceasefire",
        "period": {
            "start": (start - dt.timedelta(hours=6)).isoformat(),
            "end": (start + dt.timedelta(days=1, hours=6)).isoformat(),
        },
        "observations": observations,
    }


@pytest.fixture
def filed(covered, parties, observer_a) -> dict[dt.date, InboundPayload]:
    """Five weeks of daily reports, the aggregates refreshed after each as the task does."""
    rng = random.Random(8)
    payloads = {}
    for n in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=n)
        payload = ingest(daily_report(day, _observations(rng, day)), sender=observer_a)
        aggregates_refresh(clause_ids=payload.result["clauses"])
        payloads[day] = payload
    return payloads


def figures(agreement, start, end, source):
    read = period_figures if source == "aggregates" else period_figures_from_observations
    return read(agreement=agreement, start=start, end=end)


def assert_sources_agree(agreement) -> None:
    for start, end in PERIODS:
        from_aggregates = figures(agreement, start, end, "aggregates")
        from_raw = figures(agreement, start, end, "raw")
        assert from_aggregates == from_raw, (start, end)


def test_aggregates_agree_with_raw_observations_for_every_period(covered, filed):
    assert_sources_agree(covered.agreement)


def test_the_figures_count_every_accepted_observation(covered, filed):
    whole = figures(covered.agreement, *PERIODS[0], "aggregates")
    accepted = Observation.objects.filter(report__status=ReportStatus.ACCEPTED)
    violations = accepted.filter(kind=Observation.Kind.VIOLATION)
    compliance = accepted.filter(kind=Observation.Kind.COMPLIANCE)

    cells = [cell for row in whole.heatmap.values() for cell in row]
    assert sum(v for v, _ in cells) == violations.count() > 0
    assert sum(c for _, c in cells) == compliance.count() > 0
    attributed = violations.filter(party__isnull=False).count()
    assert sum(p.violations for p in whole.by_party) == attributed > 0
    assert {p.party for p in whole.by_party} == {"north", "south"}
    assert [w.weekday() for w in whole.weeks] == [0] * len(whole.weeks)


def test_nothing_observed_in_the_period_gives_empty_figures(covered, filed):
    empty = figures(covered.agreement, *PERIODS[-1], "aggregates")

    assert empty.heatmap == {} and empty.by_party == ()
    assert len(empty.weeks) == 5  # 31 March to 28 April, by their Mondays


def test_a_shorter_period_counts_only_its_days(covered, filed):
    day = dt.date(2025, 2, 12)
    one_day = figures(covered.agreement, day, day, "aggregates")
    expected = Observation.objects.filter(
        report__status=ReportStatus.ACCEPTED,
        kind=Observation.Kind.VIOLATION,
        occurred_on=day,
    ).count()

    assert sum(v for row in one_day.heatmap.values() for v, _ in row) == expected
    assert figures(covered.agreement, day, day, "raw") == one_day


def test_after_a_correction_they_still_agree_and_the_old_report_no_longer_counts(
    covered, filed, observer_a
):
    # A day whose report spoke only of clause 2: its correction speaks only of clause 1.
    day = next(d for d, p in filed.items() if p.result["clauses"] == [covered.clause_b.pk])
    old = Report.objects.get(pk=filed[day].report_id)
    old_violations = old.observations.filter(kind=Observation.Kind.VIOLATION).count()
    assert old_violations
    whole = PERIODS[0]
    before = figures(covered.agreement, *whole, "aggregates").heatmap
    corrected = [
        {
            "kind": "violation",
            "clause": "1",
            "occurred_at": f"{day.isoformat()}T12:00:00Z",
            "place_name": "Checkpoint",
            "party": "north",
            "quantity": 1,
        }
    ] * 7
    payload = ingest(daily_report(day, corrected), sender=observer_a)
    aggregates_refresh(clause_ids=payload.result["clauses"])

    old.refresh_from_db()
    assert old.status == ReportStatus.SUPERSEDED
    assert payload.result["supersedes"] == old.pk
    after = figures(covered.agreement, *whole, "aggregates").heatmap

    def total(heatmap, clause):
        return sum(v for v, _ in heatmap[clause.pk])

    assert total(after, covered.clause_a) == total(before, covered.clause_a) + 7
    assert total(after, covered.clause_b) == total(before, covered.clause_b) - old_violations
    assert_sources_agree(covered.agreement)


def test_the_rules_task_refreshes_the_aggregates(covered, parties, observer_a):
    day = dt.date(2025, 2, 14)
    rows = [
        {
            "kind": "violation",
            "clause": "1",
            "occurred_at": "2025-02-14T10:00:00Z",
            "party": "south",
        },
        {"kind": "compliance", "clause": "2", "occurred_at": "2025-02-14T23:30:00-02:00"},
    ]
    payload = ingest(daily_report(day, rows), sender=observer_a)
    assert not ClauseDay.objects.exists()  # the doorbell rings on commit, not in a test

    result = clauses_evaluate.apply(args=[payload.result["clauses"]])

    assert result.successful(), result.traceback
    assert EvaluationRun.objects.filter(trigger=EvaluationRun.Trigger.INGEST).count() == 1
    days = {
        (d.clause_id, d.day): (d.violations, d.compliance)
        for d in ClauseDay.objects.filter(agreement=covered.agreement)
    }
    assert days == {
        (covered.clause_a.pk, day): (1, 0),
        (covered.clause_b.pk, dt.date(2025, 2, 15)): (0, 1),  # 23:30 at UTC-2 is the 15th
    }
    assert list(PartyDay.objects.values_list("party__code", "violations")) == [("south", 1)]
    assert_sources_agree(covered.agreement)


def test_a_full_refresh_changes_nothing_after_incremental_ones(covered, filed):
    incremental = figures(covered.agreement, *PERIODS[0], "aggregates")
    count = ClauseDay.objects.count()

    aggregates_refresh()

    assert ClauseDay.objects.count() == count
    assert figures(covered.agreement, *PERIODS[0], "aggregates") == incremental


def test_the_rules_task_is_known_wherever_payloads_are_ingested():
    # A fresh process, as the web server or load_demo: this test process imported it above.
    probe = (
        "import django; django.setup(); from reports import tasks; "
        "from config.celery import app; print('monitor.clauses_evaluate' in app.tasks)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.split()[-1] == "True"
