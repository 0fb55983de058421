"""Chain the reports accepted before the ledger existed, oldest acceptance first, so an
upgraded database verifies (``manage.py verify_ledger``)."""

from django.db import migrations


def chain_existing(apps, schema_editor):
    from reports.ledger import ledger_backfill

    ledger_backfill(
        report_model=apps.get_model("reports", "Report"),
        status_change_model=apps.get_model("reports", "ReportStatusChange"),
    )


def unchain(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    Report.objects.update(ledger_seq=None, ledger_prev_hash=None, ledger_hash=None, ledger_at=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_ledger_and_evidence")]

    operations = [migrations.RunPython(chain_existing, unchain)]
