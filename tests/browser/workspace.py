"""What every page of the analyst's workspace must pass in a real browser (issue 16), in one
place: the demo loaded once per test, a logged-in page that records console errors and
content-security-policy violations, axe-core (from the npm registry, vendored by
``make vendor``) run inside the page, no horizontal overflow at a phone's width, and
screenshots at desk and phone width kept in ``artifacts/`` (CI keeps the folder).

Use: ``page = signed_in(browser_context, live_server, "analyst")``, then
``check_page(page, url, "explore")`` for each page, then ``assert_quiet(page)``.
"""

import io
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from monitor import receivers

PASSWORD = "browser test password 1"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DESK, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}
# axe-core's impact levels the issue forbids; "moderate" and "minor" are reported, not failed.
FORBIDDEN_IMPACTS = ("serious", "critical")


def load_demo(monkeypatch, *usernames: str) -> None:
    """The demo, rules run once at the end (not after each of its ~400 ingests), and a known
    password for ``usernames``."""
    monkeypatch.setattr(receivers, "evaluation_request", lambda **kwargs: [])
    call_command("load_demo", stdout=io.StringIO())
    call_command("refresh_aggregates", stdout=io.StringIO())
    call_command("evaluate_rules", stdout=io.StringIO())
    for username in usernames:
        user = get_user_model().objects.get(username=username)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


def signed_in(browser_context, live_server, username: str):
    """A page logged in as ``username`` that records console errors and CSP violations in
    ``page.problems`` (checked by ``assert_quiet``)."""
    page = browser_context.new_page()
    problems: list[str] = []
    page.problems = problems
    page.on(
        "console",
        lambda message: problems.append(f"console {message.type}: {message.text}")
        if message.type == "error" or "Content Security Policy" in message.text
        else None,
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(f"{live_server.url}/admin/login/?next=/scorecards/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/scorecards/")
    return page


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern (a
        # <script> tag would be refused, rightly: the CSP forbids inline script).
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await window.axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in FORBIDDEN_IMPACTS
    ]


def overflow_px(page) -> int:
    """How far the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def check_page(page, url: str, name: str, *, ready: str = "main") -> None:
    """Open ``url`` at desk and phone width: no serious or critical axe violation, no
    horizontal overflow on the phone, screenshots ``artifacts/<name>-1440.png`` and
    ``<name>-390.png``. ``ready``: a selector present once the page is drawn."""
    folder = Path(settings.BASE_DIR) / "artifacts"
    folder.mkdir(exist_ok=True)
    for label, size in (("1440", DESK), ("390", PHONE)):
        page.set_viewport_size(size)
        page.goto(url)
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        assert violations == [], f"{name} at {label} px: {violations}"
        if label == "390":
            assert overflow_px(page) <= 0, (
                f"{name} overflows a 390 px phone by {overflow_px(page)} px"
            )
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)


def assert_quiet(page) -> None:
    """No console error, uncaught script error or CSP violation since the page opened."""
    assert page.problems == [], page.problems
