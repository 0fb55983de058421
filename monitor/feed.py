"""The change feed's page read: alert transitions after a cursor, with their alert's current
fields, as plain rows.

This is the API's hottest endpoint, so on PostgreSQL the page query is compiled once per
shape (which filters, which page size) and run as a prepared statement on a server-side
binding cursor: PostgreSQL plans the six-table join once per connection, not per request.
Elsewhere (SQLite in the embedded mode) it runs through the ORM as usual. Both paths return
the same tuples, in ``CHANGE_FIELDS`` order.
"""

import datetime as dt
from contextlib import contextmanager

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from monitor.models import AlertTransition

CHANGE_FIELDS = [
    "id",
    "kind",
    "from_state",
    "to_state",
    "severity",
    "at",
    "by__username",
    "comment",
    "alert_id",
    "alert__rule",
    "alert__title",
    "alert__explanation",
    "alert__state",
    "alert__severity",
    "alert__agreement__code",
    "alert__clause__reference",
    "alert__party__code",
    "alert__first_seen",
    "alert__last_seen",
    "alert__describes",
]

# (agreement?, min_severity?, rule?, retrospective?, rows) -> SQL with %s placeholders, in
# that order (the retrospective condition takes no parameter).
_COMPILED: dict[tuple[bool, bool, bool, bool, int], str] = {}
_COMPILED_MAX = 256
PREPARE_AFTER = 5  # runs of one statement on a connection before psycopg prepares it


def _query(
    after: int,
    rows: int,
    agreement: str,
    min_severity: int,
    rule: str,
    retrospective: bool,
    scope=None,
):
    # Comments are notes on the record, not changes of state: the feed skips them (the
    # cursor, an id, passes over them all the same).
    query = (
        AlertTransition.objects.filter(id__gt=after)
        .exclude(kind=AlertTransition.Kind.COMMENTED)
        .order_by("id")
    )
    if not retrospective:
        query = query.filter(alert__describes__isnull=True)
    if scope is not None:
        query = query.filter(alert__agreement__in=scope)
    if agreement:
        query = query.filter(alert__agreement__code=agreement)
    if min_severity:
        query = query.filter(severity__gte=min_severity)
    if rule:
        query = query.filter(alert__rule=rule)
    return query.values_list(*CHANGE_FIELDS)[:rows]


def feed_page(
    *,
    after: int,
    rows: int,
    agreement: str = "",
    min_severity: int = 0,
    rule: str = "",
    retrospective: bool = False,
    agreements: QuerySet | None = None,
) -> list[tuple]:
    """Up to ``rows`` transitions with an id above ``after``, in id order; those of
    retrospective alerts only with ``retrospective``; ``agreements`` (a queryset of ids,
    from monitor.selectors.feed_scope) bounds them for the reader."""
    shape = (after, rows, agreement, min_severity, rule, retrospective)
    if agreements is not None:  # a bounded reader: the ORM path, not the prepared statement
        return list(_query(*shape, agreements))
    if connection.vendor != "postgresql":
        return list(_query(*shape))
    params: list = [after, AlertTransition.Kind.COMMENTED.value]
    params += [agreement] if agreement else []
    params += [min_severity] if min_severity else []
    params += [rule] if rule else []
    key = (bool(agreement), bool(min_severity), bool(rule), retrospective, rows)
    sql = _COMPILED.get(key)
    if sql is None:
        query = _query(*shape)
        try:
            sql, compiled = query.query.sql_with_params()
        except EmptyResultSet:  # e.g. a min_severity beyond the column's range: nothing matches
            return []
        if list(compiled) != params:  # not the order assumed above: never cache a guess
            return list(query)
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = sql
    with _server_binding_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@contextmanager
def _server_binding_cursor():
    """A cursor that sends parameters separately, so psycopg can prepare the statement.

    Wrapped like any Django cursor (query logging, thread checks): the tests' query counts
    see it. Django keeps client-side binding for everything else (its default).
    """
    from django.db.backends.postgresql.base import ServerBindingCursor
    from psycopg.pq import Format

    connection.ensure_connection()
    # Django turns psycopg's automatic preparation off for its connections (threshold None).
    # Only server-binding cursors can prepare, and Django's own cursors bind on the client,
    # so turning it on affects this cursor alone: a statement run five times is prepared.
    if connection.connection.prepare_threshold is None:
        connection.connection.prepare_threshold = PREPARE_AFTER
    raw = ServerBindingCursor(connection.connection)
    # Results in binary: a timestamp arrives as a number, not text to parse (three per row).
    raw.format = Format.BINARY
    cursor = connection._prepare_cursor(raw)
    try:
        yield cursor
    finally:
        cursor.close()


def when(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def change_row(row: tuple) -> dict:
    """One feed entry, the same shape as ChangeSerializer gives."""
    (
        pk,
        kind,
        from_state,
        to_state,
        severity,
        at,
        by,
        comment,
        alert_id,
        rule,
        title,
        explanation,
        state,
        alert_severity,
        agreement,
        clause,
        party,
        first_seen,
        last_seen,
        describes,
    ) = row
    return {
        "id": pk,
        "kind": kind,
        "from_state": from_state,
        "to_state": to_state,
        "severity": severity,
        "at": when(at),
        "by": by,
        "comment": comment,
        "alert": {
            "id": alert_id,
            "rule": rule,
            "title": title,
            "explanation": explanation,
            "state": state,
            "severity": alert_severity,
            "agreement": agreement,
            "clause": clause,
            "party": party,
            "describes": when(describes),
            "first_seen": when(first_seen),
            "last_seen": when(last_seen),
        },
    }
