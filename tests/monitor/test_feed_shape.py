"""The change feed is built by hand for speed; it must say exactly what ChangeSerializer says."""

import pytest

from monitor.api.serializers import ChangeSerializer
from monitor.feed import CHANGE_FIELDS, change_row, feed_page
from monitor.models import AlertTransition
from monitor.services import alert_set_state, rules_run


@pytest.mark.django_db
def test_hand_built_feed_rows_equal_the_serializer(world, analyst):
    rules_run(trigger="command")
    alert = world.clause_unmonitored.alerts.get()
    alert_set_state(alert=alert, state="acknowledged", by=analyst, comment="seen")
    rows = AlertTransition.objects.order_by("id")
    assert rows.count() >= 2
    by_hand = [change_row(r) for r in rows.values_list(*CHANGE_FIELDS)]
    assert by_hand == ChangeSerializer(rows, many=True).data
    # The page read (a prepared statement on PostgreSQL) gives the same rows.
    assert [change_row(r) for r in feed_page(after=0, rows=1000)] == by_hand


@pytest.mark.django_db
def test_a_filter_value_no_row_can_match_gives_an_empty_page(world):
    # Beyond a small integer column's range Django compiles no query at all (EmptyResultSet).
    rules_run(trigger="command")
    assert feed_page(after=0, rows=10) != []
    assert feed_page(after=0, rows=10, min_severity=343_372) == []
