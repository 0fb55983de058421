"""Backups: one archive with every row of the project's apps (and users and groups), the
evidence files' bytes and a manifest of checksums; and its restore into an empty database.

The archive is a ``.tar.gz``::

    manifest.json                 format, version, when, applied migrations, and per member
                                  its row count (tables) or size (files) and sha256
    tables/<app>.<model>.jsonl    one JSON object per row, by primary key, keyed by column
    files/<storage name>          the bytes of every FileField's file

Models are found, not listed: every concrete model of the apps in this repository (history
tables and auto-created many-to-many tables included), plus ``auth.User``, ``auth.Group``
and the admin's log. Permissions and content types are re-created by ``migrate``, so rows
refer to them by natural key, not id. Restored rows are inserted raw (no ``save()``, no
signals, ``auto_now`` untouched), so the ledger, the pre-aggregates and the history tables
come back exactly as they were, not re-written.
"""

import base64
import datetime as dt
import hashlib
import io
import json
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.duration import duration_iso_string

FORMAT = "accord-monitor-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Besides the project's own apps: who may log in, their groups, and the admin's action log.
EXTRA_MODELS = ("auth.user", "auth.group", "admin.logentry")
# Re-created by migrate with ids of their own: referred to by natural key.
NATURAL_KEY_MODELS = (ContentType, Permission)
BATCH_SIZE = 2000
COPY_CHUNK = 1024 * 1024


class BackupError(Exception):
    """The archive cannot be written or restored; the message says why and what to do."""


@dataclass
class ExportResult:
    path: Path
    tables: dict[str, int]
    files: int
    missing_files: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    tables: dict[str, int]
    files: int


# --- Which models, in which order ----------------------------------------------------------


def _is_project_app(app_config) -> bool:
    path = Path(app_config.path).resolve()
    return path.is_relative_to(Path(settings.BASE_DIR).resolve()) and not any(
        part in ("site-packages", ".venv") for part in path.parts
    )


def backup_models() -> list[type[models.Model]]:
    """Every model whose rows the archive holds, each after the models it refers to."""
    chosen: dict[str, type[models.Model]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.auto_created:
            continue
        if _is_project_app(meta.app_config) or meta.label_lower in EXTRA_MODELS:
            chosen[meta.label_lower] = model
    for model in apps.get_models(include_auto_created=True):
        owner = model._meta.auto_created
        if (
            isinstance(owner, type) and owner._meta.label_lower in chosen
        ):  # many-to-many tables of chosen models
            chosen[model._meta.label_lower] = model
    return _dependency_order(chosen)


def _dependency_order(chosen: dict[str, type[models.Model]]) -> list[type[models.Model]]:
    depends = {
        label: {
            target._meta.label_lower
            for target in map(_related, model._meta.local_concrete_fields)
            if target is not None
            and target._meta.label_lower in chosen
            and target._meta.label_lower != label
        }
        for label, model in chosen.items()
    }
    ordered: list[str] = []
    remaining = dict(depends)
    while remaining:
        ready = sorted(label for label, deps in remaining.items() if deps <= set(ordered))
        if not ready:  # a cycle: foreign keys are checked at commit, so any order is safe
            ready = sorted(remaining)[:1]
        for label in ready:
            ordered.append(label)
            del remaining[label]
    return [chosen[label] for label in ordered]


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.local_concrete_fields if not getattr(f, "generated", False)]


def _member(model: type[models.Model]) -> str:
    return f"tables/{model._meta.label_lower}.jsonl"


# --- Values to JSON and back ---------------------------------------------------------------


class _NaturalKeys:
    """Content types and permissions by natural key, both ways, cached."""

    def __init__(self, using: str):
        self.using = using
        self._to_key: dict[type, dict[int, list]] = {}
        self._to_id: dict[tuple, int] = {}

    def key(self, model: type[models.Model], pk) -> list | None:
        if pk is None:
            return None
        if model not in self._to_key:
            self._to_key[model] = {
                obj.pk: list(obj.natural_key())  # type: ignore[attr-defined]  # NATURAL_KEY_MODELS
                for obj in model._base_manager.using(self.using).all()
            }
        return self._to_key[model][pk]

    def id(self, model: type[models.Model], key: list | None) -> int | None:
        if key is None:
            return None
        cache_key = (model, tuple(key))
        if cache_key not in self._to_id:
            try:
                manager: Any = model._default_manager.db_manager(self.using)
                obj = manager.get_by_natural_key(*key)
            except ObjectDoesNotExist:
                raise BackupError(
                    f"{model._meta.label} {key} is in the archive but not in this database: "
                    "migrate it to the archive's migrations first."
                ) from None
            self._to_id[cache_key] = obj.pk
        return self._to_id[cache_key]


def _related(f: "models.Field[Any, Any]") -> type[models.Model] | None:
    """The model a relation field points at (a resolved class; "self" is resolved by now)."""
    target = f.related_model if f.is_relation else None
    return target if isinstance(target, type) else None


def _natural_target(f: "models.Field[Any, Any]") -> type[models.Model] | None:
    target = _related(f)
    return target if target in NATURAL_KEY_MODELS else None


def _encode(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()  # full microseconds: the ledger hashes them
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot write {type(value).__name__} to a backup")


def _decode(f: models.Field, value, natural: _NaturalKeys):
    target = _natural_target(f)
    if target is not None:
        return natural.id(target, value)
    if value is None or f.is_relation:
        return value
    if isinstance(f, models.BinaryField):
        return base64.b64decode(value)
    if isinstance(f, models.JSONField):
        return value
    return f.to_python(value)


# --- Export --------------------------------------------------------------------------------


def _applied_migrations(using: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in MigrationRecorder(connections[using]).applied_migrations():
        applied.setdefault(app_label, []).append(name)
    return {label: sorted(names) for label, names in sorted(applied.items())}


def _add_member(tar: tarfile.TarFile, name: str, handle: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    tar.addfile(info, handle)


def _table_rows(model, using: str, natural: _NaturalKeys) -> Iterator[bytes]:
    columns = _columns(model)
    names = [f.attname for f in columns]
    targets = [_natural_target(f) for f in columns]
    rows = model._base_manager.using(using).order_by("pk").values_list(*names)
    for row in rows.iterator(chunk_size=BATCH_SIZE):
        values = [
            natural.key(target, value) if target is not None else value
            for target, value in zip(targets, row, strict=True)
        ]
        line = json.dumps(dict(zip(names, values, strict=True)), default=_encode)
        yield line.encode("utf-8") + b"\n"


def _file_names(model, using: str) -> Iterator[str]:
    for f in _columns(model):
        if isinstance(f, models.FileField):
            names = model._base_manager.using(using).exclude(**{f.attname: ""})
            yield from names.values_list(f.attname, flat=True).iterator(chunk_size=BATCH_SIZE)


def archive_export(*, path: Path, using: str = DEFAULT_DB_ALIAS) -> ExportResult:
    """Write every backed-up table and file to one ``.tar.gz`` at ``path``, from one
    consistent snapshot of the database (REPEATABLE READ on PostgreSQL)."""
    path = Path(path)
    natural = _NaturalKeys(using)
    members: list[dict] = []
    tables: dict[str, int] = {}
    missing: list[str] = []
    connection = connections[using]
    # Inside an outer transaction (tests, a caller's atomic block) its snapshot is used.
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with (
        transaction.atomic(using=using),
        tarfile.open(path, "w:gz") as tar,
    ):
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        migrations = _applied_migrations(using)
        for model in backup_models():
            digest, rows, size = hashlib.sha256(), 0, 0
            with tempfile.TemporaryFile() as spool:
                for line in _table_rows(model, using, natural):
                    spool.write(line)
                    digest.update(line)
                    rows += 1
                    size += len(line)
                spool.seek(0)
                _add_member(tar, _member(model), spool, size)
            label = model._meta.label_lower
            tables[label] = rows
            members.append(
                {
                    "member": _member(model),
                    "model": label,
                    "rows": rows,
                    "sha256": digest.hexdigest(),
                }
            )
            for name in _file_names(model, using):
                if not default_storage.exists(name):
                    missing.append(name)
                    continue
                members.append(_add_file(tar, name))
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "database_vendor": connection.vendor,
            "migrations": migrations,
            "members": members,
            "missing_files": missing,
        }
        body = json.dumps(manifest, indent=1).encode("utf-8")
        _add_member(tar, MANIFEST, io.BytesIO(body), len(body))
    files = sum(1 for m in members if m["member"].startswith("files/"))
    return ExportResult(path=path, tables=tables, files=files, missing_files=missing)


def _add_file(tar: tarfile.TarFile, name: str) -> dict:
    digest = hashlib.sha256()
    size = 0
    with default_storage.open(name, "rb") as source, tempfile.TemporaryFile() as spool:
        while chunk := source.read(COPY_CHUNK):
            digest.update(chunk)
            spool.write(chunk)
            size += len(chunk)
        spool.seek(0)
        _add_member(tar, f"files/{name}", spool, size)
    return {"member": f"files/{name}", "size": size, "sha256": digest.hexdigest()}


# --- Import --------------------------------------------------------------------------------


def _open_archive(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r:gz")
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise BackupError(f"{path} is not a readable backup archive: {exc}") from None


def _extract(tar: tarfile.TarFile, member: str | tarfile.TarInfo) -> IO[bytes]:
    """A member's bytes; a directory or link where a file belongs is a damaged archive."""
    handle = tar.extractfile(member)
    if handle is None:
        raise BackupError(f"{member} in the archive is not a regular file.")
    return handle


def archive_verify(*, path: Path) -> dict:
    """The manifest, once every member's sha256 matches it; BackupError otherwise."""
    with _open_archive(path) as tar:
        try:
            manifest = json.load(_extract(tar, MANIFEST))
        except (KeyError, ValueError, tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"{path} has no readable {MANIFEST}: {exc}") from None
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"{path} is not a version {FORMAT_VERSION} {FORMAT} archive "
                f"(format {manifest.get('format')!r}, version {manifest.get('format_version')!r})."
            )
        expected = {m["member"]: m for m in manifest["members"]}
        seen: set[str] = set()
        try:
            for info in tar:
                if info.name not in expected:
                    continue
                digest = hashlib.sha256()
                handle = _extract(tar, info)
                while chunk := handle.read(COPY_CHUNK):
                    digest.update(chunk)
                if digest.hexdigest() != expected[info.name]["sha256"]:
                    raise BackupError(
                        f"{info.name} in {path} does not match its checksum in the manifest: "
                        "the archive is corrupt or was changed. Nothing was restored."
                    )
                seen.add(info.name)
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise BackupError(f"{path} is truncated or corrupt: {exc}") from None
        if missing := sorted(set(expected) - seen):
            raise BackupError(f"{path} lacks {len(missing)} member(s), e.g. {missing[0]}.")
    return manifest


def _check_target(manifest: dict, using: str) -> list[type[models.Model]]:
    known = {m._meta.label_lower: m for m in backup_models()}
    labels = [m["model"] for m in manifest["members"] if "model" in m]
    if unknown := [label for label in labels if label not in known]:
        raise BackupError(f"The archive has tables this code does not know: {unknown}.")
    applied = _applied_migrations(using)
    differs = sorted(
        app
        for app in set(manifest["migrations"]) | set(applied)
        if manifest["migrations"].get(app, []) != applied.get(app, [])
    )
    if differs:
        raise BackupError(
            f"This database's migrations differ from the archive's for {', '.join(differs)}: "
            "restore with the code version that wrote the archive (its migrations), then "
            "migrate forward."
        )
    targets = [known[label] for label in labels]
    if not_empty := [m._meta.label_lower for m in targets if m._base_manager.using(using).exists()]:
        raise BackupError(
            "The database is not empty (rows in "
            f"{', '.join(not_empty[:5])}{' …' if len(not_empty) > 5 else ''}): restore only into "
            "a freshly migrated database, before setup_roles. Nothing was restored."
        )
    return targets


def _rows(handle: IO[bytes], model, natural: _NaturalKeys) -> Iterator[models.Model]:
    columns = _columns(model)
    names = {f.attname for f in columns}
    for line in handle:
        row = json.loads(line)
        if set(row) != names:
            raise BackupError(
                f"{model._meta.label} rows in the archive have columns {sorted(row)}, this "
                f"database has {sorted(names)}."
            )
        yield model(**{f.attname: _decode(f, row[f.attname], natural) for f in columns})


def _insert(model, objs: Iterable[models.Model], using: str) -> int:
    """Raw inserts in batches: values as they are (primary keys, auto_now), no signals."""
    columns = _columns(model)
    manager = model._base_manager.using(using)
    batch_size = max(1, connections[using].ops.bulk_batch_size(columns, [None] * BATCH_SIZE))
    count, batch = 0, []
    for obj in objs:
        batch.append(obj)
        if len(batch) >= batch_size:
            manager._insert(batch, fields=columns, raw=True)
            count, batch = count + len(batch), []
    if batch:
        manager._insert(batch, fields=columns, raw=True)
        count += len(batch)
    return count


def _restore_file(tar: tarfile.TarFile, info: tarfile.TarInfo, entry: dict) -> None:
    name = info.name.removeprefix("files/")
    if default_storage.exists(name):
        digest = hashlib.sha256()
        with default_storage.open(name, "rb") as existing:
            while chunk := existing.read(COPY_CHUNK):
                digest.update(chunk)
        if digest.hexdigest() == entry["sha256"]:
            return
        raise BackupError(f"The file {name} already exists with other content; move it away.")
    stored = default_storage.save(name, File(tar.extractfile(info), name=name))
    if stored != name:
        raise BackupError(
            f"The storage saved {name} as {stored}; restore into an empty media root."
        )


def archive_import(*, path: Path, using: str = DEFAULT_DB_ALIAS) -> ImportResult:
    """Restore the archive at ``path`` into this (empty, migrated) database in one
    transaction, its files into the default storage, and reset the id sequences."""
    manifest = archive_verify(path=path)
    natural = _NaturalKeys(using)
    entries = {m["member"]: m for m in manifest["members"]}
    tables: dict[str, int] = {}
    files = 0
    connection = connections[using]
    with transaction.atomic(using=using):
        targets = _check_target(manifest, using)
        models_by_member = {_member(model): model for model in targets}
        with _open_archive(path) as tar:
            for info in tar:  # members in the order written: dependencies first
                entry = entries.get(info.name)
                if entry is None:
                    continue
                if info.name.startswith("files/"):
                    _restore_file(tar, info, entry)
                    files += 1
                    continue
                model = models_by_member[info.name]
                count = _insert(model, _rows(_extract(tar, info), model, natural), using)
                if count != entry["rows"]:
                    raise BackupError(
                        f"{info.name}: {count} rows read, the manifest says {entry['rows']}."
                    )
                tables[model._meta.label_lower] = count
        statements = connection.ops.sequence_reset_sql(no_style(), targets)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
    return ImportResult(tables=tables, files=files)


def default_archive_name() -> str:
    return f"accord-backup-{timezone.now():%Y%m%dT%H%M%SZ}.tar.gz"


__all__ = [
    "BackupError",
    "archive_export",
    "archive_import",
    "archive_verify",
    "backup_models",
    "default_archive_name",
]
