"""The access policy (docs/access.md) as a persona x URL matrix that cannot miss a page.

It walks every named URL of the URLconf (pages, API, exports, print views, admin), fills in
ids from a world of two missions on one agreement whose records carry marker strings in every
text field, requests each URL as every persona, and checks the status the policy gives and
that no marker of a record the persona may not see is in the body. A named URL that has no
entry here fails ``test_every_named_url_is_in_the_matrix``.
"""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings

from accounts.roles import roles_sync
from tests.accounts.access_matrix import (
    ADMIN_MODELS,
    ADMIN_SITE,
    EVERYONE,
    MATRIX,
    NOT_REQUESTED,
    PERSONAS,
    STAFF,
    Entry,
    admin_model,
    admin_request,
    forbidden_markers,
    named_urls,
)
from tests.accounts.access_world import access_objects_build
from tests.api.conftest import make_alert
from tests.conftest import persona_build, world_build


@pytest.fixture(scope="module")
def access_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, its personas and its objects, built once for this module: inside a
    transaction rolled back after the module's last test. Each test runs in a savepoint of
    it (pytest-django's ``db``), so what one test writes is gone before the next."""
    media = tmp_path_factory.mktemp("media")
    fast_hashing = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast_hashing),
        transaction.atomic(),
    ):
        roles_sync()
        world = world_build()
        personas = {name: persona_build(name, world) for name in PERSONAS}
        yield access_objects_build(world, personas), personas
        transaction.set_rollback(True)


@pytest.fixture
def objects(db, access_world) -> dict:
    return access_world[0]


@pytest.fixture
def personas(db, access_world) -> dict:
    return access_world[1]


def test_every_named_url_is_in_the_matrix():
    missing = []
    for name in named_urls():
        if name in MATRIX or name in ADMIN_SITE or name in NOT_REQUESTED:
            continue
        app_model = admin_model(name) if name.startswith("admin:") else None
        if app_model and (app_model in ADMIN_MODELS or app_model.startswith("audit_")):
            continue
        missing.append(name)
    assert not missing, f"URLs without a policy entry in this matrix: {missing}"


def _login(client, personas: dict, persona: str) -> None:
    if persona != "anonymous":
        client.force_login(personas[persona])


def _assert_no_markers(response, persona: str, label: str) -> None:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"PK\x03\x04"):  # a spreadsheet (XLSX): its text is in its XML parts
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"".join(archive.read(name) for name in archive.namelist())
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
def test_pages_api_and_exports_answer_each_persona_by_policy(client, objects, personas, persona):
    _login(client, personas, persona)
    problems = []
    for name, entry in MATRIX.items():
        if name == "readyz":
            continue
        for query in ("", *entry.variants):
            path = query if query.startswith("/") else entry.path(objects) + query
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
def test_admin_answers_each_persona_by_policy(client, objects, personas, persona):
    _login(client, personas, persona)
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
    client, objects, personas
):
    client.force_login(personas["observer_b"])
    alert = client.get(f"/api/v1/alerts/{objects['alert'].pk}/").json()

    places = sorted(e["place_name"] for e in alert["evidence"])
    assert places == ["MARKB-EVD place", "MARKB-EVD second place"]
    assert alert["evidence_withheld"] == 2
    page = client.get(f"/scorecards/clauses/{objects['clause'].pk}/").content.decode()
    assert "2 observations of other missions withheld" in page
    assert "1 observation of other missions on this clause is withheld" in page
    assert "MARKB-EVD second place" in page


def test_an_observer_sees_no_figures_of_an_agreement_its_missions_do_not_serve(
    client, objects, personas
):
    from tests.factories import AgreementFactory, ClauseFactory

    other = AgreementFactory(code="other-truce", title="Other truce")
    clause = ClauseFactory(agreement=other, reference="1")
    make_alert(clause, explanation="Unseen elsewhere.")
    client.force_login(personas["observer_b"])

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
