"""Fuzz target for row validation: any raw row becomes column values or a RowError that
names a field, never another exception (issue 12)."""

import datetime as dt

import pytest
from hypothesis import given

from reports.ingest.rows import RowContext, RowError, validate_row
from tests.fuzz.strategies import FUZZ, ROWS

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(world):
    return RowContext.load(mission=world.mission_a, agreement_code=None, tz=dt.UTC)


@FUZZ
@given(row=ROWS)
def test_any_row_is_values_or_a_row_error(ctx, row):
    try:
        values = validate_row(row, ctx)
    except RowError as error:
        assert "\x00" not in str(error)
        return
    assert len(values) == 18
