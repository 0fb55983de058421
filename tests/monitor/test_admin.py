"""The alert admin across roles: analysts read and act, observers and outsiders do not."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from monitor.models import Alert, AlertTransition, RuleConfig
from monitor.services import rules_run
from tests.factories import ObservationFactory, ReportFactory


@pytest.fixture
def alerts(world):
    report = ReportFactory(
        mission=world.mission_a, status="accepted", filed_at=timezone.now() - dt.timedelta(hours=1)
    )
    ObservationFactory(
        report=report,
        clause=world.clause_a,
        kind="violation",
        severity=3,
        occurred_at=timezone.now() - dt.timedelta(days=1),
        description="Mortar fire near the checkpoint",
    )
    rules_run(trigger="command")
    return Alert.objects.all()


def test_analyst_lists_filters_and_reads_an_alert_with_its_evidence(client_for, analyst, alerts):
    client = client_for(analyst)
    listing = client.get(
        reverse("admin:monitor_alert_changelist"), {"rule": "clause.violation_recorded"}
    )
    assert listing.status_code == 200
    violation = alerts.get(rule="clause.violation_recorded")
    assert violation.title in listing.content.decode()
    assert alerts.get(rule="clause.unmonitored").title not in listing.content.decode()
    page = client.get(reverse("admin:monitor_alert_change", args=[violation.pk]))
    body = page.content.decode()
    assert violation.explanation in body
    assert "Mortar fire near the checkpoint" in body
    assert "Opened" in body  # the transition history


def test_analyst_acknowledges_then_resolves_with_a_comment(client_for, analyst, alerts):
    client = client_for(analyst)
    alert = alerts.get(rule="clause.unmonitored")
    url = reverse("admin:monitor_alert_transition", args=[alert.pk])
    assert client.post(url, {"state": "acknowledged", "comment": ""}).status_code == 302
    refused = client.post(url, {"state": "resolved", "comment": ""})
    assert refused.status_code == 200 and "Say why" in refused.content.decode()
    client.post(url, {"state": "resolved", "comment": "Mechanism agreed at the TCG"})
    alert.refresh_from_db()
    assert alert.state == "resolved"
    kinds = list(alert.transitions.values_list("kind", "by__username"))
    assert kinds[-2:] == [("acknowledged", "analyst"), ("resolved", "analyst")]


def test_nobody_edits_or_deletes_an_alert_in_the_admin(client_for, administrator, alerts):
    client = client_for(administrator)
    alert = alerts.first()
    client.post(
        reverse("admin:monitor_alert_change", args=[alert.pk]),
        {"title": "rewritten", "state": "resolved"},
    )
    alert.refresh_from_db()
    assert alert.title != "rewritten" and alert.state == "open"
    assert (
        client.post(
            reverse("admin:monitor_alert_delete", args=[alert.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AlertTransition.objects.filter(alert=alert).count() == 1


@pytest.mark.parametrize("persona", ["observer_a", "api_consumer", "outsider"])
def test_others_cannot_see_or_act_on_alerts(request, client_for, alerts, persona):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    alert = alerts.first()
    listing = client.get(reverse("admin:monitor_alert_changelist"))
    assert listing.status_code in (302, 403)
    response = client.post(
        reverse("admin:monitor_alert_transition", args=[alert.pk]), {"state": "acknowledged"}
    )
    assert response.status_code in (302, 403)
    alert.refresh_from_db()
    assert alert.state == "open"


def test_administrator_overrides_a_rule_for_an_agreement(client_for, administrator, world):
    client = client_for(administrator)
    response = client.post(
        reverse("admin:monitor_ruleconfig_add"),
        {
            "agreement": world.agreement.pk,
            "rule": "clause.violation_recorded",
            "enabled": "on",
            "params": '{"window_days": 7}',
            "severity": "",
        },
    )
    assert response.status_code == 302
    assert RuleConfig.objects.get().params == {"window_days": 7}
    bad = client.post(
        reverse("admin:monitor_ruleconfig_add"),
        {
            "agreement": world.agreement.pk,
            "rule": "clause.unmonitored",
            "enabled": "on",
            "params": '{"window_days": 7}',
            "severity": "",
        },
    )
    assert "is not a parameter of clause.unmonitored" in bad.content.decode()


def test_analyst_sees_rule_configuration_but_cannot_change_it(client_for, analyst, world):
    config = RuleConfig.objects.create(
        agreement=world.agreement, rule="clause.unmonitored", enabled=True
    )
    client = client_for(analyst)
    assert client.get(reverse("admin:monitor_ruleconfig_changelist")).status_code == 200
    client.post(
        reverse("admin:monitor_ruleconfig_change", args=[config.pk]),
        {"agreement": world.agreement.pk, "rule": "clause.unmonitored", "params": "{}"},
    )
    config.refresh_from_db()
    assert config.enabled is True
    assert client.get(reverse("admin:monitor_ruleconfig_add")).status_code == 403
