"""The scorecard pages across roles, and what the agreement page shows and exports."""

import csv
import datetime as dt
import io
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from lxml import html

from agreements.models import Clause
from agreements.services import assessment_record
from monitor.aggregates import aggregates_refresh
from monitor.models import EvaluationRun
from monitor.scorecards.agreement import agreement_scorecard
from monitor.scorecards.history import rate_history
from monitor.services import rules_run
from reports.models import Observation, ObserverMission, ReportStatus
from tests.factories import (
    AgreementFactory,
    ClauseFactory,
    ObservationFactory,
    PartyFactory,
    ReportFactory,
    UserFactory,
)
from tests.monitor.scorecard_time_data import NOW

PAGES = ["overview", "agreement", "party", "clause"]


@pytest.fixture
def north(world):
    party = PartyFactory(code="north", name="North")
    world.clause_a.obliged_parties.add(party)
    return party


@pytest.fixture
def other(world, north):
    """An agreement no mission of the world serves, with a clause North is obliged by."""
    agreement = AgreementFactory(code="other-truce", title="Other truce")
    clause = ClauseFactory(agreement=agreement, reference="1", title="Other ceasefire")
    clause.obliged_parties.add(north)
    return clause


def url(page: str, world, north) -> str:
    args = {
        "overview": lambda: [],
        "agreement": lambda: [world.agreement.code],
        "party": lambda: [north.code],
        "clause": lambda: [world.clause_a.pk],
    }[page]()
    return reverse(f"scorecards:{page}", args=args)


def file_report(mission, *, filed_at: dt.datetime, occurred_at: dt.datetime, **observation):
    report = ReportFactory(
        mission=mission,
        status=ReportStatus.ACCEPTED,
        period_start=occurred_at - dt.timedelta(hours=1),
        period_end=filed_at,
        filed_at=filed_at,
    )
    ObservationFactory(report=report, occurred_at=occurred_at, **observation)
    return report


def page(response) -> html.HtmlElement:
    assert response.status_code == 200, response.status_code
    return html.fromstring(response.content.decode())


def clause_statuses(document: html.HtmlElement) -> dict[str, tuple[str, str]]:
    """Clause reference -> (status label shown, CSS class of the badge)."""
    found = {}
    for row in document.xpath("//table[@id='clauses']/tbody/tr"):
        reference = row.xpath("td//a")[0].text_content().strip()
        badge = row.xpath(".//span[contains(@class, 'status')]")[0]
        found[reference] = (badge.text_content().strip(), badge.get("class"))
    return found


# --- who may see what ----------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_analyst_sees_every_page(client_for, analyst, world, north, other, name):
    assert client_for(analyst).get(url(name, world, north)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_observer_sees_the_pages_of_the_agreement_its_mission_serves(
    client_for, observer_a, world, north, name
):
    assert client_for(observer_a).get(url(name, world, north)).status_code == 200


def test_observer_gets_404_for_another_agreement_and_its_clauses(
    client_for, observer_a, world, other
):
    client = client_for(observer_a)

    assert client.get(reverse("scorecards:agreement", args=["other-truce"])).status_code == 404
    assert client.get(reverse("scorecards:clause", args=[other.pk])).status_code == 404
    as_csv = reverse("scorecards:agreement", args=["other-truce"]) + "?format=csv"
    assert client.get(as_csv).status_code == 404


def test_observer_overview_lists_only_its_agreements(client_for, observer_a, world, other):
    document = page(client_for(observer_a).get(reverse("scorecards:overview")))

    titles = [a.text_content() for a in document.xpath("//main//table/tbody/tr/td[1]/a")]
    assert titles == ["Test ceasefire"]


def test_observer_party_page_leaves_out_other_agreements(
    client_for, observer_a, world, north, other
):
    file_report(
        world.mission_a,
        filed_at=timezone.now(),
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        clause=world.clause_a,
        party=north,
    )
    hidden = ReportFactory(status=ReportStatus.ACCEPTED, filed_at=timezone.now())
    ObservationFactory.create_batch(4, report=hidden, clause=other, party=north)
    aggregates_refresh()  # as the rules task does after each ingest: the page reads them

    text = page(client_for(observer_a).get(reverse("scorecards:party", args=["north"])))
    text = text.text_content()

    assert "Test ceasefire" in text and "Other ceasefire" not in text
    assert "other-truce" not in text
    assert "1 violation attributed" in text  # not the 5 across every agreement


@pytest.mark.parametrize("persona", ["api_consumer", "outsider"])
@pytest.mark.parametrize("name", PAGES)
def test_users_without_a_scorecard_role_are_refused(
    request, client_for, world, north, persona, name
):
    user = request.getfixturevalue(persona)

    assert client_for(user).get(url(name, world, north)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_the_login(client, world, north, name):
    target = url(name, world, north)

    response = client.get(target)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={target}"


# --- the agreement page ----------------------------------------------------------------------


@pytest.fixture
def monitored(world, analyst):
    """Live state: a violation of clause 1 reported an hour ago, the rules run since."""
    now = timezone.now()
    file_report(
        world.mission_a,
        filed_at=now - dt.timedelta(hours=1),
        occurred_at=now - dt.timedelta(hours=5),
        clause=world.clause_a,
        severity=3,
    )
    for clause, level in ((world.clause_a, 3), (world.clause_b, 2)):
        assessment_record(
            clause=clause,
            level=level,
            assessed_on=now.date() - dt.timedelta(days=1),
            rationale="Checked by hand.",
            by=analyst,
        )
    aggregates_refresh()
    rules_run(trigger=EvaluationRun.Trigger.COMMAND)
    return world


def test_agreement_page_shows_each_status_as_text_and_colour(client_for, analyst, monitored):
    document = page(client_for(analyst).get(url("agreement", monitored, None)))

    assert clause_statuses(document) == {
        "1": ("Violated", "status s-violated"),
        "2": ("Monitoring stale", "status s-stale"),  # mission B never filed
        "3": ("Unmonitored", "status s-unmonitored"),
    }


def test_agreement_page_shows_the_implementation_rate(client_for, analyst, monitored):
    document = page(client_for(analyst).get(url("agreement", monitored, None)))

    rate = document.get_element_by_id("implementation-rate").text_content().strip()
    assert rate == "83.3 %"  # (3 + 2) / (2 x 3); clause 3 is not assessed
    assert "2 assessed, 1 not assessed (N/A), 0 not in force" in document.text_content()


def test_agreement_page_charts_are_accessible_svg(client_for, analyst, monitored):
    response = client_for(analyst).get(url("agreement", monitored, None))
    document = page(response)

    charts = document.xpath("//svg[@role='img']")
    assert len(charts) >= 2
    assert all(chart.get("aria-label") and chart.find("title") is not None for chart in charts)
    heatmap = document.xpath("//*[@id='heatmap']//svg")
    assert heatmap and heatmap[0].get("aria-label") == "Timeline of clauses by week"
    titles = [t.text for t in heatmap[0].iter("title")]
    assert any("1 violation(s)" in t for t in titles)
    assert b"<svg" in response.content


def test_csv_export_with_hxl_tags_neutralises_formulas(client_for, analyst, world):
    Clause.objects.filter(pk=world.clause_a.pk).update(title='=HYPERLINK("http://x.invalid")')
    response = client_for(analyst).get(url("agreement", world, None), {"format": "csv", "hxl": "1"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["clause", "title"]
    assert rows[1][0] == "#x_clause"
    assert rows[2][:2] == ["1", '\'=HYPERLINK("http://x.invalid")']
    assert [r[0] for r in rows[2:]] == ["1", "2", "3"]


def test_csv_export_without_hxl_has_no_tag_row(client_for, analyst, world):
    response = client_for(analyst).get(url("agreement", world, None), {"format": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][0] == "1"


def test_as_of_shows_the_state_as_of_that_date(client_for, analyst, world):
    # Filed on 5 March about 4 March: as of 1 March nobody knew of the violation.
    file_report(
        world.mission_a,
        filed_at=dt.datetime(2025, 3, 5, 8, tzinfo=dt.UTC),
        occurred_at=dt.datetime(2025, 3, 4, 15, tzinfo=dt.UTC),
        clause=world.clause_a,
    )
    aggregates_refresh()
    client = client_for(analyst)

    before = page(client.get(url("agreement", world, None), {"as_of": "2025-03-01"}))
    after = page(client.get(url("agreement", world, None), {"as_of": "2025-03-06"}))

    assert clause_statuses(before)["1"][0] != "Violated"
    assert clause_statuses(after)["1"] == ("Violated", "status s-violated")
    assert before.xpath("//input[@name='as_of']")[0].get("value") == "2025-03-01"
    assert before.xpath("//input[@name='to']")[0].get("value") == "2025-03-01"


def test_a_period_changes_the_figures_shown(client_for, analyst, world):
    file_report(
        world.mission_a,
        filed_at=dt.datetime(2025, 2, 11, tzinfo=dt.UTC),
        occurred_at=dt.datetime(2025, 2, 10, 12, tzinfo=dt.UTC),
        clause=world.clause_a,
        kind=Observation.Kind.VIOLATION,
    )
    aggregates_refresh()
    client = client_for(analyst)

    def totals(period):
        document = page(client.get(url("agreement", world, None), period))
        row = document.xpath("//table[@id='clauses']/tbody/tr")[0]
        return row.xpath("td")[-1].text_content().strip()

    assert totals({"from": "2025-02-01", "to": "2025-02-28"}) == "1 / 0"
    assert totals({"from": "2025-03-01", "to": "2025-03-31"}) == "0 / 0"


@pytest.mark.parametrize(
    "query",
    [
        {"as_of": "2025-13-01"},
        {"as_of": "yesterday"},
        {"from": "2025-02-30"},
        {"to": "31/03/2025"},
        {"from": "2025-03-01", "to": "2025-02-01"},  # ends before it starts
    ],
)
def test_invalid_dates_are_a_bad_request_not_a_missing_page(client_for, analyst, world, query):
    # Issue 11: a bad parameter is a 400 naming it (tests/monitor/test_page_errors.py), not 404.
    assert client_for(analyst).get(url("agreement", world, None), query).status_code == 400


def test_print_view_has_a_header_with_the_date_and_period(client_for, analyst, world):
    query = {"print": "1", "as_of": "2025-03-01", "from": "2025-02-01", "to": "2025-02-28"}
    document = page(client_for(analyst).get(url("agreement", world, None), query))

    header = document.xpath("//*[contains(@class, 'print-header')]")[0].text_content()
    assert "Test ceasefire" in header
    assert "as of 1 March 2025" in header
    assert "period 1 Feb 2025 – 28 Feb 2025" in header
    assert "printed" in header
    assert not document.xpath(
        "//form[contains(@class, 'filters')]"
    )  # the print view leaves out the controls


# --- issue 16: scorecards people can read ------------------------------------------------------


@pytest.fixture
def minsk(db):
    """The Minsk-like agreement (ended): 30 violations by Eastern formations on point 1 and 6
    attributed to nobody on point 2, in 2015; point 1 assessed at level 1, then 2."""
    from tests.monitor.scorecard_time_data import file_violations, minsk_like

    with time_machine.travel(NOW, tick=False):
        agreement, point_1, point_2 = minsk_like()
        mission = ObserverMission.objects.get(code="minsk-like-team")
        days = [dt.date(2015, 3, 2) + dt.timedelta(days=7 * i) for i in range(6)]
        file_violations(mission, point_2, days, filed_at=NOW)
        assessor = UserFactory(username="assessor")
        for level, day in ((1, dt.date(2015, 4, 10)), (2, dt.date(2016, 1, 5))):
            assessment_record(
                clause=point_1, level=level, assessed_on=day, rationale="Read.", by=assessor
            )
        yield agreement, point_1, point_2


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def query_of(href: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(href)
    return parts.path, parse_qs(parts.query)


def test_violations_by_party_include_the_unattributed_and_add_up_to_the_total(
    client_for, analyst, minsk, frozen
):
    document = page(client_for(analyst).get(reverse("scorecards:agreement", args=["minsk-like"])))

    rows = {
        " ".join(tr.xpath("td")[0].text_content().split()): int(tr.xpath("td")[1].text_content())
        for tr in document.xpath("//table[@id='parties']/tbody/tr")
    }
    total = int(document.xpath("//table[@id='parties']/tfoot//td/a")[0].text)
    assert rows == {"Eastern formations": 30, "Unattributed (no party named)": 6}
    assert total == sum(rows.values()) == 36
    assert document.get_element_by_id("violations-total").text_content() == "36"
    chart = document.get_element_by_id("party-chart")
    labels = [t.text for t in chart.xpath(".//*[local-name()='text']")]
    assert "Unattributed (6 in all)" in labels and "Eastern formations (30 in all)" in labels


def test_the_agreement_page_shows_names_never_codes(client_for, analyst, minsk, frozen):
    document = page(client_for(analyst).get(reverse("scorecards:agreement", args=["minsk-like"])))
    text = document.xpath("//main")[0].text_content()

    assert "Eastern formations" in text and "Heavy-weapons withdrawal" in text
    assert "minsk-like-east" not in text and "weapons_withdrawal" not in text


def test_every_violation_count_links_to_the_explorer_with_its_filters(
    client_for, analyst, minsk, frozen
):
    agreement, point_1, point_2 = minsk
    document = page(client_for(analyst).get(reverse("scorecards:agreement", args=["minsk-like"])))
    period = {"from": ["2015-02-15"], "to": ["2022-02-21"], "outside": ["none"]}
    mine = {"agreement": ["minsk-like"], "kind": ["violation"], **period}

    party_row, unattributed_row = document.xpath("//table[@id='parties']/tbody/tr")
    assert query_of(party_row.xpath("td[2]/a")[0].get("href")) == (
        "/explore/",
        {**mine, "party": ["minsk-like-east"]},
    )
    assert query_of(unattributed_row.xpath("td[2]/a")[0].get("href"))[1] == {
        **mine,
        "party": ["unattributed"],
    }
    by_category = unattributed_row.xpath("td[3]/a")[0]
    assert query_of(by_category.get("href"))[1]["category"] == ["weapons_withdrawal"]
    clause_links = {
        tr.xpath("td[1]/a")[0].text: tr.xpath("td[last()]/a")[0]
        for tr in document.xpath("//table[@id='clauses']/tbody/tr")
    }
    violations = clause_links["2"]
    assert violations.text == "6"
    assert query_of(violations.get("href"))[1] == {**mine, "clause": [str(point_2.pk)]}


def test_known_at_is_passed_on_to_the_explorer(client_for, analyst, minsk, frozen):
    url = reverse("scorecards:agreement", args=["minsk-like"])
    document = page(client_for(analyst).get(url, {"known_at": "2026-12-01"}))

    href = document.get_element_by_id("violations-total").get("href")
    assert query_of(href)[1]["known_at"] == ["2026-12-01"]


def test_the_rate_over_time_follows_the_assessment_history_per_month(
    client_for, analyst, minsk, frozen
):
    agreement, point_1, _ = minsk
    card = agreement_scorecard(agreement=agreement)

    points = rate_history(
        agreement=agreement, clauses=[r.clause for r in card.rows], period=card.period
    )

    assert points[0].unit == "month" and points[0].day == dt.date(2015, 2, 28)
    assert points[-1].day == dt.date(2022, 2, 21)
    by_day = {p.day: p.rate for p in points}
    assert by_day[dt.date(2015, 3, 31)] is None  # not assessed yet: N/A, not 0
    assert by_day[dt.date(2015, 4, 30)] == 33.3 and by_day[dt.date(2016, 1, 31)] == 66.7
    assert points[-1].rate == card.implementation_rate
    document = page(client_for(analyst).get(reverse("scorecards:agreement", args=["minsk-like"])))
    chart = document.get_element_by_id("rate-history")
    assert chart.xpath(".//*[local-name()='svg']")[0].get("role") == "img"
    cells = chart.xpath(".//details//tbody/tr/td[2]/text()")
    assert cells == ["N/A", "33.3 %", "66.7 %", "66.7 %"]


def test_the_party_page_links_each_agreement_over_its_period_and_its_counts(
    client_for, analyst, minsk, frozen
):
    document = page(client_for(analyst).get(reverse("scorecards:party", args=["minsk-like-east"])))

    summary = document.get_element_by_id("picture-summary").text_content()
    assert "15 February 2015 – 21 February 2022" in summary
    row = document.xpath("//table[@id='party-agreements']/tbody/tr")[0]
    path, query = query_of(row.xpath("td[1]/a")[0].get("href"))
    assert path == "/scorecards/agreements/minsk-like/"
    assert query["from"] == ["2015-02-15"] and query["to"] == ["2022-02-21"]
    count = row.xpath("td[4]/a")[0]
    assert count.text == "30"
    assert query_of(count.get("href"))[1] == {
        "agreement": ["minsk-like"],
        "party": ["minsk-like-east"],
        "kind": ["violation"],
        "from": ["2015-02-15"],
        "to": ["2022-02-21"],
        "outside": ["none"],
    }
    category = document.xpath("//table[@id='party-categories']/tbody/tr/td[2]/a")[0]
    assert query_of(category.get("href"))[1]["category"] == ["ceasefire"]


def test_the_clause_page_sums_up_the_period_by_kind_and_party(client_for, analyst, minsk, frozen):
    _, point_1, _ = minsk
    url = reverse("scorecards:clause", args=[point_1.pk])
    document = page(client_for(analyst).get(url))

    kinds = document.xpath("//ul[@id='counts-by-kind']/li")
    assert kinds[0].text_content().strip() == "Violation: 30"
    assert query_of(kinds[0].xpath("a")[0].get("href"))[1] == {
        "agreement": ["minsk-like"],
        "clause": [str(point_1.pk)],
        "kind": ["violation"],
        "from": ["2015-02-15"],
        "to": ["2022-02-21"],
        "outside": ["none"],
    }
    parties = [li.text_content().strip() for li in document.xpath("//ul[@id='counts-by-party']/li")]
    assert parties == [
        "Eastern formations: 30",
        "Unattributed (no party named): 0",
        "All violations: 30",
    ]
    assert len(document.xpath("//table[@id='observations-table']/tbody/tr")) == 20
    more = document.get_element_by_id("observations-total")
    assert "The latest 20 of 30" in more.text_content()
    assert query_of(more.xpath("a")[0].get("href"))[1]["clause"] == [str(point_1.pk)]
    assert document.get_element_by_id("clause-weeks") is not None


def test_the_overview_links_alert_counts_and_what_changed(client_for, analyst, monitored):
    document = page(client_for(analyst).get(reverse("scorecards:overview")))

    row = document.xpath("//tr[@data-agreement='test-ceasefire']")[0]
    links = row.xpath("td[contains(@class, 'alerts')]/a")
    assert [query_of(a.get("href")) for a in links] == [
        ("/alerts/", {"agreement": ["test-ceasefire"], "severity": [str(s)]}) for s in (4, 3, 2, 1)
    ]
    changed = document.xpath("//a[text()='What changed in the last 7 days']")[0]
    since = (timezone.now().date() - dt.timedelta(days=7)).isoformat()
    assert query_of(changed.get("href")) == ("/changes/", {"since": [since]})
    violations = row.xpath("td[contains(@class, 'violations')]/a")[0]
    assert query_of(violations.get("href"))[1]["kind"] == ["violation"]


@pytest.mark.parametrize("name", PAGES)
def test_the_nav_marks_the_current_section(client_for, analyst, world, north, name):
    document = page(client_for(analyst).get(url(name, world, north)))

    current = document.xpath("//nav[@class='site-nav']/a[@aria-current='page']")
    assert [a.text for a in current] == ["Scorecards"]


@pytest.mark.parametrize(
    ("path", "section"),
    [("/explore/", "Explore"), ("/alerts/", "Alerts"), ("/changes/", "What changed")],
)
def test_the_nav_marks_the_workspace_sections(client_for, analyst, world, path, section):
    document = page(client_for(analyst).get(path))

    current = document.xpath("//nav[@class='site-nav']/a[@aria-current='page']")
    assert [a.text for a in current] == [section]
