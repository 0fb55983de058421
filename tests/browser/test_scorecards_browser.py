"""The scorecards in a real browser, on the demo data: log in, pick an agreement, change
the period, export the CSV."""

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from agreements.models import Clause
from monitor import receivers
from tests.browser.workspace import assert_quiet, check_page, load_demo, signed_in

PASSWORD = "browser test password 1"


@pytest.fixture
def demo(transactional_db, monkeypatch):
    """The demo, with the rules run once at the end rather than after each of its ~400 ingests
    (so the test takes the same time in any order)."""
    monkeypatch.setattr(receivers, "evaluation_request", lambda **kwargs: [])
    call_command("load_demo", stdout=io.StringIO())
    call_command("refresh_aggregates", stdout=io.StringIO())
    call_command("evaluate_rules", stdout=io.StringIO())
    analyst = get_user_model().objects.get(username="analyst")
    analyst.set_password(PASSWORD)
    analyst.save(update_fields=["password"])


@pytest.mark.django_db(transaction=True)
def test_analyst_reads_the_minsk_scorecard_and_exports_it(
    demo, live_server, browser_context, artifacts
):
    page = browser_context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/scorecards/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/scorecards/")
    assert page.locator("h1").inner_text() == "Agreements"

    page.get_by_role("link", name="Minsk II").click()
    page.wait_for_url(re.compile(r"/scorecards/agreements/minsk-ii/$"))
    assert "Minsk Agreements" in page.locator("h1").inner_text()
    assert page.locator("#clauses tbody tr").count() >= 12
    assert page.locator("svg[role=img]").count() >= 2
    # Issue 14: an ended agreement opens on its active life, with statuses as of its end.
    assert page.locator("input[name=from]").input_value() == "2015-02-15"
    assert page.locator("input[name=to]").input_value() == "2022-02-21"
    assert (
        page.locator("#picture-summary")
        .inner_text()
        .startswith(
            "Active life 15 February 2015 – 21 February 2022 · statuses as of 21 February 2022"
        )
    )
    opening = {s.strip() for s in page.locator("#clauses span.status").all_inner_texts()}
    assert "Not in force" not in opening
    assert page.locator("#clauses tbody tr").first.locator("td").last.inner_text() != "0 / 0"

    # As the data stood on 1 April 2015, over the six weeks before.
    page.fill("input[name=from]", "2015-02-15")
    page.fill("input[name=to]", "2015-04-01")
    page.fill("input[name=as_of]", "2015-04-01")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"from=2015-02-15&to=2015-04-01&as_of=2015-04-01"))
    assert page.locator("input[name=from]").input_value() == "2015-02-15"
    assert page.locator("input[name=to]").input_value() == "2015-04-01"
    statuses = page.locator("#clauses span.status").all_inner_texts()
    assert {"Violated", "Unmonitored"} <= {s.strip() for s in statuses}
    first = page.locator("#clauses tbody tr").first
    assert first.locator("span.status").inner_text().strip() == "Violated"
    assert first.locator("td").last.inner_text().split(" / ")[0] != "0"
    heatmap = page.locator("#heatmap svg[role=img]")
    assert heatmap.get_attribute("aria-label") == "Timeline of clauses by week"
    assert page.locator("#heatmap svg rect").count() > 12 * 6
    assert page.locator("#implementation-rate").inner_text() != ""

    with page.expect_download() as download_info:
        page.click("#csv-export")
    download = download_info.value
    assert download.suggested_filename == "minsk-ii-scorecard-2015-02-15-2015-04-01.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("clause,title,category,status")
    assert lines[1].startswith("#x_clause,#description +title")
    assert lines[2].startswith("1,") and ",Violated," in lines[2]

    page.screenshot(path=str(artifacts / "scorecard.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_the_scorecards_pass_axe_fit_a_phone_and_print_cleanly(
    monkeypatch, live_server, browser_context
):
    """Issue 16: overview, Minsk II, a party, a clause and the print view at 1440 and 390 px:
    no serious or critical axe violation, no horizontal overflow, no console error or CSP
    violation; the tables sort without a round trip; the print view has no site header."""
    load_demo(monkeypatch, "analyst")
    point_1 = Clause.objects.get(agreement__code="minsk-ii", reference="1")
    page = signed_in(browser_context, live_server, "analyst")
    base = live_server.url
    check_page(page, f"{base}/scorecards/", "scorecards-overview")
    check_page(page, f"{base}/scorecards/agreements/minsk-ii/", "scorecards-minsk-ii")
    check_page(page, f"{base}/scorecards/parties/russia/", "scorecards-party-russia")
    check_page(page, f"{base}/scorecards/clauses/{point_1.pk}/", "scorecards-clause")
    check_page(page, f"{base}/scorecards/agreements/minsk-ii/?print=1", "scorecards-print")
    assert not page.locator("header.site").is_visible()
    # Drawn for a desk and for a phone (monitor.charts.figure): one of them shows.
    assert page.locator("#party-chart svg[role=img]:visible").count() == 1

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{base}/scorecards/agreements/minsk-ii/")
    page.locator("#parties thead th").nth(1).get_by_role("button").click()
    counts = [int(t) for t in page.locator("#parties tbody tr td:nth-child(2)").all_inner_texts()]
    assert counts == sorted(counts)
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()
    assert not page.locator("form.filters").is_visible()
    page.emulate_media(media="screen")
    assert_quiet(page)
