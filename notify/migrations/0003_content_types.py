# The webhook models' content types follow them from monitor to notify, so the permissions
# granted on them, the admin's log entries and any generic relation keep pointing at them
# (instead of notify getting new ones and monitor's going stale). On a new database there is
# nothing to rename yet: content types are created after the migrations.

from django.db import migrations

MODELS = ['webhooksubscription', 'webhookdelivery', 'webhookattempt']


def _rename(apps, old, new):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    for model in MODELS:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    _rename(apps, 'monitor', 'notify')


def backwards(apps, schema_editor):
    _rename(apps, 'notify', 'monitor')


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('notify', '0002_dispatch_cursor'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
