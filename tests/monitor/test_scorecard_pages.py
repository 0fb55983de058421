"""The scorecard pages across roles, and what the agreement page shows and exports."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import html

from agreements.models import Clause
from agreements.services import assessment_record
from monitor.aggregates import aggregates_refresh
from monitor.models import EvaluationRun
from monitor.services import rules_run
from reports.models import Observation, ReportStatus
from tests.factories import (
    AgreementFactory,
    ClauseFactory,
    ObservationFactory,
    PartyFactory,
    ReportFactory,
)

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

    titles = [a.text_content() for a in document.xpath("//main//table/tbody//a")]
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
    assert "1 violation(s) attributed" in text  # not the 5 across every agreement


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
