"""The load generator the benchmarks use writes rows the observations table takes (its
columns follow the ingest's), on SQLite (bulk_create) and PostgreSQL (COPY)."""

import pytest

from demo.loadgen import load_generate
from reports.models import Observation

pytestmark = pytest.mark.django_db


def test_generated_rows_are_written_whole_and_count_against_their_clauses():
    summary = load_generate(agreements=2, clauses=20, observations=500, seed=3)
    assert summary.observations == Observation.objects.count() == 500
    rows = Observation.objects.all()
    assert not rows.filter(outside_period=True).exists()
    assert not rows.filter(outside_area=True).exists()
    assert not rows.filter(occurred_on__isnull=True).exists()


def test_generated_payloads_fall_inside_their_clauses_when_ingested():
    """The benchmarks' payloads must count: rows outside their clause's areas or period would
    be flagged and left out of the rules (the stream benchmark saw no alert at all)."""
    import datetime as dt

    from django.utils import timezone

    from demo.loadgen import payload_bodies
    from reports.ingest.process import payload_ingest
    from reports.ingest.receive import payload_receive
    from reports.models import Channel, ObserverMission

    load_generate(agreements=2, clauses=20, observations=0, seed=4, prefix="bench")
    mission = next(m for m in ObserverMission.objects.all() if m.mechanisms.exists())
    body = next(
        payload_bodies(
            mission=mission,
            observations=200,
            per_payload=200,
            seed=1,
            start=timezone.now() - dt.timedelta(days=60),
        )
    )
    payload = payload_receive(
        body=body,
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=None,
        mission=mission,
    ).payload
    assert payload_ingest(payload_id=payload.pk) == "done"
    rows = Observation.objects.filter(report__mission=mission)
    assert rows.count() == 200
    assert list(rows.filter(outside_area=True).values_list("scope_note", flat=True)[:3]) == []
    assert not rows.filter(outside_period=True).exists()
