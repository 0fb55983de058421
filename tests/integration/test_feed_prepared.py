"""On PostgreSQL the change feed's page query is a prepared statement: planned once per
connection, not on every request (monitor.feed)."""

import pytest
from django.db import connection

from monitor.feed import PREPARE_AFTER, change_row, feed_page
from monitor.models import AlertTransition
from monitor.services import rules_run

pytestmark = pytest.mark.django_db


ROWS = 37  # a page size no other test asks for: the statement (its LIMIT) is this test's own


def prepared_feed_statements() -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            [f"%%monitor_alerttransition%%LIMIT {ROWS}"],
        )
        return cursor.fetchall()


def test_the_page_query_is_prepared_after_a_few_runs_and_answers_the_same(world):
    rules_run(trigger="command")
    first = feed_page(after=0, rows=ROWS)
    assert first and prepared_feed_statements() == []
    for _ in range(PREPARE_AFTER + 1):
        assert feed_page(after=0, rows=ROWS) == first
    [(statement, runs)] = prepared_feed_statements()
    assert "ORDER BY" in statement and runs >= 1
    # The same rows as the ORM gives, whatever the path.
    expected = list(AlertTransition.objects.order_by("id").values_list("id", flat=True)[:ROWS])
    assert [change_row(row)["id"] for row in first] == expected
