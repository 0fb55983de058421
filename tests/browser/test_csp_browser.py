"""The content security policy in a real browser: the admin (login through its form, a change
form with its scripts), the interactive API docs, the browsable API and the scorecards all
work, and the browser reports no blocked script, style or image."""

import re

import pytest

from tests.conftest import PASSWORD


@pytest.mark.django_db(transaction=True)
def test_pages_work_under_the_content_security_policy(administrator, live_server, browser_context):
    violations: list[str] = []
    page = browser_context.new_page()
    page.on(
        "console",
        lambda message: violations.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    response = page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    # A change form runs the admin's own scripts (inlines, "add another").
    page.goto(f"{live_server.url}/admin/agreements/agreement/add/")
    page.wait_for_selector("form#agreement_form")

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Accord Monitor API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 10

    page.goto(f"{live_server.url}/api/v1/alerts/")
    page.wait_for_selector("div.response-info")

    page.goto(f"{live_server.url}/scorecards/")
    assert page.locator("h1").inner_text() == "Agreements"
    assert re.search(r"Test ceasefire", page.content())

    assert violations == []
