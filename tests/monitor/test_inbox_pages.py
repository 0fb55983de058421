"""The alert inbox and one alert's page: filters, names not codes, evidence links, the
analysts' moves by plain forms (POST, CSRF, redirect), and who may do what."""

import datetime as dt

import pytest
from django.test import Client

from agreements.models import AgreementParty
from monitor.models import Alert, AlertTransition, RuleConfig
from tests.api.conftest import make_alert
from tests.factories import (
    AgreementFactory,
    ClauseFactory,
    ObservationFactory,
    PartyFactory,
    ReportFactory,
)


@pytest.fixture
def alerts(world):
    party = PartyFactory(code="party-east", name="Eastern Forces")
    AgreementParty.objects.get_or_create(agreement=world.agreement, party=party)
    report = ReportFactory(mission=world.mission_a, status="accepted")
    seen = ObservationFactory(
        report=report,
        clause=world.clause_a,
        party=party,
        occurred_at=dt.datetime(2025, 2, 20, 10, tzinfo=dt.UTC),
        place_name="Shyrokyne",
    )
    other = ReportFactory(mission=world.mission_b, status="accepted")
    hidden = ObservationFactory(
        report=other,
        clause=world.clause_a,
        party=party,
        occurred_at=dt.datetime(2025, 2, 22, 10, tzinfo=dt.UTC),
        place_name="Secret place of mission B",
    )
    critical = make_alert(world.clause_a, severity=4, party=party, evidence=[seen, hidden])
    Alert.objects.filter(pk=critical.pk).update(
        title="Violations attributed to Eastern Forces: Test ceasefire, clause 1 (Ceasefire)"
    )
    low = make_alert(world.clause_b, rule="clause.unmonitored", severity=1)
    resolved = make_alert(world.clause_b, severity=3, state=Alert.State.RESOLVED)
    retrospective = make_alert(world.clause_a, severity=2)
    Alert.objects.filter(pk=retrospective.pk).update(
        describes=dt.datetime(2025, 1, 31, 23, 59, tzinfo=dt.UTC)
    )
    elsewhere = ClauseFactory(agreement=AgreementFactory(code="elsewhere", title="Elsewhere"))
    foreign = make_alert(elsewhere, severity=4)
    return {
        "critical": critical,
        "low": low,
        "resolved": resolved,
        "retrospective": retrospective,
        "foreign": foreign,
        "party": party,
    }


def _ids(response) -> list[int]:
    return [a.pk for a, _ in response.context["rows"]]


def test_the_inbox_lists_live_alerts_most_severe_first(client_for, analyst, alerts):
    response = client_for(analyst).get("/alerts/")
    assert response.status_code == 200
    assert _ids(response) == [alerts["foreign"].pk, alerts["critical"].pk, alerts["low"].pk]
    text = response.content.decode()
    assert "Critical" in text and "Eastern Forces" in text and "Test ceasefire" in text
    assert "Ceasefire" in text  # the clause's title, linked
    assert f'href="/scorecards/clauses/{alerts["critical"].clause_id}/"' in text


def test_severity_counts_link_to_their_filter(client_for, analyst, alerts):
    response = client_for(analyst).get("/alerts/")
    counts = {label: (n, query) for _, label, n, query, _ in response.context["severity_links"]}
    assert counts["Critical"] == (2, "?severity=4")
    assert counts["Low"][0] == 1
    only = client_for(analyst).get("/alerts/?severity=4")
    assert set(_ids(only)) == {alerts["foreign"].pk, alerts["critical"].pk}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?agreement=test-ceasefire", ["critical", "low"]),
        ("?party=party-east", ["critical"]),
        ("?rule=clause.unmonitored", ["low"]),
        ("?state=resolved", ["resolved"]),
        ("?retrospective=true", ["retrospective"]),
        ("?q=unmonitored", ["low"]),
        ("?severity=1&severity=4&agreement=test-ceasefire", ["critical", "low"]),
    ],
)
def test_the_inbox_filters(client_for, analyst, alerts, query, expected):
    response = client_for(analyst).get("/alerts/" + query)
    assert response.status_code == 200
    assert sorted(_ids(response)) == sorted(alerts[name].pk for name in expected)


def test_a_clause_filter_names_the_clause(client_for, analyst, alerts, world):
    response = client_for(analyst).get(f"/alerts/?clause={world.clause_b.pk}")
    assert _ids(response) == [alerts["low"].pk]
    assert "clause 2 (Withdrawal)" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?severity=5", "severity"),
        ("?state=closed", "state"),
        ("?retrospective=maybe", "retrospective"),
        ("?rule=clause.nothing", "rule"),
        ("?clause=abc", "clause"),
        ("?agreement=no-such-thing", "agreement"),
        ("?party=nobody", "party"),
        ("?sort=random", "sort"),
        ("?page=two", "page"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client_for, analyst, alerts, query, parameter):
    response = client_for(analyst).get("/alerts/" + query)
    assert response.status_code == 400
    assert response.context["parameter"] == parameter


def test_retrospective_rows_say_what_moment_they_describe(client_for, analyst, alerts):
    text = client_for(analyst).get("/alerts/?retrospective=true").content.decode()
    assert "About" in text and "31 January 2025" in text


def test_evidence_links_to_the_explorer_with_its_clause_party_kind_and_days(
    client_for, analyst, alerts, world
):
    response = client_for(analyst).get("/alerts/")
    links = dict(response.context["rows"])
    link = links[alerts["critical"]]
    assert link.count == 2
    assert link.url == (
        f"/explore/?agreement=test-ceasefire&clause={world.clause_a.pk}&party=party-east"
        "&kind=violation&from=2025-02-20&to=2025-02-22"
    )
    assert links[alerts["low"]] is None


def test_the_alert_page_shows_rule_parameters_evidence_and_history(client_for, analyst, alerts):
    RuleConfig.objects.create(
        agreement=alerts["critical"].agreement,
        rule="clause.violation_recorded",
        params={"window_days": 14, "threshold": 3},
    )
    response = client_for(analyst).get(f"/alerts/{alerts['critical'].pk}/")
    text = response.content.decode()
    assert "Violations recorded" in text
    assert "At least 3 violation(s) of low severity or worse" in text
    assert "within the last 14 days" in text
    assert "threshold" not in text and "window_days" not in text
    assert "clause.violation_recorded" not in text  # the rule's title, never its code
    assert "Secret place of mission B" in text  # analysts see all evidence
    assert "See the evidence on the explorer" in text
    assert "Opened" in text and 'name="action" value="acknowledge"' in text


def test_acknowledge_by_a_form_redirects_and_records_the_comment(client_for, analyst, alerts):
    client = client_for(analyst)
    url = f"/alerts/{alerts['critical'].pk}/"
    response = client.post(url, {"action": "acknowledge", "comment": "On it."})
    assert response.status_code == 302 and response["Location"] == url + "#history"
    alerts["critical"].refresh_from_db()
    assert alerts["critical"].state == Alert.State.ACKNOWLEDGED
    page = client.get(url).content.decode()
    assert "Acknowledged: the alert stays on the list" in page
    assert "On it." in page


def test_resolve_without_a_comment_is_refused_and_keeps_the_state(client_for, analyst, alerts):
    url = f"/alerts/{alerts['critical'].pk}/"
    response = client_for(analyst).post(url, {"action": "resolve", "comment": " "})
    assert response.status_code == 400
    assert "Nothing was recorded" in response.content.decode()
    alerts["critical"].refresh_from_db()
    assert alerts["critical"].state == Alert.State.OPEN


def test_a_comment_joins_the_history_and_reopen_returns_to_open(client_for, analyst, alerts):
    client = client_for(analyst)
    url = f"/alerts/{alerts['critical'].pk}/"
    client.post(url, {"action": "acknowledge"})
    client.post(url, {"action": "comment", "comment": "Asked the mission."})
    client.post(url, {"action": "reopen"})
    kinds = list(
        AlertTransition.objects.filter(alert=alerts["critical"])
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["opened", "acknowledged", "commented", "reopened"]


def test_the_forms_carry_a_csrf_token(analyst, alerts):
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    url = f"/alerts/{alerts['critical'].pk}/"
    assert client.post(url, {"action": "acknowledge"}).status_code == 403
    assert 'name="csrfmiddlewaretoken"' in client.get(url).content.decode()


# --- access ------------------------------------------------------------------------------


def test_an_observer_sees_only_its_agreements_alerts_and_no_form(client_for, observer_a, alerts):
    client = client_for(observer_a)
    response = client.get("/alerts/")
    assert set(_ids(response)) == {alerts["critical"].pk, alerts["low"].pk}
    assert client.get(f"/alerts/{alerts['foreign'].pk}/").status_code == 404
    assert client.get("/alerts/?agreement=elsewhere").status_code == 400
    page = client.get(f"/alerts/{alerts['critical'].pk}/").content.decode()
    assert '<form method="post" class="act"' not in page
    assert "Secret place of mission B" not in page
    assert "1 observation of other missions is withheld" in page


def test_a_post_by_an_observer_is_refused(client_for, observer_a, alerts):
    url = f"/alerts/{alerts['critical'].pk}/"
    response = client_for(observer_a).post(url, {"action": "acknowledge"})
    assert response.status_code == 403
    alerts["critical"].refresh_from_db()
    assert alerts["critical"].state == Alert.State.OPEN


@pytest.mark.parametrize("url", ["/alerts/", "/changes/"])
def test_an_api_consumer_gets_403_and_anonymous_the_login(client_for, api_consumer, url):
    assert client_for(api_consumer).get(url).status_code == 403
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_an_api_consumer_cannot_post(client_for, api_consumer, alerts):
    url = f"/alerts/{alerts['critical'].pk}/"
    assert client_for(api_consumer).post(url, {"action": "acknowledge"}).status_code == 403


def test_blank_fields_of_the_filter_form_are_dropped_from_the_address(client_for, analyst):
    response = client_for(analyst).get("/alerts/?agreement=&party=&rule=&q=&state=all")

    assert response.status_code == 302
    assert response["Location"] == "/alerts/?state=all"
