# Evidence files belong to a mission and may be staged (uploaded before the report that
# names them is filed): the mission is filled in from each existing file's report.

import django.db.models.deletion
from django.db import migrations, models


def missions_from_reports(apps, schema_editor):
    EvidenceFile = apps.get_model("reports", "EvidenceFile")
    for evidence in EvidenceFile.objects.select_related("report").iterator():
        EvidenceFile.objects.filter(pk=evidence.pk).update(mission_id=evidence.report.mission_id)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_observation_covering_kind_time_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="evidencefile",
            name="mission",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="evidence_files",
                to="reports.observermission",
            ),
        ),
        migrations.RunPython(missions_from_reports, migrations.RunPython.noop),
    ]
