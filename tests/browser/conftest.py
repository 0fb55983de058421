"""Browser tests: Playwright driving the system's Chromium (Debian's ``chromium`` package).

Playwright's own browser download is not used: CI installs Chromium with apt. Without it the
tests skip with the reason, except under REQUIRE_SERVICES=1 (CI), where they fail.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told the calls are synchronous on purpose (they are).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _unavailable(reason: str) -> None:
    if settings.REQUIRE_SERVICES or os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and REQUIRE_SERVICES=1 says it must be.")
    pytest.skip(f"{reason}; install it to run the browser tests (CI sets REQUIRE_SERVICES=1).")


@pytest.fixture(autouse=True)
def _browser_available() -> None:
    """Checked before any other fixture of these tests sets up data for nothing."""
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright is not installed (pip install -r requirements-dev.txt)")


@pytest.fixture
def browser_context(tmp_path):
    """A headless Chromium with a fresh profile that accepts downloads."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=tmp_path / "profile",
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            accept_downloads=True,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go; CI keeps the folder (it is ignored by git)."""
    folder = Path(settings.BASE_DIR) / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder
