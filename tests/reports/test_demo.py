"""load_demo: the newcomer's first command must work, and work again without doubling."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from agreements.models import Agreement, Clause, ImplementationAssessment
from monitor.models import Alert, ClauseDay
from reports.ledger import ledger_verify
from reports.models import InboundPayload, Observation, ObserverMission, Report

pytestmark = pytest.mark.django_db(transaction=True)


def counts() -> dict[str, int]:
    models = [
        Agreement,
        Clause,
        ObserverMission,
        Report,
        Observation,
        InboundPayload,
        ImplementationAssessment,
        Alert,
        ClauseDay,
        get_user_model(),
    ]
    return {model.__name__: model.objects.count() for model in models}


def test_demo_loads_what_analysts_need_and_a_second_run_changes_nothing(capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "Demo logins" in out and "analyst" in out

    kinds = set(Observation.objects.values_list("kind", flat=True))
    assert {"violation", "compliance", "access_restricted"} <= kinds
    assert Report.objects.filter(status="accepted").count() > 300
    unmonitored = Clause.objects.filter(agreement__code="minsk-ii", mechanisms__isnull=True)
    assert set(unmonitored.values_list("reference", flat=True)) >= {"4", "5", "6", "7", "8"}
    rejected = InboundPayload.objects.get(filename="demo-field-export.csv")
    assert rejected.state == "rejected" and len(rejected.errors) == 3
    assert not Report.objects.filter(external_id="field-export-0403").exists()
    assert Alert.objects.exists() and ClauseDay.objects.exists()  # rules and figures ran

    # The audit trail says which command made the demo's users and roles.
    made = get_user_model().history.filter(username="analyst").order_by("history_id").first()
    assert made.history_change_reason == "load_demo"

    users = {u.username: u for u in get_user_model().objects.all()}
    assert users["admin"].is_superuser
    assert users["analyst"].groups.filter(name="analyst").exists()
    assert users["observer"].missions.filter(code="smm-donetsk").exists()
    assert not users["consumer"].is_staff

    # The demo's reports are dated back to their historical filing times, and the ledger holds.
    assert ledger_verify() == []
    assert not Report.objects.filter(status="accepted", ledger_hash__isnull=True).exists()

    first = counts()
    call_command("load_demo")
    assert counts() == first
    assert ledger_verify() == []
    assert "Demo logins" not in capsys.readouterr().out  # credentials are printed once
