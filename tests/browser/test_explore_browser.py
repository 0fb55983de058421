"""The explorer in Chromium, on the demo: filter through the form (the URL keeps the state and
the back button restores it), the map draws clusters, a cluster zooms in, a single point opens
its observation with its report's ledger hash; axe-core, 390 px and print checked."""

import re

import pytest

from tests.browser.workspace import assert_quiet, check_page, load_demo, signed_in

MARKER = ".leaflet-marker-icon.cluster"


def _zoom(page) -> int:
    found = re.search(r"#map=(\d+)/", page.url)
    return int(found.group(1)) if found else -1


def _map_settled(page) -> None:
    page.wait_for_selector(MARKER)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)  # Leaflet's zoom animation


@pytest.mark.django_db(transaction=True)
def test_analyst_filters_the_explorer_and_follows_a_point_to_its_evidence(
    live_server, browser_context, monkeypatch
):
    load_demo(monkeypatch, "analyst")
    page = signed_in(browser_context, live_server, "analyst")
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)

    page.goto(f"{live_server.url}/explore/")
    assert page.locator("#summary").inner_text().startswith("Every observation you may see")
    _map_settled(page)

    # Filter through the form: the URL is the state.
    page.select_option("#f-agreement", label="Minsk II")
    page.check("input[name=kind][value=violation]")
    page.fill("#f-from", "2015-03-01")
    page.fill("#f-to", "2015-03-31")
    page.click("form.explore-filters button[type=submit]")
    page.wait_for_url(
        re.compile(r"agreement=minsk-ii&kind=violation&from=2015-03-01&to=2015-03-31")
    )
    summary = page.locator("#summary").inner_text()
    assert summary.startswith("Violations in Minsk II, 1 Mar – 31 Mar 2015: "), summary
    assert page.locator("table.observations tbody tr").count() > 1
    assert page.locator("svg.weekly-desk").is_visible()
    filtered = page.url.split("#")[0]

    page.go_back()
    page.wait_for_url(re.compile(r"/explore/(#.*)?$"))
    assert page.locator("#summary").inner_text().startswith("Every observation")
    page.go_forward()
    page.wait_for_url(re.compile(r"kind=violation"))
    assert page.url.split("#")[0] == filtered
    assert page.locator("input[name=kind][value=violation]").is_checked()

    # The map: a group zooms in, and offers its rows in the table.
    _map_settled(page)
    groups = page.locator(MARKER).filter(has_not_text=re.compile(r"^1$"))
    before = _zoom(page)
    groups.first.click()
    page.wait_for_function(f"() => /#map=(\\d+)/.exec(location.hash)[1] > {before}")
    assert "in the table" in page.locator("#map-status").inner_text()

    # Down to one observation, then through to its page.
    for _ in range(10):
        _map_settled(page)
        single = page.locator(MARKER, has_text=re.compile(r"^1$"))
        if single.count():
            break
        zoom = _zoom(page)
        page.locator(MARKER).first.click()
        page.wait_for_function(f"() => /#map=(\\d+)/.exec(location.hash)[1] > {zoom}")
    single.first.click()
    page.get_by_role("link", name="Open the observation").click()
    page.wait_for_url(re.compile(r"/explore/observations/\d+/$"))
    assert page.locator("h1").inner_text().strip().startswith("Violation at ")
    assert page.get_by_role("heading", name="Evidence files").is_visible()
    assert re.search(r"[0-9a-f]{64}", page.locator("code.hash").first.inner_text())
    observation_url = page.url

    check_page(page, filtered, "explore", ready=MARKER)
    check_page(page, observation_url, "explore-observation", ready="#observation-map .cluster")

    # Printed: the table and the chart, no map or form.
    page.goto(filtered)
    page.emulate_media(media="print")
    assert page.locator("#explore-map").is_hidden()
    assert page.locator("form.explore-filters").is_hidden()
    assert page.locator("table.observations").is_visible()
    page.screenshot(path="artifacts/explore-print.png", full_page=True)
    page.emulate_media(media="screen")
    assert missing == []
    assert_quiet(page)
