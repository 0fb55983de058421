"""The access policy (docs/access.md) as data: for every named URL of the site, which
personas it answers and how it refuses the others; for every admin model, who may view, add
and delete. Requested by tests/accounts/test_access_policy.py."""

from dataclasses import dataclass

from django.contrib.admin.sites import site
from django.urls import URLPattern, URLResolver, get_resolver

from tests.accounts.access_world import EVD, REC

PERSONAS = ["observer_a", "observer_b", "analyst", "api_consumer", "administrator", "outsider"]
EVERYONE = [*PERSONAS, "anonymous"]


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
    # Extra query strings checked the same way (exports, print view); one starting with "/"
    # is a whole path (another format of the same download).
    variants: tuple = ()


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
    # The analyst's workspace (issue 16): records bounded by missions, alerts by agreements.
    "explore:explore": web(
        lambda o: "/explore/",
        PAGE_READERS,
        variants=("?agreement=test-ceasefire&kind=violation", "?party=unattributed"),
    ),
    "explore:export": web(
        lambda o: "/explore/export.csv",
        PAGE_READERS,
        variants=(
            "?agreement=test-ceasefire",
            "/explore/export.geojson?agreement=test-ceasefire",
            "/explore/export.xlsx",
        ),
    ),
    "explore:clusters": web(
        lambda o: "/explore/clusters.json",
        PAGE_READERS,
        variants=("?agreement=test-ceasefire&zoom=8&bbox=20,40,45,55", "?party=unattributed"),
    ),
    "explore:basemap": web(lambda o: "/explore/basemap.json", PAGE_READERS),
    "explore:observation": web(
        lambda o: f"/explore/observations/{o['observation'].pk}/",
        MISSION_A,
        hidden_from=frozenset({"observer_b"}),
    ),
    "alerts:inbox": web(lambda o: "/alerts/", PAGE_READERS, variants=("?retrospective=true",)),
    "alerts:alert": web(lambda o: f"/alerts/{ALERT(o)}/", PAGE_READERS),
    "changes:changes": web(lambda o: "/changes/", PAGE_READERS, variants=("?since=2025-01-01",)),
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
    "favicon": Entry(lambda o: "/favicon.ico", frozenset(EVERYONE), "open", ok=302),
}

# --- the admin: per model, who may view, add and delete; which are bounded by missions -------

V_ALL_STAFF = STAFF  # agreement texts: every staff role
# model name: (viewers, adders, deleters of the world's object, row-scoped by mission, object)
ADMIN_MODELS: dict[str, tuple[set, set, set, bool, str]] = {
    "agreements_party": (V_ALL_STAFF, {"administrator"}, {"administrator"}, False, "party"),
    "agreements_area": (V_ALL_STAFF, {"administrator"}, {"administrator"}, False, "area"),
    "agreements_controlarea": (
        V_ALL_STAFF,
        {"administrator"},
        {"administrator"},
        False,
        "controlarea",
    ),
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
    "reports_observation": (RECORD_READERS, set(), set(), True, "observation"),
    "reports_importprofile": (
        {"administrator"},
        {"administrator"},
        {"administrator"},
        False,
        "importprofile",
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
    "agreements_controlarea",
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


def admin_model(name: str) -> str | None:
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
    # The import wizard: without a file in progress its steps say so (and link to step 1).
    "admin:reports_inboundpayload_import": (
        lambda o: "/admin/reports/inboundpayload/import/",
        {*OBSERVERS, "administrator"},
    ),
    "admin:reports_inboundpayload_import_build": (
        lambda o: "/admin/reports/inboundpayload/import/profile/",
        {*OBSERVERS, "administrator"},
    ),
    "admin:reports_inboundpayload_import_preview": (
        lambda o: "/admin/reports/inboundpayload/import/preview/",
        {*OBSERVERS, "administrator"},
    ),
    "admin:reports_inboundpayload_import_result": (
        lambda o: f"/admin/reports/inboundpayload/import/result/{o['payload'].pk}/",
        {"observer_a", "administrator"},
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
    app_model = admin_model(name)
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
