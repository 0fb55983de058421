"""The role groups carry exactly their declared permissions, however often they are synced."""

import pytest
from django.contrib.auth.models import Group

from accounts.roles import ANALYST, API_CONSUMER, OBSERVER, ROLE_PERMISSIONS, roles_sync

pytestmark = pytest.mark.django_db


def _permissions() -> dict[str, set[str]]:
    return {
        group.name: {
            f"{app_label}.{codename}"
            for app_label, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        for group in Group.objects.all()
    }


def test_roles_sync_twice_gives_the_same_groups_and_permissions():
    first_counts = roles_sync()
    first = _permissions()
    second_counts = roles_sync()
    assert _permissions() == first
    assert second_counts == first_counts
    assert Group.objects.count() == 3


def test_roles_sync_removes_a_permission_granted_by_hand():
    roles_sync()
    observer = Group.objects.get(name=OBSERVER)
    observer.permissions.add(
        *Group.objects.get(name=ANALYST).permissions.filter(codename="add_implementationassessment")
    )
    roles_sync()
    assert "agreements.add_implementationassessment" not in _permissions()[OBSERVER]


def test_every_role_gets_every_declared_permission():
    roles_sync()
    granted = _permissions()
    for role, wanted in ROLE_PERMISSIONS.items():
        assert granted[role] == {f"{app}.{codename}" for app, codename in wanted}


def test_observer_may_file_reports_but_not_assess_implementation():
    roles_sync()
    observer = _permissions()[OBSERVER]
    assert {
        "reports.add_report",
        "reports.change_report",
        "reports.add_observation",
        "reports.view_inboundpayload",
    } <= observer
    assert "agreements.add_implementationassessment" not in observer
    assert not {p for p in observer if p.startswith("agreements.") and ".view_" not in p}


def test_analyst_may_assess_implementation_but_not_change_reports():
    roles_sync()
    analyst = _permissions()[ANALYST]
    assert {
        "agreements.add_implementationassessment",
        "reports.view_report",
        "reports.view_observation",
    } <= analyst
    assert "reports.change_report" not in analyst
    assert "reports.add_report" not in analyst
    assert "agreements.change_implementationassessment" not in analyst


def test_api_consumer_only_reads():
    roles_sync()
    consumer = _permissions()[API_CONSUMER]
    assert "agreements.view_agreement" in consumer
    assert all(".view_" in permission for permission in consumer)
