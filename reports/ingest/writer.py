"""Bulk writers for observations: PostgreSQL COPY where available, bulk_create elsewhere."""

import json
from collections.abc import Sequence

from django.db import connection

from reports.ingest.rows import COLUMNS
from reports.models import Observation

_JSON_COLUMNS = {COLUMNS.index("evidence_urls"), COLUMNS.index("attributes")}


def observations_write(rows: Sequence[tuple[object, ...]]) -> None:
    """Insert full observation rows (values in COLUMNS order) inside the current transaction."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy(rows)
    else:
        Observation.objects.bulk_create(
            [Observation(**dict(zip(COLUMNS, row, strict=True))) for row in rows],
            batch_size=500,
        )


def _copy(rows: Sequence[tuple[object, ...]]) -> None:
    connection.ensure_connection()
    statement = f"COPY {Observation._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if i in _JSON_COLUMNS else v for i, v in enumerate(row)])
