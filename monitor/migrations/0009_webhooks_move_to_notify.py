# The webhook models moved to the notify app (notify/migrations/0001_initial.py takes them
# over). State only: their tables stay as they are, under their monitor_* names.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0008_party_day_party_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='WebhookAttempt'),
                migrations.DeleteModel(name='WebhookDelivery'),
                migrations.DeleteModel(name='WebhookSubscription'),
            ],
            database_operations=[],
        ),
    ]
