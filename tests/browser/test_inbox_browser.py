"""The alert inbox and "what changed" in Chromium, on the demo: an analyst filters, opens an
alert, acknowledges it with a comment and finds it in the history; reads what changed now
and in Minsk II's first weeks; an observer sees the alerts but no form."""

import re

import pytest

from monitor.models import Alert
from tests.browser.workspace import assert_quiet, check_page, load_demo, signed_in


@pytest.mark.django_db(transaction=True)
def test_analyst_acknowledges_an_alert_and_reads_what_changed(
    monkeypatch, live_server, browser_context
):
    load_demo(monkeypatch, "analyst", "observer.luhansk")
    base = live_server.url
    page = signed_in(browser_context, live_server, "analyst")

    check_page(page, f"{base}/alerts/", "inbox", ready="ol.alert-list")
    # On a phone the filters fold away so the alerts come first; on a desk they stay open.
    assert page.locator("details.filters-panel").evaluate("d => d.open") is False
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{base}/alerts/")
    assert page.locator("details.filters-panel").evaluate("d => d.open") is True
    page.get_by_role("link", name=re.compile(r"^High \d+")).click()
    page.wait_for_url(re.compile(r"/alerts/\?severity=3$"))
    badges = set(page.locator("ol.alert-list .sev-badge").all_inner_texts())
    assert badges == {"High"}

    page.locator("ol.alert-list a.alert-title").first.click()
    page.wait_for_url(re.compile(r"/alerts/\d+/$"))
    alert_url = page.url
    pk = int(alert_url.rstrip("/").rsplit("/", 1)[1])
    check_page(page, alert_url, "alert", ready="#history")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(alert_url)
    page.fill("#ack-comment", "Asked the mission to confirm.")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(re.compile(r"/alerts/\d+/#history$"))
    assert "Acknowledged: the alert stays on the list" in page.locator(".messages").inner_text()
    history = page.locator("ol.history li").first.inner_text()
    assert "Acknowledged by analyst" in history and "Asked the mission to confirm." in history
    assert Alert.objects.get(pk=pk).state == Alert.State.ACKNOWLEDGED

    check_page(page, f"{base}/changes/", "changes", ready="#assessments")
    assert "New alerts" in page.locator("main").inner_text()
    check_page(
        page, f"{base}/changes/?since=2015-02-15&until=2015-03-31", "changes-minsk", ready="h1"
    )
    minsk = page.locator("main").inner_text()
    assert "15 February 2015" in minsk and "Minsk II" in minsk
    assert page.locator("#by-party + table, #by-party ~ table").first.is_visible()
    # Statuses from the real rules, as of the day before the ceasefire and as of 31 March.
    ceasefire = page.locator("table.statuses tr", has_text="Comprehensive ceasefire")
    assert "Violated" in ceasefire.inner_text()
    assert_quiet(page)

    page.locator("form.logout button").click()  # one browser: the analyst leaves first
    page.wait_for_load_state()
    observer = signed_in(browser_context, live_server, "observer.luhansk")
    observer.goto(f"{base}/alerts/?state=all")
    cards = observer.locator("ol.alert-list a.alert-title")
    if cards.count():
        cards.first.click()
        observer.wait_for_url(re.compile(r"/alerts/\d+/$"))
        assert observer.locator("form.act").count() == 0
    assert observer.locator("form[method=post].act").count() == 0
    assert_quiet(observer)
