"""The audit trail (docs/audit.md): every change to agreements, clauses, mechanisms, rule
configuration, tokens and roles is recorded with who, when, old and new values, from the
admin, the API and the commands; alert states by their own transitions; read-only for
administrators, closed to everyone else."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import override_settings
from django.urls import path, reverse
from rest_framework.response import Response
from rest_framework.views import APIView

import agreements
from accounts.models import ApiToken
from accounts.roles import ANALYST
from accounts.services import api_token_issue, api_token_revoke
from agreements.models import Agreement, AgreementParty, Clause, Party, VerificationMechanism
from agreements.services import clause_dates_resolve
from audit import models as audit
from audit.admin import changes_of
from monitor.models import Alert, AlertTransition, RuleConfig
from tests.api.conftest import bearer, make_alert
from tests.factories import AreaFactory, PartyFactory

pytestmark = pytest.mark.django_db

MINSK = Path(agreements.__file__).parent / "data" / "minsk-ii.yaml"


def _latest(model, obj):
    return model.history.filter(id=obj.pk).order_by("-history_date", "-history_id").first()


def _changes(record) -> dict[str, tuple[str, str]]:
    return {field: (old, new) for field, old, new in changes_of(record)}


# --- From the admin ---------------------------------------------------------------------


def test_admin_change_form_records_the_user_and_old_and_new_values(client_for, administrator):
    party = PartyFactory(code="east", name="Eastern forces", kind=Party.Kind.BELLIGERENT)
    page = f"/admin/agreements/party/{party.pk}/change/"

    response = client_for(administrator).post(
        page,
        {"code": "east", "name": "Eastern armed forces", "kind": "belligerent",
         "category": "state", "notes": ""},
    )  # fmt: skip

    assert response.status_code == 302, response.content[:2000]
    record = _latest(Party, party)
    assert (record.history_type, record.history_user) == ("~", administrator)
    assert record.history_date > party.history.earliest("history_date").history_date
    assert _changes(record) == {"name": ("Eastern forces", "Eastern armed forces")}


def test_rule_configuration_added_in_the_admin_is_recorded(client_for, administrator, world):
    response = client_for(administrator).post(
        "/admin/monitor/ruleconfig/add/",
        {"agreement": world.agreement.pk, "rule": "clause.violation_surge", "enabled": "",
         "params": "{}", "severity": ""},
    )  # fmt: skip

    assert response.status_code == 302, response.content[:2000]
    config = RuleConfig.objects.get()
    record = _latest(RuleConfig, config)
    assert (record.history_type, record.history_user, record.enabled) == ("+", administrator, False)


def test_role_given_in_the_user_admin_is_recorded(client_for, administrator, outsider):
    analysts = Group.objects.get(name=ANALYST)
    response = client_for(administrator).post(
        f"/admin/auth/user/{outsider.pk}/change/",
        {"username": outsider.username, "first_name": "", "last_name": "", "email": "",
         "is_active": "on", "is_staff": "on", "groups": [analysts.pk],
         "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00",
         "last_login_0": "", "last_login_1": ""},
    )  # fmt: skip

    assert response.status_code == 302, response.content[:2000]
    records = User.history.filter(id=outsider.pk, history_user=administrator)
    changes = {}
    for record in records.order_by("history_date", "history_id"):
        changes.update(_changes(record))
    assert changes["is_staff"] == ("False", "True")
    assert changes["groups"] == ("-", str(analysts.pk))


def test_role_change_is_recorded_and_the_password_never_is(outsider):
    analysts = Group.objects.get(name=ANALYST)

    outsider.groups.add(analysts)
    added = _latest(User, outsider)
    outsider.set_password("another secret phrase")
    outsider.save()

    assert _changes(added) == {"groups": ("-", str(analysts.pk))}
    assert _changes(_latest(User, outsider)) == {}
    assert {f.name for f in User.history.model._meta.fields}.isdisjoint({"password", "last_login"})


def test_logging_in_writes_no_audit_row(client, administrator):
    before = User.history.filter(id=administrator.pk).count()

    client.force_login(administrator)

    administrator.refresh_from_db()
    assert administrator.last_login is not None
    assert User.history.filter(id=administrator.pk).count() == before


def test_area_added_to_a_clause_is_recorded(world):
    area = AreaFactory(code="donbas")
    clause = world.clause_a

    clause.areas.add(area)

    record = _latest(Clause, clause)
    assert _changes(record) == {"areas": ("-", str(area.pk))}


# --- From the API ---------------------------------------------------------------------------


class _RenameParty(APIView):
    """A test-only write through DRF, authenticated like every API view (token or session)."""

    def post(self, request, pk):
        party = Party.objects.get(pk=pk)
        party.name = request.data["name"]
        party.save()
        return Response({"ok": True})


urlpatterns = [path("test-rename/<int:pk>/", _RenameParty.as_view())]


@override_settings(ROOT_URLCONF=__name__)
def test_token_authenticated_api_write_records_the_token_user(client, api_consumer):
    party = PartyFactory(code="west", name="Western forces")

    response = client.post(
        f"/test-rename/{party.pk}/",
        {"name": "Western armed forces"},
        content_type="application/json",
        **bearer(api_consumer, scope=ApiToken.Scope.WRITE_REPORTS),
    )

    assert response.status_code == 200, response.content
    record = _latest(Party, party)
    assert record.history_user == api_consumer
    assert _changes(record) == {"name": ("Western forces", "Western armed forces")}


def test_alert_acknowledged_with_a_token_records_the_analyst(client, analyst, world):
    alert = make_alert(world.clause_a)

    response = client.post(
        f"/api/v1/alerts/{alert.pk}/acknowledge/",
        {"comment": "On it"},
        content_type="application/json",
        **bearer(analyst, scope=ApiToken.Scope.WRITE_REPORTS),
    )

    assert response.status_code == 200, response.content
    move = AlertTransition.objects.filter(alert=alert).latest("id")
    assert (move.kind, move.from_state, move.to_state, move.by, move.comment) == (
        "acknowledged", "open", "acknowledged", analyst, "On it",
    )  # fmt: skip


def test_alert_resolved_in_the_admin_records_the_analyst(client_for, analyst, world):
    alert = make_alert(world.clause_a)

    response = client_for(analyst).post(
        f"/admin/monitor/alert/{alert.pk}/transition/",
        {"state": Alert.State.RESOLVED, "comment": "Verified: withdrawn"},
    )

    assert response.status_code == 302, response.content[:2000]
    move = AlertTransition.objects.filter(alert=alert).latest("id")
    assert (move.to_state, move.by, move.comment) == ("resolved", analyst, "Verified: withdrawn")


def test_token_issue_and_revoke_in_the_admin_are_recorded_without_the_secret(
    client_for, administrator, api_consumer
):
    admin = client_for(administrator)
    admin.post(
        "/admin/accounts/apitoken/add/",
        {"user": api_consumer.pk, "name": "field tool", "scope": "read", "expires_at_0": "",
         "expires_at_1": ""},
    )  # fmt: skip
    token = ApiToken.objects.get()

    admin.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    created, revoked = ApiToken.history.filter(id=token.pk).order_by("history_date", "history_id")
    assert (created.history_type, created.history_user, created.name) == (
        "+", administrator, "field tool",
    )  # fmt: skip
    assert (revoked.history_type, revoked.history_user) == ("~", administrator)
    token.refresh_from_db()
    assert _changes(revoked) == {"revoked_at": ("-", str(token.revoked_at))}
    fields = {f.name for f in ApiToken.history.model._meta.fields}
    assert fields.isdisjoint({"key_hash", "last_used_at"})


def test_revoking_a_revoked_token_writes_no_second_record(api_consumer):
    token, _ = api_token_issue(user=api_consumer, name="tool")
    api_token_revoke(token=token)
    api_token_revoke(token=token)

    assert ApiToken.history.filter(id=token.pk, history_type="~").count() == 1


# --- From the commands ----------------------------------------------------------------------


def test_load_agreement_records_its_name_as_the_reason_and_changes_on_reload(tmp_path):
    call_command("load_agreement", str(MINSK), stdout=open("/dev/null", "w"))  # noqa: SIM115
    minsk = Agreement.objects.get(code="minsk-ii")
    point_11 = Clause.objects.get(agreement=minsk, reference="11")
    created = Clause.history.filter(id=point_11.pk).earliest("history_date")
    assert created.history_user is None
    assert created.history_change_reason == f"load_agreement {MINSK}"
    parties = AgreementParty.objects.filter(agreement=minsk)
    assert AgreementParty.history.filter(id__in=parties.values("id")).count() == parties.count()

    changed = tmp_path / "minsk-ii.yaml"
    changed.write_text(
        MINSK.read_text(encoding="utf-8").replace(
            "    deadline: 2015-12-31\n", "    deadline: 2016-06-30\n"
        ),
        encoding="utf-8",
    )
    call_command("load_agreement", str(changed), stdout=open("/dev/null", "w"))  # noqa: SIM115

    record = _latest(Clause, point_11)
    assert record.history_change_reason == f"load_agreement {changed}"
    assert _changes(record) == {"deadline": ("2015-12-31", "2016-06-30")}


def test_setup_roles_records_the_role_definitions_with_its_name(db):
    call_command("setup_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("setup_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115  (no change)

    analysts = Group.objects.get(name=ANALYST)
    records = Group.history.filter(id=analysts.pk)
    assert {r.history_change_reason for r in records} == {"setup_roles"}
    assert [r.history_type for r in records.order_by("history_date", "history_id")] == ["+", "~"]
    assert "permissions" in _changes(records.latest("history_date"))


# --- Bulk writes ----------------------------------------------------------------------------


def test_resolved_dates_written_in_bulk_are_recorded_with_their_related_lists(world):
    agreement = world.agreement
    clause = world.clause_a
    area = AreaFactory(code="corridor")
    clause.areas.add(area)
    agreement.in_force_on, agreement.signed_on = dt.date(2025, 1, 10), dt.date(2025, 1, 1)
    agreement.save()

    clause_dates_resolve(agreement=agreement)

    record = _latest(Clause, clause)
    changes = _changes(record)
    assert changes["in_force_from"][1] == "2025-01-10"
    assert "areas" not in changes  # the bulk row carries the links, like a signal-written one


def test_mechanism_coverage_change_is_recorded(world):
    mechanism = world.mechanism_a

    mechanism.clauses.add(world.clause_unmonitored)

    record = _latest(VerificationMechanism, mechanism)
    old, new = _changes(record)["clauses"]
    assert old == str(world.clause_a.pk)
    assert set(new.split(", ")) == {str(world.clause_a.pk), str(world.clause_unmonitored.pk)}


# --- Reading it -------------------------------------------------------------------------


AUDIT_PAGES = [
    audit.AgreementChange,
    audit.ClauseChange,
    audit.MechanismChange,
    audit.PartyChange,
    audit.RuleConfigChange,
    audit.ApiTokenChange,
    audit.UserChange,
    audit.GroupChange,
    audit.AlertStateChange,
]


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:audit_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", AUDIT_PAGES, ids=lambda m: m.__name__)
def test_administrator_reads_the_audit_pages(client_for, administrator, world, model):
    make_alert(world.clause_a)
    PartyFactory(code="east")
    RuleConfig.objects.create(agreement=world.agreement, rule="clause.unmonitored")
    api_token_issue(user=administrator, name="tool")
    row = model.objects.first()

    client = client_for(administrator)

    assert client.get(_url(model, "changelist")).status_code == 200
    assert client.get(_url(model, "change", row.pk)).status_code == 200


def test_audit_list_filters_by_user_and_shows_changed_fields(client_for, administrator, world):
    party = PartyFactory(code="north", name="Northern forces")
    client = client_for(administrator)
    client.post(
        f"/admin/agreements/party/{party.pk}/change/",
        {"code": "north", "name": "Northern army", "kind": party.kind, "category": "state",
         "notes": ""},
    )  # fmt: skip

    page = client.get(
        _url(audit.PartyChange, "changelist"), {"history_user__id__exact": administrator.pk}
    )

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [_latest(Party, party)]
    assert b"Northern army" in page.content and b"name" in page.content


@pytest.mark.parametrize("persona", ["analyst", "observer_a", "api_consumer", "outsider"])
def test_audit_pages_are_closed_to_everyone_but_administrators(client_for, request, persona):
    user = request.getfixturevalue(persona)
    user.is_staff = True
    user.save()
    client = client_for(user)
    record = audit.ClauseChange.objects.first()

    for model in (audit.ClauseChange, audit.UserChange, audit.AlertStateChange):
        assert client.get(_url(model, "changelist")).status_code == 403
    assert client.get(_url(audit.ClauseChange, "change", record.pk)).status_code == 403
    # Nor the per-object "History" pages, though analysts may read the clauses themselves.
    assert client.get(f"/admin/agreements/clause/{record.id}/history/").status_code == 403


def test_nobody_edits_or_deletes_the_audit_trail_not_even_a_superuser(
    client_for, administrator, world
):
    client = client_for(administrator)
    record = _latest(Clause, world.clause_a)
    before = list(Clause.history.values_list("history_id", "title", "history_change_reason"))

    refused = [
        client.get(_url(audit.ClauseChange, "add")),
        client.post(_url(audit.ClauseChange, "add"), {"title": "forged"}),
        client.post(_url(audit.ClauseChange, "change", record.pk), {"title": "forged"}),
        client.post(_url(audit.ClauseChange, "delete", record.pk), {"post": "yes"}),
        # Reverting to an old version from the model's own History page.
        client.post(
            f"/admin/agreements/clause/{world.clause_a.pk}/history/{record.history_id}/",
            {"title": "reverted"},
        ),
    ]

    assert [r.status_code for r in refused] == [403] * len(refused)
    changelist = client.post(
        _url(audit.ClauseChange, "changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk]},
    )
    assert changelist.status_code in (200, 302)
    after = list(Clause.history.values_list("history_id", "title", "history_change_reason"))
    assert after == before
    world.clause_a.refresh_from_db()
    assert world.clause_a.title != "reverted"


def test_history_page_shows_old_and_new_values_to_an_administrator(client_for, administrator):
    party = PartyFactory(code="south", name="Southern forces")
    party.name = "Southern army"
    party.save()

    page = client_for(administrator).get(f"/admin/agreements/party/{party.pk}/history/")

    assert page.status_code == 200
    assert b"Southern forces" in page.content and b"Southern army" in page.content
    user_page = client_for(administrator).get(f"/admin/auth/user/{administrator.pk}/history/")
    assert user_page.status_code == 200


# --- The bulk-write rule (docs/audit.md) ------------------------------------------------------

TRACKED = "Party|Area|Agreement|AgreementParty|Clause|VerificationMechanism|RuleConfig|ApiToken"
BULK_WRITE = re.compile(
    rf"\b(?:{TRACKED}|User|Group)\.objects\b[^\n]*?\.(bulk_create|bulk_update|update)\("
)
# Writes that are not in the history on purpose, each explained in docs/audit.md.
ALLOWED = {
    ("accounts/services.py", "last_used_at"),  # the use stamp is not tracked
    ("accounts/services.py", "revoked_at"),  # followed by history_record_changed
    ("agreements/loader/writer.py", "updated_at"),  # not tracked; the changes are
    ("demo/loadgen.py", "bulk_create"),  # synthetic benchmark data
    ("demo/loadgen.py", "bulk_update"),
}


def test_no_bulk_write_on_an_audited_model_bypasses_the_history():
    root = Path(__file__).resolve().parents[2]
    found = []
    for app in ("accounts", "agreements", "reports", "monitor", "audit", "config"):
        for source in (root / app).rglob("*.py"):
            if "migrations" in source.parts:
                continue
            relative = source.relative_to(root).as_posix()
            for line in source.read_text(encoding="utf-8").splitlines():
                match = BULK_WRITE.search(line)
                if match and not any(relative == path and word in line for path, word in ALLOWED):
                    found.append(f"{relative}: {line.strip()}")
    assert found == [], "use core.history.history_bulk_create/_update (docs/audit.md)"
