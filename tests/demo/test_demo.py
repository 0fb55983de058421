"""load_demo: the newcomer's first command must work, and work again without doubling."""

import io
import re

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


def test_demo_loads_what_analysts_need_and_a_second_run_changes_nothing(capsys, client):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "Demo logins" in out and "analyst" in out
    # The consumer has no web login: a token and a curl line that works, no password.
    assert not re.search(r"^\s+api consumer\s+consumer\s", out, re.MULTILINE)
    curl = re.search(r'curl -H "Authorization: Bearer (am_\S+)" (\S+)/api/v1/alerts/', out)
    assert curl, out
    alerts = client.get("/api/v1/alerts/", HTTP_AUTHORIZATION=f"Bearer {curl.group(1)}")
    assert alerts.status_code == 200 and alerts.json()["results"]
    assert not get_user_model().objects.get(username="consumer").has_usable_password()

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
    again = capsys.readouterr().out
    assert "Demo logins" not in again and "Bearer" not in again  # credentials are printed once


@pytest.mark.django_db
def test_observer_luhansk_sees_no_smm_donetsk_record_on_any_minsk_page(client):
    """The leak that was found: the clause page listed another mission's observations."""
    call_command("load_demo", stdout=io.StringIO())
    luhansk = get_user_model().objects.get(username="observer.luhansk")
    luhansk_ids = set(
        Observation.objects.filter(report__mission__code="smm-luhansk").values_list("pk", flat=True)
    )
    client.force_login(luhansk)
    point_1 = Clause.objects.get(agreement__code="minsk-ii", reference="1")
    pages = [
        f"/scorecards/clauses/{point_1.pk}/",
        "/scorecards/agreements/minsk-ii/",
        "/api/v1/observations/?agreement=minsk-ii",
        "/api/v1/alerts/?agreement=minsk-ii",
        "/api/v1/alerts/?agreement=minsk-ii&format=geojson",
        "/api/v1/alerts/?agreement=minsk-ii&format=cap",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        body = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode()
        assert "smm-donetsk" not in body, path
    # Minsk II ended: its findings are no live alerts today; whatever alerts it is shown are
    # the agreement its mission serves, with its own evidence only.
    alerts = client.get("/api/v1/alerts/?page_size=100").json()["results"]
    assert {a["agreement"] for a in alerts} <= {"minsk-ii"}
    assert {e["id"] for a in alerts for e in a["evidence"]} <= luhansk_ids
    rows = client.get("/api/v1/observations/?agreement=minsk-ii&page_size=500").json()["results"]
    assert rows and {r["mission"] for r in rows} == {"smm-luhansk"}
    page = client.get(f"/scorecards/clauses/{point_1.pk}/").content.decode()
    assert "of other missions on this clause" in page  # says how many were withheld
