"""The agreements admin through real HTTP: what administrators see and who else may look."""

import re

import pytest
from django.urls import reverse

from agreements.models import Clause
from tests.factories import AgreementFactory, ClauseFactory

pytestmark = pytest.mark.django_db


def _url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


@pytest.fixture
def nested_agreement(world):
    """Clauses inserted out of document order, so only ``position`` can put them right."""
    agreement = AgreementFactory(code="nested", title="Nested protocol")
    second = ClauseFactory(agreement=agreement, reference="II", position=40, title="Second")
    first = ClauseFactory(agreement=agreement, reference="I", position=10, title="First")
    ClauseFactory(agreement=agreement, reference="I.2", position=30, parent=first, title="First, b")
    ClauseFactory(agreement=agreement, reference="I.1", position=20, parent=first, title="First, a")
    ClauseFactory(
        agreement=agreement, reference="II.1", position=50, parent=second, title="Second, a"
    )
    return agreement


def _tree_references(content: str) -> list[tuple[str, str]]:
    """(indent, reference) of each clause in the rendered clause tree."""
    return re.findall(
        r'<li style="margin-left:([\d.]+em)"><a href="/admin/agreements/clause/\d+/change/">'
        r"([^<]+)</a>",
        content,
    )


def test_agreement_page_shows_clause_tree_in_document_order(
    client_for, administrator, nested_agreement
):
    response = client_for(administrator).get(
        _url("agreements_agreement_change", nested_agreement.pk)
    )
    assert response.status_code == 200
    assert _tree_references(response.content.decode()) == [
        ("0.0em", "I"),
        ("1.5em", "I.1"),
        ("1.5em", "I.2"),
        ("0.0em", "II"),
        ("1.5em", "II.1"),
    ]


def test_agreement_page_without_clauses_says_so(client_for, administrator):
    agreement = AgreementFactory(code="empty")
    response = client_for(administrator).get(_url("agreements_agreement_change", agreement.pk))
    assert "No clauses encoded yet." in response.content.decode()


def test_agreement_changelist_counts_clauses(client_for, administrator, nested_agreement):
    content = client_for(administrator).get(_url("agreements_agreement_changelist")).content
    assert b'<td class="field-clause_count">5</td>' in content


def test_mechanism_changelist_shows_covered_clauses(client_for, administrator, world):
    world.mechanism_a.clauses.add(world.clause_unmonitored)
    content = (
        client_for(administrator)
        .get(_url("agreements_verificationmechanism_changelist"))
        .content.decode()
    )
    covered = dict(
        re.findall(
            r'<a href="[^"]+">(Mechanism [AB])</a>.*?<td class="field-covered">([^<]*)</td>',
            content,
            flags=re.S,
        )
    )
    assert covered == {"Mechanism A": "1, 3", "Mechanism B": "2"}


def test_clause_changelist_names_the_monitoring_mechanism(client_for, administrator, world):
    content = client_for(administrator).get(_url("agreements_clause_changelist")).content
    assert b'<td class="field-monitored_by">Mechanism A</td>' in content
    assert b'<td class="field-monitored_by">nobody</td>' in content


def test_administrator_cannot_save_clause_under_parent_of_another_agreement(
    client_for, administrator, world, nested_agreement
):
    foreign_parent = Clause.objects.get(agreement=nested_agreement, reference="I")
    clause = world.clause_b
    data = {
        "agreement": str(world.agreement.pk),
        "reference": clause.reference,
        "parent": str(foreign_parent.pk),
        "position": str(clause.position),
        "title": clause.title,
        "text": clause.text,
        "category": clause.category,
        "phase": "1",
        "start_anchor": clause.start_anchor,
        "start_offset_days": "0",
        "deadline_anchor": "",
        "deadline_text": "",
        "geometry": "null",
        "assessments-TOTAL_FORMS": "0",
        "assessments-INITIAL_FORMS": "0",
        "revisions-TOTAL_FORMS": "0",
        "revisions-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    response = client_for(administrator).post(_url("agreements_clause_change", clause.pk), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == [
        "Must be a clause of the same agreement."
    ]
    clause.refresh_from_db()
    assert clause.parent_id is None


@pytest.mark.parametrize("persona", ["observer_a", "analyst"])
def test_readers_may_view_an_agreement_but_not_change_it(client_for, request, world, persona):
    client = client_for(request.getfixturevalue(persona))
    url = _url("agreements_agreement_change", world.agreement.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert client.post(url, {"title": "Renamed"}).status_code == 403
    world.agreement.refresh_from_db()
    assert world.agreement.title == "Test ceasefire"


@pytest.mark.parametrize("persona", ["outsider", "api_consumer"])
def test_user_without_staff_status_is_sent_to_login(client_for, request, world, persona):
    client = client_for(request.getfixturevalue(persona))
    for url in (
        _url("agreements_agreement_changelist"),
        _url("agreements_agreement_change", world.agreement.pk),
        _url("agreements_clause_changelist"),
        _url("agreements_verificationmechanism_changelist"),
        _url("agreements_implementationassessment_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(_url("login")), url


def _agreement_form(agreement, **overrides) -> dict[str, str]:
    data = {
        "code": agreement.code,
        "title": agreement.title,
        "short_title": agreement.short_title,
        "kind": agreement.kind,
        "status": agreement.status,
        "summary": "",
        "negotiation_round": "",
        "venue": "",
        "signed_on": agreement.signed_on.isoformat(),
        "in_force_on": agreement.in_force_on.isoformat(),
        "expires_on": "",
        "in_force_time": "",
        "time_zone": agreement.time_zone,
        "source_url": "",
        "source_note": "",
        "out_of_scope_rows": agreement.out_of_scope_rows,
        "agreementparty_set-TOTAL_FORMS": "0",
        "agreementparty_set-INITIAL_FORMS": "0",
        "control_areas-TOTAL_FORMS": "0",
        "control_areas-INITIAL_FORMS": "0",
        "mechanisms-TOTAL_FORMS": "0",
        "mechanisms-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def test_administrator_adds_two_mechanisms_on_the_agreement_page(client_for, administrator):
    agreement = AgreementFactory(code="inline-mechanisms")
    rows = {}
    for index, (code, name) in enumerate([("jcc", "Joint centre"), ("smm", "Monitors")]):
        rows.update(
            {
                f"mechanisms-{index}-code": code,
                f"mechanisms-{index}-name": name,
                f"mechanisms-{index}-kind": "joint_body",
                f"mechanisms-{index}-responsible_party": "",
                f"mechanisms-{index}-reporting_interval": "1 00:00:00",
                f"mechanisms-{index}-grace": "06:00:00",
                f"mechanisms-{index}-active_from": "",
                f"mechanisms-{index}-active_until": "",
            }
        )
    data = _agreement_form(agreement, **{"mechanisms-TOTAL_FORMS": "2"}, **rows)
    response = client_for(administrator).post(
        _url("agreements_agreement_change", agreement.pk), data
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert sorted(agreement.mechanisms.values_list("code", flat=True)) == ["jcc", "smm"]


def test_two_mechanisms_with_one_code_are_a_form_error_not_a_crash(client_for, administrator):
    agreement = AgreementFactory(code="inline-duplicates")
    rows = {}
    for index in range(2):
        rows.update(
            {
                f"mechanisms-{index}-code": "jcc",
                f"mechanisms-{index}-name": f"Centre {index}",
                f"mechanisms-{index}-kind": "joint_body",
                f"mechanisms-{index}-reporting_interval": "1 00:00:00",
                f"mechanisms-{index}-grace": "06:00:00",
            }
        )
    data = _agreement_form(agreement, **{"mechanisms-TOTAL_FORMS": "2"}, **rows)
    response = client_for(administrator).post(
        _url("agreements_agreement_change", agreement.pk), data
    )
    assert response.status_code == 200
    assert not agreement.mechanisms.exists()
