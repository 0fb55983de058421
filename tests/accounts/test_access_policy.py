"""The access policy (docs/access.md) as a persona x URL matrix that cannot miss a page.

It walks every named URL of the URLconf (pages, API, exports, print views, admin), fills in
ids from a world of two missions on one agreement whose records carry marker strings in every
text field, requests each URL as every persona, and checks the status the policy gives and
that no marker of a record the persona may not see is in the body. A named URL that has no
entry here fails ``test_every_named_url_is_in_the_matrix``.
"""

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.contrib.admin.sites import site
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from agreements.models import AgreementParty, Area, ImplementationAssessment
from monitor.models import EvaluationRun, RuleConfig
from notify.models import WebhookDelivery, WebhookSubscription
from reports.models import (
    Channel,
    ColumnProfile,
    EvidenceFile,
    InboundPayload,
    ReportStatus,
)
from tests.api.conftest import make_alert
from tests.factories import ObservationFactory, PartyFactory, ReportFactory

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
PERSONAS = ["observer_a", "observer_b", "analyst", "api_consumer", "administrator", "outsider"]
EVERYONE = [*PERSONAS, "anonymous"]

# Markers. REC: fields only readers of a mission's records see (reports, payloads, sources,
# attributes, files, the mission's own description). EVD: fields an alert's evidence summary
# shows (place, description), which consumers of alerts also read.
REC = {"a": "MARKA-REC", "b": "MARKB-REC"}
EVD = {"a": "MARKA-EVD", "b": "MARKB-EVD"}


def forbidden_markers(persona: str) -> list[str]:
    """Marker strings ``persona`` must never receive, from any URL (the policy's rows)."""
    if persona in ("analyst", "administrator"):
        return []
    if persona == "observer_a":
        return [REC["b"], EVD["b"]]
    if persona == "observer_b":
        return [REC["a"], EVD["a"]]
    if persona == "api_consumer":
        return [REC["a"], REC["b"]]
    return [REC["a"], REC["b"], EVD["a"], EVD["b"]]


@dataclass
class Objects:
    ids: dict[str, object] = field(default_factory=dict)


def _file(mission, *, letter: str, sender, clause, clause_of_other, lat: float, lon: float):
    report = ReportFactory(
        mission=mission,
        external_id=f"{REC[letter]}-ext",
        status=ReportStatus.ACCEPTED,
        filed_at=NOW,
        channel=Channel.API,
        title=f"{REC[letter]} report title",
        summary=f"{REC[letter]} summary",
    )
    observation = ObservationFactory(
        report=report,
        clause=clause,
        occurred_at=NOW - dt.timedelta(hours=2),
        latitude=lat,
        longitude=lon,
        place_name=f"{EVD[letter]} place",
        admin_area="Donetsk oblast",
        description=f"{EVD[letter]} description",
        source=f"{REC[letter]} source",
        attributes={"note": f"{REC[letter]} attribute"},
    )
    # The mission's observation on the other mission's clause: it is evidence for an alert
    # on that clause too, which the other mission's observer must see only as withheld.
    ObservationFactory(
        report=report,
        clause=clause_of_other,
        occurred_at=NOW - dt.timedelta(hours=3),
        place_name=f"{EVD[letter]} second place",
        description=f"{EVD[letter]} second description",
        source=f"{REC[letter]} second source",
    )
    payload = InboundPayload.objects.create(
        body=f'{{"note": "{REC[letter]} body"}}'.encode(),
        sha256=letter * 64,
        content_type="application/json",
        format="json",
        filename=f"{REC[letter]}-payload.json",
        params={"external_id": f"{REC[letter]}-ext"},
        channel=Channel.API,
        sender=sender,
        mission=mission,
        state=InboundPayload.State.DONE,
        result={"observations": 2, "external_id": f"{REC[letter]}-ext"},
        report=report,
    )
    evidence = EvidenceFile(
        mission=mission,
        report=report,
        observation=observation,
        original_name=f"{REC[letter]}-photo.txt",
        content_type="text/plain",
        size=11,
        sha256="0" * 64,
    )
    evidence.file.save(f"{letter}.txt", ContentFile(f"{REC[letter]}\n".encode()), save=False)
    evidence.save()
    return report, observation, payload, evidence


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def objects(world, media, observer_a, observer_b, analyst, api_consumer, administrator, outsider):
    world.mission_a.description = f"{REC['a']} mission description"
    world.mission_a.save()
    world.mission_b.description = f"{REC['b']} mission description"
    world.mission_b.save()
    party = PartyFactory(code="party-east", name="East")
    world.clause_a.obliged_parties.add(party)
    AgreementParty.objects.create(agreement=world.agreement, party=party, role="signatory")
    area = Area.objects.create(code="donetsk-oblast", name="Donetsk oblast")
    report_a, obs_a, payload_a, evidence_a = _file(
        world.mission_a,
        letter="a",
        sender=observer_a,
        clause=world.clause_a,
        clause_of_other=world.clause_b,
        lat=47.1,
        lon=37.9,
    )
    report_b, obs_b, payload_b, evidence_b = _file(
        world.mission_b,
        letter="b",
        sender=observer_b,
        clause=world.clause_b,
        clause_of_other=world.clause_a,
        lat=48.0,
        lon=38.5,
    )
    alert = make_alert(
        world.clause_a,
        severity=3,
        evidence=list(obs_a.report.observations.all()) + list(obs_b.report.observations.all()),
    )
    assessment = ImplementationAssessment.objects.create(
        clause=world.clause_a, level=1, assessed_on=NOW.date(), rationale="Partly done."
    )
    rule_config = RuleConfig.objects.create(rule="clause.unmonitored", agreement=world.agreement)
    run = EvaluationRun.objects.create(trigger="periodic", started_at=NOW, as_of=NOW)
    subscription = WebhookSubscription.objects.create(
        name="Partner", url="https://partner.example/hook", secret="whsec_" + "A" * 32
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        transition=alert.transitions.first(),
        payload={"type": "alert.opened"},
    )
    profile = ColumnProfile.objects.create(code="profile-a", name="Profile A", columns={})
    from accounts.services import api_token_issue

    token, _ = api_token_issue(user=observer_a, name="field tool")
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    attempt = AccessAttempt.objects.create(
        username="someone", ip_address="127.0.0.1", failures_since_start=1
    )
    log = AccessLog.objects.create(username="someone", ip_address="127.0.0.1")
    failure = AccessFailureLog.objects.create(username="someone", ip_address="127.0.0.1")
    from django.contrib.auth.models import Group

    return {
        "world": world,
        "party": party,
        "area": area,
        "agreement": world.agreement,
        "clause": world.clause_a,
        "mechanism": world.mechanism_a,
        "mission": world.mission_a,
        "report": report_a,
        "observation": obs_a,
        "payload": payload_a,
        "evidence": evidence_a,
        "report_b": report_b,
        "alert": alert,
        "implementationassessment": assessment,
        "ruleconfig": rule_config,
        "evaluationrun": run,
        "webhooksubscription": subscription,
        "webhookdelivery": delivery,
        "columnprofile": profile,
        "apitoken": token,
        "user": observer_a,
        "group": Group.objects.get(name="observer"),
        "accessattempt": attempt,
        "accesslog": log,
        "accessfailurelog": failure,
    }


# --- the policy, URL by URL ----------------------------------------------------------------

OBSERVERS = {"observer_a", "observer_b"}
STAFF = {*OBSERVERS, "analyst", "administrator"}
ANALYSTS = {"analyst", "administrator"}
RECORD_READERS = {*OBSERVERS, *ANALYSTS}
FIGURE_READERS = {*OBSERVERS, *ANALYSTS, "api_consumer"}
AGREEMENT_READERS = FIGURE_READERS
MISSION_A = {"observer_a", *ANALYSTS}
PAGE_READERS = {*OBSERVERS, *ANALYSTS}  # consumers have no web login: they use the API


@dataclass(frozen=True)
class Entry:
    """How one URL answers: ``allowed`` personas get ``ok``; the others are refused as the
    kind says (api: 401/403, or 404 for a scoped object; page: login redirect, 403 or 404)."""

    path: object  # a callable of the objects, giving the path (with its query string)
    allowed: frozenset
    kind: str = "api"  # api, page, admin, open
    ok: int = 200
    method: str = "get"
    hidden_from: frozenset = frozenset()  # refused as "no such object" (404 / admin redirect)
    variants: tuple = ()  # extra query strings checked the same way (exports, print view)


def api(path, allowed, **kw) -> Entry:
    return Entry(path, frozenset(allowed), "api", **kw)


def web(path, allowed, **kw) -> Entry:
    return Entry(path, frozenset(allowed), "page", **kw)


ALERT = lambda o: o["alert"].pk  # noqa: E731

MATRIX: dict[str, Entry] = {
    # Pages for analysts and observers (the agreements their missions serve).
    "scorecards:overview": web(lambda o: "/scorecards/", PAGE_READERS),
    "scorecards:agreement": web(
        lambda o: "/scorecards/agreements/test-ceasefire/",
        PAGE_READERS,
        variants=("?format=csv&hxl=1", "?print=1", "?from=2025-01-01&to=2025-03-31"),
    ),
    "scorecards:party": web(lambda o: "/scorecards/parties/party-east/", PAGE_READERS),
    "scorecards:clause": web(lambda o: f"/scorecards/clauses/{o['clause'].pk}/", PAGE_READERS),
    # API: agreements (public texts)
    "api:agreement-list": api(lambda o: "/api/v1/agreements/", AGREEMENT_READERS),
    "api:agreement-detail": api(lambda o: "/api/v1/agreements/test-ceasefire/", AGREEMENT_READERS),
    "api:clause-list": api(lambda o: "/api/v1/clauses/", AGREEMENT_READERS),
    "api:clause-detail": api(lambda o: f"/api/v1/clauses/{o['clause'].pk}/", AGREEMENT_READERS),
    "api:mechanism-list": api(lambda o: "/api/v1/mechanisms/", AGREEMENT_READERS),
    "api:mechanism-detail": api(
        lambda o: f"/api/v1/mechanisms/{o['mechanism'].pk}/", AGREEMENT_READERS
    ),
    # API: row-level records, own missions for observers
    "api:mission-list": api(lambda o: "/api/v1/missions/", RECORD_READERS),
    "api:mission-detail": api(
        lambda o: "/api/v1/missions/mission-a/", MISSION_A, hidden_from=frozenset({"observer_b"})
    ),
    "api:report-submit": api(lambda o: "/api/v1/reports/", RECORD_READERS),
    "api:report-detail": api(
        lambda o: f"/api/v1/reports/{o['report'].pk}/",
        MISSION_A,
        hidden_from=frozenset({"observer_b"}),
    ),
    "api:report-evidence": api(
        lambda o: f"/api/v1/reports/{o['report'].pk}/evidence/",
        MISSION_A,
        hidden_from=frozenset({"observer_b"}),
    ),
    "api:evidence-download": api(
        lambda o: f"/api/v1/evidence/{o['evidence'].pk}/",
        MISSION_A,
        hidden_from=frozenset({"observer_b"}),
    ),
    "api:mission-evidence": api(
        lambda o: "/api/v1/missions/mission-a/evidence/",
        {"observer_a", "administrator"},
        method="post",
        ok=400,  # no file sent: the form's error, after the access check
        hidden_from=frozenset({"observer_b"}),
    ),
    "api:report-upload": api(
        lambda o: "/api/v1/reports/upload",
        {"observer_a", "administrator"},
        method="upload",
        ok=202,
    ),
    "api:payload-list": api(lambda o: "/api/v1/payloads/", RECORD_READERS),
    "api:payload-detail": api(
        lambda o: f"/api/v1/payloads/{o['payload'].pk}/",
        MISSION_A,
        hidden_from=frozenset({"observer_b"}),
    ),
    "api:observation-list": api(
        lambda o: "/api/v1/observations/",
        RECORD_READERS,
        variants=("?format=csv&hxl=1", "?format=geojson", "?agreement=test-ceasefire"),
    ),
    "api:observation-detail": api(
        lambda o: f"/api/v1/observations/{o['observation'].pk}/",
        MISSION_A,
        hidden_from=frozenset({"observer_b"}),
    ),
    # API: alerts, feed and scorecards (figures), evidence bounded for observers
    "api:alert-list": api(
        lambda o: "/api/v1/alerts/",
        FIGURE_READERS,
        variants=("?format=cap", "?format=geojson", "?format=csv&hxl=1"),
    ),
    "api:alert-detail": api(
        lambda o: f"/api/v1/alerts/{ALERT(o)}/", FIGURE_READERS, variants=("?format=cap",)
    ),
    "api:alert-acknowledge": api(
        lambda o: f"/api/v1/alerts/{ALERT(o)}/acknowledge/", ANALYSTS, method="post"
    ),
    "api:alert-resolve": api(
        lambda o: f"/api/v1/alerts/{ALERT(o)}/resolve/", ANALYSTS, method="post"
    ),
    "api:alert-changes": api(lambda o: "/api/v1/alerts/changes/", FIGURE_READERS),
    "api:scorecard-overview": api(lambda o: "/api/v1/scorecards/", FIGURE_READERS),
    "api:scorecard-agreement": api(
        lambda o: "/api/v1/scorecards/agreements/test-ceasefire/", FIGURE_READERS
    ),
    "api:scorecard-party": api(lambda o: "/api/v1/scorecards/parties/party-east/", FIGURE_READERS),
    # Open to all: the schema and its docs, probes (details only for monitoring: ops.health)
    "schema": Entry(lambda o: "/api/schema/", frozenset(EVERYONE), "open"),
    "api-docs": Entry(lambda o: "/api/docs/", frozenset(EVERYONE), "open"),
    "healthz": Entry(lambda o: "/healthz", frozenset(EVERYONE), "open"),
    "readyz": Entry(lambda o: "/readyz", frozenset(), "open"),  # see test_probes below
    "metrics": Entry(lambda o: "/metrics", frozenset(EVERYONE), "open"),
}

# --- the admin: per model, who may view, add and delete; which are bounded by missions -------

V_ALL_STAFF = STAFF  # agreement texts: every staff role
# model name: (viewers, adders, deleters of the world's object, row-scoped by mission, object)
ADMIN_MODELS: dict[str, tuple[set, set, set, bool, str]] = {
    "agreements_party": (V_ALL_STAFF, {"administrator"}, {"administrator"}, False, "party"),
    "agreements_area": (V_ALL_STAFF, {"administrator"}, {"administrator"}, False, "area"),
    "agreements_agreement": (
        V_ALL_STAFF,
        {"administrator"},
        {"administrator"},
        False,
        "agreement",
    ),
    "agreements_clause": (V_ALL_STAFF, {"administrator"}, {"administrator"}, False, "clause"),
    "agreements_verificationmechanism": (
        V_ALL_STAFF,
        {"administrator"},
        {"administrator"},
        False,
        "mechanism",
    ),
    "agreements_implementationassessment": (
        ANALYSTS,
        ANALYSTS,
        {"administrator"},
        False,
        "implementationassessment",
    ),
    "reports_observermission": (
        RECORD_READERS,
        {"administrator"},
        {"administrator"},
        True,
        "mission",
    ),
    "reports_report": (RECORD_READERS, {*OBSERVERS, "administrator"}, set(), True, "report"),
    "reports_inboundpayload": (RECORD_READERS, set(), set(), True, "payload"),
    "reports_columnprofile": (
        {"administrator"},
        {"administrator"},
        {"administrator"},
        False,
        "columnprofile",
    ),
    "monitor_alert": (ANALYSTS, set(), set(), False, "alert"),
    "monitor_ruleconfig": (ANALYSTS, {"administrator"}, {"administrator"}, False, "ruleconfig"),
    "monitor_evaluationrun": (ANALYSTS, set(), set(), False, "evaluationrun"),
    "notify_webhooksubscription": (
        ANALYSTS,
        {"administrator"},
        {"administrator"},
        False,
        "webhooksubscription",
    ),
    "notify_webhookdelivery": (ANALYSTS, set(), set(), False, "webhookdelivery"),
    "accounts_apitoken": (
        {"administrator"},
        {"administrator"},
        {"administrator"},
        False,
        "apitoken",
    ),
    "auth_user": ({"administrator"}, {"administrator"}, {"administrator"}, False, "user"),
    "auth_group": ({"administrator"}, {"administrator"}, {"administrator"}, False, "group"),
    "axes_accessattempt": ({"administrator"}, set(), {"administrator"}, False, "accessattempt"),
    "axes_accesslog": ({"administrator"}, set(), {"administrator"}, False, "accesslog"),
    "axes_accessfailurelog": (
        {"administrator"},
        set(),
        {"administrator"},
        False,
        "accessfailurelog",
    ),
}
# Audited models: their per-object history is the audit trail, read by administrators only.
AUDITED = {
    "agreements_party",
    "agreements_area",
    "agreements_agreement",
    "agreements_clause",
    "agreements_verificationmechanism",
    "monitor_ruleconfig",
    "accounts_apitoken",
    "auth_user",
    "auth_group",
}
# Observers may delete their missions' drafts, not a filed report like the world's.
DRAFT_DELETERS = {"reports_report": OBSERVERS}
ADMIN_OPS = ("changelist", "add", "change", "history", "delete", "simple_history")


def _admin_model(name: str) -> str | None:
    """The ``app_model`` of an admin URL name, or None for the site's own URLs."""
    for op in sorted(ADMIN_OPS, key=len, reverse=True):
        if name.endswith(f"_{op}"):
            return name[len("admin:") : -len(op) - 1]
    return None


def _audit_model(app_model: str):
    for model in site._registry:
        if f"{model._meta.app_label}_{model._meta.model_name}" == app_model:
            return model
    raise LookupError(app_model)


def admin_spec(app_model: str) -> tuple[set, set, set, bool, str]:
    if app_model.startswith("audit_"):  # the audit trail: administrators read, nobody writes
        return ({"administrator"}, set(), set(), False, f"audit:{app_model}")
    return ADMIN_MODELS[app_model]


def admin_object(objects: dict, key: str):
    if key.startswith("audit:"):
        return _audit_model(key[len("audit:") :]).objects.order_by("pk").first()
    return objects[key]


ADMIN_SITE = {
    # name: (path, personas answered 200; everyone else as the kind says)
    "admin:index": (lambda o: "/admin/", STAFF),
    # A logged-in staff user is sent on to the index; the others see the form.
    "admin:login": (lambda o: "/admin/login/", {"anonymous", "api_consumer", "outsider"}),
    "admin:password_change": (lambda o: "/admin/password_change/", STAFF),
    "admin:password_change_done": (lambda o: "/admin/password_change/done/", STAFF),
    "admin:jsi18n": (lambda o: "/admin/jsi18n/", STAFF),
    "admin:app_list": (lambda o: "/admin/reports/", RECORD_READERS),
    "admin:autocomplete": (
        lambda o: "/admin/autocomplete/?app_label=reports&model_name=observation"
        "&field_name=clause&term=",
        STAFF,  # a clause picker: every staff role reads the agreements' texts
    ),
    "admin:reports_inboundpayload_upload": (
        lambda o: "/admin/reports/inboundpayload/upload/",
        {*OBSERVERS, "administrator"},
    ),
    "admin:monitor_alert_transition": (
        lambda o: f"/admin/monitor/alert/{o['alert'].pk}/transition/?to=acknowledged",
        ANALYSTS,
    ),
}
# Named URLs the walker knows but does not request, each with the reason.
NOT_REQUESTED = {
    "admin:logout": "POST only; logging out is tested in tests/config",
    "admin:view_on_site": "no model of ours defines get_absolute_url",
    "admin:auth_user_password_change": "an administrator's form, as admin:auth_user_change",
}


def named_urls() -> list[str]:
    """Every named URL of the URLconf, as namespace:name."""
    names: list[str] = []

    def walk(resolver: URLResolver, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or ""
                walk(pattern, f"{namespace}:{ns}".strip(":") if ns else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.append(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver(), "")
    return sorted(set(names))


def admin_request(name: str, objects: dict) -> tuple[str, set, set]:
    """(path, personas answered 200, personas for whom the object does not exist)."""
    if name in ADMIN_SITE:
        path_of, allowed = ADMIN_SITE[name]
        return path_of(objects), set(allowed), set()
    app_model = _admin_model(name)
    viewers, adders, deleters, scoped, key = admin_spec(app_model)
    app, _, model = app_model.partition("_")
    base = f"/admin/{app}/{model}/"
    obj = admin_object(objects, key)
    hidden = {"observer_b"} if scoped else set()
    op = name[len(f"admin:{app_model}_") :]
    if op == "changelist":
        return base, viewers, set()
    if op == "add":
        return f"{base}add/", adders, set()
    if op == "change":
        return f"{base}{obj.pk}/change/", viewers - hidden, hidden & viewers
    historians = {"administrator"} if app_model in AUDITED else viewers
    if op == "history":
        return f"{base}{obj.pk}/history/", historians - hidden, hidden & historians
    if op == "delete":
        # Django refuses a missing permission (403) before it looks the object up (302).
        may_delete_some = deleters | DRAFT_DELETERS.get(app_model, set())
        return f"{base}{obj.pk}/delete/", deleters - hidden, hidden & may_delete_some
    if op == "simple_history":
        record = obj.history.order_by("history_id").first()
        return f"{base}{obj.pk}/history/{record.history_id}/", historians, set()
    raise LookupError(name)


def test_every_named_url_is_in_the_matrix():
    missing = []
    for name in named_urls():
        if name in MATRIX or name in ADMIN_SITE or name in NOT_REQUESTED:
            continue
        app_model = _admin_model(name) if name.startswith("admin:") else None
        if app_model and (app_model in ADMIN_MODELS or app_model.startswith("audit_")):
            continue
        missing.append(name)
    assert not missing, f"URLs without a policy entry in this matrix: {missing}"


def _login(client, request, persona: str) -> None:
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))


def _assert_no_markers(response, persona: str, label: str) -> None:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    for marker in forbidden_markers(persona):
        assert marker not in text, f"{label}: {persona} received {marker}"


def _assert_refused(response, entry: Entry, persona: str, label: str) -> None:
    code = response.status_code
    hidden = persona in entry.hidden_from
    if entry.kind == "api":
        expected = 401 if persona == "anonymous" else (404 if hidden else 403)
    else:  # pages: the login page for the anonymous, else 403 (or 404 for a hidden object)
        expected = 302 if persona == "anonymous" else (404 if hidden else 403)
    assert code == expected, f"{label}: {persona} got {code}, the policy says {expected}"
    if code == 302:
        assert "/admin/login/" in response["Location"], label


def _request(client, entry: Entry, path: str):
    if entry.method == "upload":  # a report file for mission A
        body = b'{"mission": "mission-a", "external_id": "matrix-upload", "observations": []}'
        upload = SimpleUploadedFile("matrix.json", body, "application/json")
        return client.post(path, data={"file": upload, "mission": "mission-a"})
    if entry.method == "post":
        return client.post(path, data={"comment": "Checked on the ground."})
    return client.get(path)


@pytest.mark.parametrize("persona", EVERYONE)
def test_pages_api_and_exports_answer_each_persona_by_policy(request, client, objects, persona):
    _login(client, request, persona)
    problems = []
    for name, entry in MATRIX.items():
        if name == "readyz":
            continue
        for query in ("", *entry.variants):
            path = entry.path(objects) + query
            label = f"{name} {entry.method.upper()} {path}"
            response = _request(client, entry, path)
            try:
                if entry.kind == "open" or persona in entry.allowed:
                    assert response.status_code == entry.ok, (
                        f"{label}: {persona} got {response.status_code}, expected {entry.ok}"
                    )
                else:
                    _assert_refused(response, entry, persona, label)
                _assert_no_markers(response, persona, label)
            except AssertionError as failed:
                problems.append(str(failed).splitlines()[0])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("persona", EVERYONE)
def test_admin_answers_each_persona_by_policy(request, client, objects, persona):
    _login(client, request, persona)
    problems = []
    for name in named_urls():
        if not name.startswith("admin:") or name in NOT_REQUESTED:
            continue
        path, allowed, hidden = admin_request(name, objects)
        response = client.get(path)
        label = f"{name} {path}"
        code = response.status_code
        staff = persona in STAFF
        if persona in allowed:
            expected = 200
        elif name == "admin:login" or not staff:
            expected = 302  # to the admin's login page (no staff account) or, once in, on
        elif persona in hidden:
            expected = 302  # "does not exist (perhaps it was deleted?)": back to the index
        else:
            expected = 403
        if code != expected:
            problems.append(f"{label}: {persona} got {code}, the policy says {expected}")
            continue
        if code == 302 and not staff:
            assert "/admin/login/" in response["Location"], label
        if code == 302 and persona in hidden:
            assert response["Location"] == "/admin/", label  # no page confirms the object
        try:
            _assert_no_markers(response, persona, label)
        except AssertionError as failed:
            problems.append(str(failed))
    assert not problems, "\n".join(problems)


def test_observer_b_sees_alerts_of_its_agreement_with_mission_a_evidence_withheld(
    client, objects, observer_b
):
    client.force_login(observer_b)
    alert = client.get(f"/api/v1/alerts/{objects['alert'].pk}/").json()

    places = sorted(e["place_name"] for e in alert["evidence"])
    assert places == ["MARKB-EVD place", "MARKB-EVD second place"]
    assert alert["evidence_withheld"] == 2
    page = client.get(f"/scorecards/clauses/{objects['clause'].pk}/").content.decode()
    assert "2 observations of other missions withheld" in page
    assert "1 observation of other missions on this clause is withheld" in page
    assert "MARKB-EVD second place" in page


def test_an_observer_sees_no_figures_of_an_agreement_its_missions_do_not_serve(
    client, objects, observer_b
):
    from tests.factories import AgreementFactory, ClauseFactory

    other = AgreementFactory(code="other-truce", title="Other truce")
    clause = ClauseFactory(agreement=other, reference="1")
    make_alert(clause, explanation="Unseen elsewhere.")
    client.force_login(observer_b)

    assert client.get("/scorecards/agreements/other-truce/").status_code == 404
    assert client.get(f"/scorecards/clauses/{clause.pk}/").status_code == 404
    assert client.get("/api/v1/scorecards/agreements/other-truce/").status_code == 404
    alerts = client.get("/api/v1/alerts/").json()["results"]
    assert {a["agreement"] for a in alerts} == {"test-ceasefire"}
    changes = client.get("/api/v1/alerts/changes/").json()["results"]
    assert {c["alert"]["agreement"] for c in changes} == {"test-ceasefire"}
    assert "Other truce" not in client.get("/scorecards/").content.decode()


def test_probes_give_details_only_to_monitoring(client, objects):
    response = client.get("/readyz", REMOTE_ADDR="203.0.113.9")
    assert response.status_code in (200, 503)
    assert set(response.json()) <= {"status"}
