"""Pages answer a bad query parameter with 400 in their layout, never a 404; without DEBUG the
error pages are the project's own."""

import pytest
from django.test import override_settings


@pytest.mark.parametrize(
    ("query", "parameter", "expected"),
    [
        ("from=garbage", "from", "YYYY-MM-DD"),
        ("to=2025-13-40", "to", "YYYY-MM-DD"),
        ("as_of=yesterday", "as_of", "YYYY-MM-DD"),
        ("from=2025-03-01&to=2025-01-01", "to", "on or after the start of the period"),
        ("from=0001-01-01", "from", "from 1900-01-01 to 2100-12-31"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it_and_what_is_expected(
    client_for, analyst, world, query, parameter, expected
):
    response = client_for(analyst).get(f"/scorecards/agreements/test-ceasefire/?{query}")

    assert response.status_code == 400
    page = response.content.decode()
    assert f"<code>{parameter}</code>" in page and expected in page
    assert 'class="site"' in page  # the site's layout, with its navigation
    assert "Page not found" not in page and "URLconf" not in page


@override_settings(DEBUG=False)
def test_without_debug_a_missing_page_is_the_projects_404(client_for, analyst, world):
    response = client_for(analyst).get("/scorecards/agreements/no-such-agreement/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Accord Monitor" in page and "no record here that you may see" in page
    assert "URLconf" not in page


@override_settings(DEBUG=False)
def test_a_user_without_a_role_gets_the_projects_403_saying_what_to_ask_for(client_for, outsider):
    response = client_for(outsider).get("/scorecards/")

    assert response.status_code == 403
    assert "Ask an administrator for a role" in response.content.decode()


@override_settings(DEBUG=False)
def test_a_server_error_is_the_projects_500(client, analyst, world, monkeypatch):
    from monitor import views

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "agreements_overview", broken)
    client.raise_request_exception = False
    client.force_login(analyst)

    response = client.get("/scorecards/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Accord Monitor: server error" in page and "Nothing you sent was lost" in page
    assert "boom" not in page
