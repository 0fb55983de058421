"""The admin's import wizard in a real browser, wide and narrow: every step fits a 390 px
screen without sideways scrolling, and the browser blocks nothing under the CSP."""

import os
from pathlib import Path

import pytest

from reports.models import ImportProfile, InboundPayload
from tests.conftest import PASSWORD
from tests.reports.preview_support import PATROLS, PATROLS_PROFILE, clean_patrols, patrol_world

SHOTS = Path(os.environ.get("PREVIEW_SHOTS", "")) if os.environ.get("PREVIEW_SHOTS") else None
WIDTHS = (1440, 390)


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _look(page, name: str, artifacts: Path) -> None:
    """Every width: no page-wide sideways scroll; a screenshot of each."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        folder = SHOTS or artifacts
        page.screenshot(path=str(folder / f"import-{name}-{width}.png"), full_page=True)
        assert _overflow(page) <= 0, f"{name} scrolls sideways at {width} px"


@pytest.mark.django_db(transaction=True)
def test_the_import_wizard_fits_narrow_screens_under_the_csp(
    observer_a, world, live_server, browser_context, artifacts, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    patrol_world(world)
    ImportProfile.objects.create(
        code="patrol-log", name="Patrol log", definition=PATROLS_PROFILE.read_text()
    )
    violations: list[str] = []
    page = browser_context.new_page()
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "observer_a")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    _look(page, "index", artifacts)

    page.click("text=Import a file")
    _look(page, "1-upload", artifacts)
    page.set_input_files("#id_file", str(PATROLS))
    page.select_option("#id_mission", label="Mission A")
    page.select_option("#id_profile", value="build")
    page.click("input[type=submit]")
    page.wait_for_selector("table.import-columns")
    _look(page, "2-profile", artifacts)

    page.select_option("select[name=set_verification_status]", value="corroborated")
    page.select_option("select[name=unknown_parties]", value="keep")
    page.fill("#id_zone", "Europe/Kyiv")
    for header, target in {
        "Date": "occurred_at",
        "Type": "kind",
        "Clause": "clause",
        "Actor": "party",
        "Place": "place_name",
        "Oblast": "admin_area",
        "Shells": "quantity",
    }.items():
        page.get_by_label(header, exact=True).select_option(value=target)
    page.click("input[value='Next: preview']")
    page.wait_for_selector(".import-outcome")
    assert "This file would be rejected." in page.inner_text(".import-outcome")
    _look(page, "3-preview-rejected", artifacts)

    assert InboundPayload.objects.count() == 0

    clean = tmp_path / "patrols-clean.csv"
    clean.write_bytes(clean_patrols())
    page.goto(f"{live_server.url}/admin/reports/inboundpayload/import/")
    page.set_input_files("#id_file", str(clean))
    page.select_option("#id_mission", label="Mission A")
    page.select_option("#id_profile", value="patrol-log")
    page.click("input[type=submit]")
    page.wait_for_selector(".import-outcome")
    assert "Ready to import." in page.inner_text(".import-outcome")
    _look(page, "3-preview-ready", artifacts)
    page.click("input[value^='Confirm']")
    page.wait_for_selector(".import-outcome")
    assert "Imported." in page.inner_text(".import-outcome")
    _look(page, "4-result", artifacts)

    assert InboundPayload.objects.get().state == InboundPayload.State.DONE
    assert violations == []
