"""Database helpers any app may use (no models)."""

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet


def fetch_rows(queryset: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` query as plain tuples.

    On PostgreSQL the driver already returns Python types, so the rows are read straight
    from the cursor, without Django's per-row converters: for the tens of thousands of
    groups of a full evaluation that is a large share of the time. Elsewhere (SQLite keeps
    datetimes as text) the queryset runs as usual.
    """
    if connection.vendor != "postgresql":
        return list(queryset)
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a condition nothing can meet (an empty id list): no query at all
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows
