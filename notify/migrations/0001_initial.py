# The webhook models, moved here from monitor (monitor/migrations/0009 lets go of them).
# State only: the tables monitor/migrations/0002_webhooks.py created keep their names
# (db_table), so nothing is created, dropped or copied, on an existing database or a new one.

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('agreements', '0003_clause_children_follow_agreement_sqlite'),
        ('monitor', '0009_webhooks_move_to_notify'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WebhookSubscription',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('url', models.URLField(help_text='https:// or http://; the POST target.', max_length=500)),
                        ('secret', models.CharField(help_text='Standard Webhooks format: whsec_ + base64 of the key.', max_length=100)),
                        ('is_active', models.BooleanField(default=True)),
                        ('min_severity', models.PositiveSmallIntegerField(choices=[(1, 'Low'), (2, 'Moderate'), (3, 'High'), (4, 'Critical')], default=1, help_text='Transitions below it are skipped.')),
                        ('rules', models.JSONField(blank=True, default=list, help_text='Rule codes to send; empty: every rule.')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('agreements', models.ManyToManyField(blank=True, help_text='Empty: every agreement.', related_name='+', to='agreements.agreement')),
                        ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'monitor_webhooksubscription',
                        'ordering': ['name', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('payload', models.JSONField(help_text='The body, fixed at dispatch so every attempt agrees.')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('failed', 'Failed, will retry'), ('gave_up', 'Gave up')], default='pending', max_length=10)),
                        ('attempts', models.PositiveIntegerField(default=0, help_text='Every attempt, replays included.')),
                        ('attempts_at_replay', models.PositiveIntegerField(default=0, help_text='Attempts made before the last replay; the cap counts from here.')),
                        ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True)),
                        ('response_excerpt', models.TextField(blank=True)),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('claimed_until', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('replayed_at', models.DateTimeField(blank=True, null=True)),
                        ('transition', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='monitor.alerttransition')),
                        ('subscription', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='notify.webhooksubscription')),
                    ],
                    options={
                        'db_table': 'monitor_webhookdelivery',
                        'verbose_name_plural': 'webhook deliveries',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookAttempt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField()),
                        ('status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('error', models.TextField(blank=True)),
                        ('duration_ms', models.PositiveIntegerField(default=0)),
                        ('delivery', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attempt_log', to='notify.webhookdelivery')),
                    ],
                    options={
                        'db_table': 'monitor_webhookattempt',
                        'ordering': ['id'],
                        'indexes': [models.Index(fields=['delivery', 'id'], name='webhook_attempt_delivery_idx')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='webhooksubscription',
                    constraint=models.CheckConstraint(condition=models.Q(('min_severity__gte', 1), ('min_severity__lte', 4)), name='webhook_min_severity_1_to_4'),
                ),
                migrations.AddIndex(
                    model_name='webhookdelivery',
                    index=models.Index(condition=models.Q(('status__in', ['pending', 'failed'])), fields=['next_attempt_at'], name='webhook_delivery_due_idx'),
                ),
                migrations.AddConstraint(
                    model_name='webhookdelivery',
                    constraint=models.UniqueConstraint(fields=('subscription', 'transition'), name='webhook_delivery_once'),
                ),
            ],
            database_operations=[],
        ),
    ]
