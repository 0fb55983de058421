"""SQLite only: refuse moving a clause to another agreement while its children stay behind.

PostgreSQL's composite foreign key (0002) already refuses this from the children's side.
"""

from django.db import migrations

TRIGGER = """
CREATE TRIGGER clause_children_same_agreement_update
BEFORE UPDATE OF agreement_id ON agreements_clause
WHEN EXISTS (SELECT 1 FROM agreements_clause AS child
             WHERE child.parent_id = NEW.id AND child.agreement_id IS NOT NEW.agreement_id)
BEGIN
  SELECT RAISE(ABORT, 'CHECK constraint failed: clause_parent_same_agreement');
END;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(TRIGGER)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER clause_children_same_agreement_update;")


class Migration(migrations.Migration):
    dependencies = [("agreements", "0002_clause_parent_same_agreement")]
    operations = [migrations.RunPython(forward, backward)]
