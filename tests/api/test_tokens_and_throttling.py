"""API tokens (hashed, scoped, revocable, expiring, last use recorded) and rate limits."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_issue, api_token_revoke
from accounts.throttling import TokenRateThrottle
from tests.api.conftest import assert_error_shape, bearer

AGREEMENTS = "/api/v1/agreements/"


def _auth(plain: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def test_a_token_is_stored_hashed_and_its_plain_text_nowhere(api_consumer):
    token, plain = api_token_issue(user=api_consumer, name="dashboard")
    assert plain.startswith(f"am_{token.key_id}_")
    secret = plain.removeprefix(f"am_{token.key_id}_")  # may itself contain "_"
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == ApiToken.hash_secret(secret) != secret
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")  # noqa: S608
        row = " ".join(str(value) for value in cursor.fetchone())
    assert secret not in row and plain not in row


def test_a_live_token_authenticates_and_records_its_last_use(client, api_consumer):
    token, plain = api_token_issue(user=api_consumer, name="dashboard")
    assert token.last_used_at is None

    response = client.get(AGREEMENTS, **_auth(plain))

    assert response.status_code == 200
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < dt.timedelta(seconds=30)


def test_last_use_is_written_at_most_once_a_minute(client, api_consumer):
    token, plain = api_token_issue(user=api_consumer, name="dashboard")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.get(AGREEMENTS, **_auth(plain))
        clock.shift(dt.timedelta(seconds=30))
        client.get(AGREEMENTS, **_auth(plain))
        token.refresh_from_db()
        assert token.last_used_at == start
        clock.shift(dt.timedelta(seconds=61))
        client.get(AGREEMENTS, **_auth(plain))
    token.refresh_from_db()
    assert token.last_used_at == start + dt.timedelta(seconds=91)


def test_the_token_keyword_is_accepted_too(client, api_consumer):
    _, plain = api_token_issue(user=api_consumer, name="legacy tool")
    assert client.get(AGREEMENTS, HTTP_AUTHORIZATION=f"Token {plain}").status_code == 200


def _refused(response) -> None:
    assert response.status_code == 401
    assert "revoked" in assert_error_shape(response, "authentication_failed")["message"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_gets_401(client, api_consumer):
    token, plain = api_token_issue(user=api_consumer, name="dashboard")
    assert client.get(AGREEMENTS, **_auth(plain)).status_code == 200

    api_token_revoke(token=token)

    _refused(client.get(AGREEMENTS, **_auth(plain)))


def test_an_expired_token_gets_401(client, api_consumer):
    soon = timezone.now() + dt.timedelta(hours=1)
    _, plain = api_token_issue(user=api_consumer, name="dashboard", expires_at=soon)
    assert client.get(AGREEMENTS, **_auth(plain)).status_code == 200

    with time_machine.travel(soon + dt.timedelta(seconds=1)):
        _refused(client.get(AGREEMENTS, **_auth(plain)))


def test_the_token_of_a_deactivated_user_gets_401(client, api_consumer):
    _, plain = api_token_issue(user=api_consumer, name="dashboard")
    api_consumer.is_active = False
    api_consumer.save()

    _refused(client.get(AGREEMENTS, **_auth(plain)))


@pytest.mark.parametrize(
    "authorization", ["Bearer am_000000000000_wrong", "Bearer am_", "Bearer nonsense"]
)
def test_a_made_up_token_gets_401_and_uses_no_real_one(client, api_consumer, authorization):
    token, _ = api_token_issue(user=api_consumer, name="dashboard")
    response = client.get(AGREEMENTS, HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    assert_error_shape(response, "authentication_failed")
    token.refresh_from_db()
    assert token.last_used_at is None


def test_a_token_whose_secret_is_wrong_gets_401(client, api_consumer):
    token, plain = api_token_issue(user=api_consumer, name="dashboard")
    response = client.get(AGREEMENTS, **_auth(plain[:-2] + "xx"))
    assert response.status_code == 401


def test_a_token_carries_its_users_roles_and_no_more(client, outsider):
    response = client.get(AGREEMENTS, **bearer(outsider))
    assert response.status_code == 403
    assert_error_shape(response, "permission_denied")


# --- throttling -------------------------------------------------------------------------


@pytest.fixture
def three_a_minute(monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "rate", "3/min", raising=False)


def test_requests_over_the_rate_get_429_with_retry_after(client, api_consumer, three_a_minute):
    headers = bearer(api_consumer)
    for _ in range(3):
        assert client.get(AGREEMENTS, **headers).status_code == 200

    response = client.get(AGREEMENTS, **headers)

    assert response.status_code == 429
    assert_error_shape(response, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 61


def test_the_limit_lifts_once_the_window_has_passed(client, api_consumer, three_a_minute):
    headers = bearer(api_consumer)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            client.get(AGREEMENTS, **headers)
        assert client.get(AGREEMENTS, **headers).status_code == 429
        clock.shift(dt.timedelta(seconds=61))
        assert client.get(AGREEMENTS, **headers).status_code == 200


def test_each_token_has_its_own_count(client, api_consumer, analyst, three_a_minute):
    busy, other = bearer(api_consumer), bearer(analyst)
    for _ in range(3):
        client.get(AGREEMENTS, **busy)
    assert client.get(AGREEMENTS, **busy).status_code == 429
    assert client.get(AGREEMENTS, **other).status_code == 200


def test_browser_sessions_are_limited_per_user(client_for, api_consumer, three_a_minute):
    client = client_for(api_consumer)
    statuses = [client.get(AGREEMENTS).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_request_passed_between_views_is_counted_once(client, observer_a, three_a_minute):
    # GET /reports/ hands the request to the report list view: still one request.
    headers = bearer(observer_a)
    statuses = [client.get("/api/v1/reports/", **headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_throttled_export_answers_429_in_json(client, analyst, three_a_minute):
    headers = bearer(analyst)
    for _ in range(3):
        client.get("/api/v1/observations/", {"format": "csv"}, **headers)
    response = client.get("/api/v1/observations/", {"format": "csv"}, **headers)
    assert response.status_code == 429
    assert "Retry-After" in response
    assert_error_shape(response, "throttled")


def test_the_configured_rate_comes_from_api_rate_limit(settings):
    from rest_framework.settings import api_settings

    assert (
        api_settings.DEFAULT_THROTTLE_RATES["token"]
        == settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]
    )
    assert TokenRateThrottle().num_requests >= 1
