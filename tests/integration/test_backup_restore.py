"""A backup restored into a second, empty PostgreSQL database, as an operator would do it:
``migrate`` then ``import_all`` in fresh processes. Every table comes back identical, the
ledger verifies there, the id sequences follow, and a second import is refused."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql
from psycopg.types.string import TextLoader

from ops.backup import archive_export, backup_models
from reports.models import EvidenceFile
from tests.accounts.backup_world import EVIDENCE_TEXT, backup_world_build
from tests.integration.conftest import ROOT


def _server() -> dict:
    db = connection.settings_dict
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": int(db["PORT"] or 5432),
        "user": db["USER"] or "postgres",
        "password": db["PASSWORD"] or None,
    }


@pytest.fixture
def restore_db() -> Iterator[str]:
    """A new, empty database next to the test database; its URL."""
    name = f"{connection.settings_dict['NAME']}_restore"
    server = _server()
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    password = f":{server['password']}" if server["password"] else ""
    yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def manage(database_url: str, media: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CELERY_BROKER_URL", "CACHE_URL")
    }
    env.update(
        DATABASE_URL=database_url, MEDIA_ROOT=str(media), DJANGO_SETTINGS_MODULE="config.settings"
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def table_contents(cursor, table: str) -> list[tuple]:
    cursor.execute(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(table)))
    return [tuple(row) for row in cursor.fetchall()]


@pytest.mark.integration
def test_a_backup_restores_into_an_empty_database_and_its_ledger_verifies(
    world, observer_a, analyst, administrator, settings, tmp_path, restore_db
):
    settings.MEDIA_ROOT = tmp_path / "media"
    backup_world_build(world, observer=observer_a, analyst=analyst, administrator=administrator)
    evidence_name = EvidenceFile.objects.get().file.name
    archive = tmp_path / "backup.tar.gz"
    archive_export(path=archive)
    restored_media = tmp_path / "restored-media"

    migrated = manage(restore_db, restored_media, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    imported = manage(restore_db, restored_media, "import_all", str(archive))
    assert imported.returncode == 0, imported.stderr
    assert "Restored" in imported.stdout

    tables = [model._meta.db_table for model in backup_models()]
    with (
        connection.cursor() as source,
        psycopg.connect(restore_db) as target_connection,
    ):
        for json_type in ("json", "jsonb"):  # as text, the way Django's own cursor returns it
            target_connection.adapters.register_loader(json_type, TextLoader)
        target = target_connection.cursor()
        for table in tables:
            restored, original = table_contents(target, table), table_contents(source, table)
            assert len(restored) == len(original), table
            for new, old in zip(restored, original, strict=True):
                pairs = enumerate(zip(new, old, strict=True))
                differences = [(column, a, b) for column, (a, b) in pairs if a != b]
                assert not differences, f"{table}: {differences}"
        # Some rows worth a look of their own: the ledger, a secret, an alert's history.
        target.execute(
            "SELECT count(*), count(DISTINCT ledger_hash) FROM reports_report "
            "WHERE ledger_hash IS NOT NULL"
        )
        assert target.fetchone() == (4, 4)
        target.execute("SELECT secret FROM monitor_webhooksubscription")
        assert target.fetchone() == ("whsec-0123456789",)
        target.execute("SELECT kind, comment FROM monitor_alerttransition WHERE comment <> ''")
        assert ("acknowledged", "Seen.") in target.fetchall()
        # New rows take ids after the restored ones.
        target.execute(
            "SELECT nextval(pg_get_serial_sequence('reports_report', 'id')) > max(id) "
            "FROM reports_report"
        )
        assert target.fetchone() == (True,)
    assert (restored_media / evidence_name).read_bytes() == EVIDENCE_TEXT

    verified = manage(restore_db, restored_media, "verify_ledger")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "OK mission-a: 4 link(s)" in verified.stdout

    again = manage(restore_db, restored_media, "import_all", str(archive))
    assert again.returncode == 1
    assert "The database is not empty" in again.stderr


@pytest.mark.integration
def test_a_corrupted_archive_is_refused_by_import_all(world, tmp_path, restore_db):
    archive = tmp_path / "backup.tar.gz"
    archive_export(path=archive)
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    assert manage(restore_db, tmp_path / "media", "migrate", "--noinput").returncode == 0

    result = manage(restore_db, tmp_path / "media", "import_all", str(archive))

    assert result.returncode == 1
    assert "corrupt" in result.stderr
