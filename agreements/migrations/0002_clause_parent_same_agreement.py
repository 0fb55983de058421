"""A clause's parent must belong to the same agreement, enforced by the database.

PostgreSQL: a composite foreign key (parent_id, agreement_id) -> (id, agreement_id).
SQLite cannot add a constraint to an existing table, so there triggers do the same job.
"""

from django.db import migrations

PG_FORWARD = """
ALTER TABLE agreements_clause
  ADD CONSTRAINT clause_parent_same_agreement
  FOREIGN KEY (parent_id, agreement_id) REFERENCES agreements_clause (id, agreement_id)
  DEFERRABLE INITIALLY DEFERRED;
"""
PG_BACKWARD = "ALTER TABLE agreements_clause DROP CONSTRAINT clause_parent_same_agreement;"

SQLITE_TRIGGER = """
CREATE TRIGGER clause_parent_same_agreement_{event}
BEFORE {event} ON agreements_clause
WHEN NEW.parent_id IS NOT NULL AND NEW.agreement_id IS NOT
     (SELECT agreement_id FROM agreements_clause WHERE id = NEW.parent_id)
BEGIN
  SELECT RAISE(ABORT, 'CHECK constraint failed: clause_parent_same_agreement');
END;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for event in ("INSERT", "UPDATE"):
            schema_editor.execute(SQLITE_TRIGGER.format(event=event))


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for event in ("INSERT", "UPDATE"):
            schema_editor.execute(f"DROP TRIGGER clause_parent_same_agreement_{event};")


class Migration(migrations.Migration):
    dependencies = [("agreements", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
