"""export_all / import_all in one database: every model is in the archive, a restore gives
back every row exactly (ids, timestamps, hashes, files) without re-writing the ledger or the
history, and a damaged archive or a non-empty database is refused with nothing changed."""

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from agreements.models import Agreement
from ops.backup import (
    MANIFEST,
    BackupError,
    archive_export,
    archive_import,
    backup_models,
)
from reports.ledger import ledger_verify
from reports.models import EvidenceFile, Report
from tests.accounts.backup_world import EVIDENCE_TEXT, backup_world_build

PROJECT_APPS = ("accounts", "agreements", "reports", "monitor", "notify", "audit")


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def full_world(world, observer_a, analyst, administrator, media):
    return backup_world_build(
        world, observer=observer_a, analyst=analyst, administrator=administrator
    )


@pytest.fixture
def archive(full_world, tmp_path) -> Path:
    path = tmp_path / "backup.tar.gz"
    archive_export(path=path)
    return path


def manifest_of(path: Path) -> dict:
    with tarfile.open(path, "r:gz") as tar:
        return json.load(tar.extractfile(MANIFEST))


def snapshot() -> dict[str, list[tuple]]:
    rows = {}
    for model in backup_models():
        names = [f.attname for f in model._meta.local_concrete_fields]
        rows[model._meta.label_lower] = list(model._base_manager.order_by("pk").values_list(*names))
    return rows


def empty_every_backed_up_table() -> None:
    with connection.cursor() as cursor:
        for model in reversed(backup_models()):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a model's own table name


def rewrite(path: Path, change) -> None:
    """Rewrite the archive with ``change(name, data) -> data`` applied to every member."""
    with tarfile.open(path, "r:gz") as tar:
        members = [(info, tar.extractfile(info).read()) for info in tar]
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            data = change(info.name, data)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_every_concrete_model_of_the_project_apps_is_in_the_archive(archive):
    tables = {m["model"] for m in manifest_of(archive)["members"] if "model" in m}
    expected = {
        model._meta.label_lower
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if not model._meta.proxy
    }
    assert expected <= tables
    assert {"auth.user", "auth.group", "auth.user_groups", "auth.group_permissions"} <= tables
    assert {"reports.evidencefile", "agreements.historicalclause"} <= tables


def test_the_manifest_counts_and_checksums_every_member(archive, full_world):
    manifest = manifest_of(archive)
    assert manifest["format"] == "accord-monitor-backup"
    assert manifest["format_version"] == 1
    assert "0001_initial" in manifest["migrations"]["reports"]
    rows = {m["model"]: m["rows"] for m in manifest["members"] if "model" in m}
    assert rows["reports.report"] == Report.objects.count() == 4
    assert rows["notify.webhooksubscription"] == 1
    files = [m for m in manifest["members"] if m["member"].startswith("files/")]
    assert len(files) == 1 and files[0]["size"] == len(EVIDENCE_TEXT)
    assert all(len(m["sha256"]) == 64 for m in manifest["members"])


def test_restore_gives_back_every_row_and_file_exactly(archive, full_world, media):
    before = snapshot()
    evidence = EvidenceFile.objects.get()
    stored_name = evidence.file.name
    evidence.file.delete(save=False)
    empty_every_backed_up_table()
    assert Report.objects.count() == 0

    result = archive_import(path=archive)

    assert snapshot() == before  # ids, auto_now timestamps, ledger hashes, secrets, history
    assert result.files == 1
    assert (media / stored_name).read_bytes() == EVIDENCE_TEXT
    assert ledger_verify() == []
    # Sequences follow the restored ids: a new row does not collide.
    assert Agreement.objects.create(code="after-restore", title="New").pk > max(
        pk for pk, *_ in before["agreements.agreement"]
    )


def test_restore_into_a_database_with_rows_is_refused(archive):
    before = snapshot()
    with pytest.raises(BackupError, match="The database is not empty"):
        archive_import(path=archive)
    assert snapshot() == before


def test_a_changed_member_is_refused_before_anything_is_written(archive):
    def tamper(name, data):
        return data.replace(b"Shelling heard", b"Nothing heard") if "observation" in name else data

    rewrite(archive, tamper)
    empty_every_backed_up_table()
    with pytest.raises(BackupError, match="does not match its checksum"):
        archive_import(path=archive)
    assert Report.objects.count() == 0


def test_a_missing_member_is_refused(archive):
    with tarfile.open(archive, "r:gz") as tar:
        members = [(info, tar.extractfile(info).read()) for info in tar]
    with tarfile.open(archive, "w:gz") as tar:
        for info, data in members:
            if info.name != "tables/reports.report.jsonl":
                tar.addfile(info, io.BytesIO(data))
    with pytest.raises(BackupError, match="lacks 1 member"):
        archive_import(path=archive)


def test_a_truncated_archive_is_refused(archive):
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(BackupError, match="truncated or corrupt|no readable"):
        archive_import(path=archive)


def test_an_archive_from_other_migrations_is_refused(archive):
    def older(name, data):
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["migrations"]["reports"] = manifest["migrations"]["reports"][:1]
        return json.dumps(manifest).encode()

    rewrite(archive, older)
    empty_every_backed_up_table()
    with pytest.raises(BackupError, match="migrations differ from the archive's for reports"):
        archive_import(path=archive)


def test_commands_report_errors_as_command_errors(archive, tmp_path):
    with pytest.raises(CommandError, match="already exists"):
        call_command("export_all", "--output", str(archive))
    with pytest.raises(CommandError, match="not empty"):
        call_command("import_all", str(archive), stdout=io.StringIO())
    not_an_archive = tmp_path / "notes.tar.gz"
    not_an_archive.write_text("hello")
    with pytest.raises(CommandError, match="not a readable backup archive"):
        call_command("import_all", str(not_an_archive), stdout=io.StringIO())
