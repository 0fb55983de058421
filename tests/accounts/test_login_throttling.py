"""Login throttling (django-axes): failed logins per username and address lock the login for
a cool-off, with a page that says so; API tokens are not affected."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt

from accounts.services import api_token_issue
from tests.conftest import PASSWORD

LOGIN = "/admin/login/"
WRONG = "not the password"


def login(client, username: str, password: str, *, ip: str = "203.0.113.7"):
    return client.post(
        f"{LOGIN}?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def fail(client, username: str, times: int, *, ip: str = "203.0.113.7"):
    return [login(client, username, WRONG, ip=ip).status_code for _ in range(times)]


def assert_logged_in(response):
    assert response.status_code == 302 and response["Location"] == "/admin/", response.status_code


def test_five_failed_logins_lock_the_account_even_for_the_right_password(client, analyst):
    # The admin answers a failed login with the form again (200); the fifth locks.
    assert fail(client, "analyst", 4) == [200] * 4
    locked = login(client, "analyst", WRONG)
    assert locked.status_code == 429

    response = login(client, "analyst", PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page
    assert "After 5 failed attempts" in page and "analyst" in page
    assert "0:15:00" in page  # the cool-off
    assert "_auth_user_id" not in client.session


def test_the_lock_ends_after_the_cool_off(client, analyst):
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        fail(client, "analyst", 5)
        assert login(client, "analyst", PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        assert login(client, "analyst", PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        assert_logged_in(login(client, "analyst", PASSWORD))


def test_a_successful_login_before_the_limit_resets_the_count(client, analyst):
    fail(client, "analyst", 4)
    assert_logged_in(login(client, "analyst", PASSWORD))
    client.logout()

    assert fail(client, "analyst", 4) == [200] * 4
    assert_logged_in(login(client, "analyst", PASSWORD))


def test_another_user_is_not_affected(client, analyst, administrator):
    fail(client, "analyst", 5)
    assert_logged_in(login(client, "admin", PASSWORD))


def test_the_same_user_from_another_address_is_not_affected(client, analyst):
    fail(client, "analyst", 5, ip="203.0.113.7")
    assert login(client, "analyst", PASSWORD, ip="203.0.113.7").status_code == 429
    assert_logged_in(login(client, "analyst", PASSWORD, ip="198.51.100.20"))


def test_behind_a_proxy_the_forwarded_address_counts(client, settings, analyst):
    settings.BEHIND_PROXY = True

    def via_proxy(client_address: str, password: str):
        return client.post(
            LOGIN,
            {"username": "analyst", "password": password},
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"192.0.2.1, {client_address}",
        )

    for _ in range(5):
        via_proxy("203.0.113.7", WRONG)
    assert via_proxy("203.0.113.7", PASSWORD).status_code == 429
    assert via_proxy("198.51.100.20", PASSWORD).status_code == 302
    attempt = AccessAttempt.objects.get(username="analyst")
    assert attempt.ip_address == "203.0.113.7"


def test_scorecards_log_in_through_the_throttled_admin_login(client, analyst):
    response = client.get("/scorecards/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=/scorecards/")
    fail(client, "analyst", 5)
    response = client.post(
        f"{LOGIN}?next=/scorecards/",
        {"username": "analyst", "password": PASSWORD, "next": "/scorecards/"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 429


def test_api_tokens_are_not_throttled_by_failed_logins(client, api_consumer):
    _, plain = api_token_issue(user=api_consumer, name="dashboard")
    fail(client, "consumer", 5, ip="127.0.0.1")
    assert login(client, "consumer", PASSWORD, ip="127.0.0.1").status_code == 429

    response = client.get("/api/v1/agreements/", HTTP_AUTHORIZATION=f"Bearer {plain}")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("administrator", 200), ("analyst", 403), ("observer_a", 403)],
)
def test_only_administrators_see_and_clear_lockouts_in_the_admin(
    client, client_for, request, persona, expected, analyst
):
    fail(client, "analyst", 5)
    user = request.getfixturevalue(persona)
    response = client_for(user).get("/admin/axes/accessattempt/")
    assert response.status_code == expected
    if expected == 200:
        assert "analyst" in response.content.decode()
