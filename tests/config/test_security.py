"""HTTPS: pages redirect, API calls over plain HTTP get a JSON error; security headers and
cookie flags on responses; the client address used by the login throttling."""

import pytest
from django.test import RequestFactory

from core.security import client_ip
from tests.conftest import PASSWORD


@pytest.fixture
def https_only(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True


def test_page_over_http_redirects_to_https(db, https_only, client):
    response = client.get("/scorecards/?x=1")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/scorecards/?x=1"


def test_api_docs_page_over_http_redirects_too(db, https_only, client):
    response = client.get("/api/docs/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/docs/"


@pytest.mark.parametrize("path", ["/api/v1/alerts/", "/api/v1/reports/", "/api/schema/"])
def test_api_call_over_http_gets_an_error_not_a_redirect(
    db, https_only, client, api_consumer, path
):
    response = client.post(path, data={"x": 1}, HTTP_AUTHORIZATION="Bearer am_1_secret")
    assert response.status_code == 403
    assert "Location" not in response
    error = response.json()["error"]
    assert error["code"] == "https_required"
    assert f"https://testserver{path}" in error["message"]


def test_api_call_over_https_is_served(db, https_only, client_for, analyst):
    response = client_for(analyst).get("/api/v1/alerts/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_api_call_forwarded_as_https_by_a_trusted_proxy_is_served(
    db, https_only, settings, client_for, analyst
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = client_for(analyst)
    assert client.get("/api/v1/alerts/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/api/v1/alerts/", HTTP_X_FORWARDED_PROTO="http").status_code == 403


def test_forwarded_proto_is_ignored_without_a_proxy(db, https_only, client_for, analyst):
    # SECURE_PROXY_SSL_HEADER is unset unless BEHIND_PROXY: a client cannot claim HTTPS.
    response = client_for(analyst).get("/api/v1/alerts/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 403


def test_without_https_redirect_plain_http_is_served(db, settings, client_for, analyst):
    settings.SECURE_SSL_REDIRECT = False
    assert client_for(analyst).get("/api/v1/alerts/").status_code == 200


def test_security_headers_on_a_page(db, https_only, client_for, analyst):
    response = client_for(analyst).get("/scorecards/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # a nonce joins it only when a template uses one
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy["script-src"]


def test_api_docs_need_no_inline_script(db, client_for, analyst):
    client = client_for(analyst)
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page  # every script has a src, which script-src 'self' allows
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_login_cookies_are_secure_and_http_only(db, https_only, client, analyst):
    page = client.get("/admin/login/", secure=True)
    assert page.cookies["csrftoken"]["secure"] is True
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "analyst", "password": PASSWORD, "next": "/admin/"},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_client_ip_is_the_peer_address_without_a_proxy(settings):
    settings.BEHIND_PROXY = False
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert client_ip(request) == "203.0.113.9"


def test_client_ip_behind_a_proxy_is_the_entry_the_proxy_added(settings):
    settings.BEHIND_PROXY = True
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9"
    )
    # The left entry is whatever the client sent; the right one is what our proxy saw.
    assert client_ip(request) == "203.0.113.9"
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_over_http_are_not_redirected(db, https_only, client, path):
    assert client.get(path).status_code != 301
