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
