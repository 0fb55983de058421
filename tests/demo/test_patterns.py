"""The demo's data file: checked on reading, and its patterns give reproducible observations."""

import random

import pytest

from demo.patterns import DemoDataError, day_rows, demo_data_read


def test_the_shipped_file_reads_and_every_schedule_makes_valid_looking_rows():
    data = demo_data_read()
    assert {s.mission for s in data["schedules"]} <= set(data["missions"])
    for schedule in data["schedules"]:
        rows = [r for i in range(10) for r in day_rows(schedule, rng=random.Random(i), day_index=i)]
        assert rows, schedule.mission
        for row in rows:
            assert row["kind"] in {"violation", "compliance", "incident", "access_restricted"}
            assert -90 <= row["latitude"] <= 90 and -180 <= row["longitude"] <= 180
            assert 1 <= row["severity"] <= 5
            assert "{quantity}" not in row.get("description", "")
            assert None not in row.values() and "" not in row.values()


def test_rows_are_reproducible_from_the_seed_and_follow_the_phases():
    minsk = demo_data_read()["schedules"][0]
    first = day_rows(minsk, rng=random.Random(7), day_index=3)
    assert first == day_rows(minsk, rng=random.Random(7), day_index=3)

    # Early days are more intense than the lull (phase multipliers 1.6 and 0.6).
    def explosions(day: int) -> int:
        rng = random.Random(1)
        return sum(
            r.get("quantity", 0)
            for d in range(day, day + 10)
            for r in day_rows(minsk, rng=rng, day_index=d)
            if r["clause"] == "1"
        )

    assert explosions(0) > explosions(30)
    # The heavy-weapons pattern starts on day 2.
    assert not any(
        r["clause"] == "2"
        for seed in range(30)
        for r in day_rows(minsk, rng=random.Random(seed), day_index=0)
    )


def test_a_mistake_in_the_file_names_where_it_is(tmp_path):
    bad = tmp_path / "demo.yaml"
    bad.write_text(
        "places: {north: []}\n"
        "schedules:\n"
        "  - {mission: m, agreement: a, first_day: 2020-01-01, days: 1, places: south}\n"
    )
    with pytest.raises(DemoDataError, match=r"schedules\[0\].*south"):
        demo_data_read(path=bad)
    bad.write_text(
        "schedules:\n"
        "  - mission: m\n    agreement: a\n    first_day: 2020-01-01\n    days: 1\n"
        "    patterns: [{kind: violation, clause: '1', colour: red}]\n"
    )
    with pytest.raises(DemoDataError, match=r"patterns\[0\].*colour"):
        demo_data_read(path=bad)
