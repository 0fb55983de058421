"""Rule descriptions read with their actual parameters, never placeholders or names."""

import re

import pytest

from monitor.models import RuleConfig
from monitor.rules import RULES
from monitor.selectors import rule_described


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_description_renders_without_placeholders(code):
    rule = RULES[code]
    text = rule.describe()
    assert not re.search(r"[{}`]", text), text
    for name in rule.defaults:
        assert name not in text, f"{code} shows its parameter name {name!r}: {text}"


def test_a_description_shows_the_values_in_words():
    rule = RULES["clause.violation_recorded"]
    assert rule.describe({"threshold": 3, "min_severity": 2, "window_days": 1}) == (
        "At least 3 violation(s) of moderate severity or worse, unverified or better, were "
        "recorded on the clause within the last day."
    )
    assert "3.5 times" in RULES["clause.violation_surge"].describe({"multiple": 3.5})


def test_unknown_parameters_of_a_configuration_are_ignored():
    rule = RULES["clause.single_source"]
    assert rule.describe({"nonsense": 1}) == rule.describe()


def test_an_agreements_configuration_sets_the_values_shown(world):
    RuleConfig.objects.create(
        agreement=world.agreement, rule="clause.access_restricted", params={"window_days": 3}
    )
    assert "within the last 3 days" in rule_described(
        rule="clause.access_restricted", agreement_id=world.agreement.pk
    )
    assert rule_described(rule="clause.gone", agreement_id=world.agreement.pk) == "clause.gone"


def test_the_admin_shows_the_description_with_parameters(client_for, world, administrator):
    from tests.api.conftest import make_alert

    alert = make_alert(world.clause_a)
    RuleConfig.objects.create(
        agreement=world.agreement, rule="clause.violation_recorded", params={"threshold": 4}
    )
    page = client_for(administrator).get(f"/admin/monitor/alert/{alert.pk}/change/")
    text = page.content.decode()
    assert "At least 4 violation(s)" in text and "`threshold`" not in text
    listing = client_for(administrator).get("/admin/monitor/alert/").content.decode()
    assert f'title="{alert.title}"' in listing
