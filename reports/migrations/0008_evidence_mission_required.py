# The second half of 0007, in its own transaction: on PostgreSQL an ALTER TABLE cannot follow
# the data step's updates of a deferred foreign key in the same one.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_evidence_staged_for_a_mission"),
    ]

    operations = [
        migrations.AlterField(
            model_name="evidencefile",
            name="mission",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="evidence_files",
                to="reports.observermission",
            ),
        ),
        migrations.AlterField(
            model_name="evidencefile",
            name="report",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty while the file is staged: uploaded, not yet named by a report.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="evidence_files",
                to="reports.report",
            ),
        ),
    ]
