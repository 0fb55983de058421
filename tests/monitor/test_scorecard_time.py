"""Issue 14: an agreement's scorecard opens on the right picture. An ended agreement shows its
active life with statuses as of its end; one in force the last 12 weeks; a clause with
violations in the period never reads "Not in force"; known_at counts what had been filed by
then; retrospective findings are listed with their period, apart from the live alerts; the
observations flagged outside a clause's period or area are counted apart."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from lxml import html

from agreements.models import Agreement
from monitor.models import Alert, ClauseDay
from monitor.scorecards.agreement import agreement_scorecard
from monitor.scorecards.picture import agreement_active_period, picture_for
from reports.models import Observation
from tests.factories import MissionFactory
from tests.monitor.scorecard_time_data import (
    IN_FORCE,
    LAST_VIOLATION,
    NOW,
    file_violations,
    minsk_like,
    violation_days,
)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def minsk(db):
    return minsk_like()


def get_page(client, code: str, **query) -> html.HtmlElement:
    response = client.get(reverse("scorecards:agreement", args=[code]), query)
    assert response.status_code == 200, response.content[:500]
    return html.fromstring(response.content.decode())


def statuses(document: html.HtmlElement) -> dict[str, str]:
    found = {}
    for row in document.xpath("//table[@id='clauses']/tbody/tr"):
        reference = row.xpath("td//a")[0].text_content().strip()
        found[reference] = row.xpath(".//span[contains(@class, 'status')]")[0].text_content()
    return {k: v.strip() for k, v in found.items()}


def cells(document: html.HtmlElement, reference: str) -> list[str]:
    for row in document.xpath("//table[@id='clauses']/tbody/tr"):
        if row.xpath("td//a")[0].text_content().strip() == reference:
            return [td.text_content().strip() for td in row.xpath("td")]
    raise AssertionError(reference)


def summary(document: html.HtmlElement) -> str:
    return document.get_element_by_id("picture-summary").text_content().strip()


# --- the active life -----------------------------------------------------------------------


def test_the_active_life_runs_from_entry_into_force_to_expiry(minsk):
    agreement, *_ = minsk

    life = agreement_active_period(agreement)

    assert (life.start, life.end) == (IN_FORCE, dt.date(2022, 2, 21))
    assert life.ended_by(NOW.date())


def test_a_terminated_agreement_without_expiry_ends_on_its_last_observed_day(db):
    agreement, *_ = minsk_like(expires_on=None)

    card = agreement_scorecard(agreement=agreement)

    assert (card.life.start, card.life.end) == (IN_FORCE, LAST_VIOLATION)
    assert (card.period.start, card.period.end) == (IN_FORCE, LAST_VIOLATION)


def test_a_draft_was_never_in_force(db):
    draft = Agreement(status=Agreement.Status.DRAFT, signed_on=dt.date(2015, 1, 1))
    assert agreement_active_period(draft) is None


# --- the default picture -------------------------------------------------------------------


def test_an_ended_agreement_opens_on_its_active_life_with_point_1_violated(client_for, analyst, db):
    # Its life ended soon after the violations: as of its end they are within the window.
    minsk_like(code="short-lived", expires_on=dt.date(2015, 6, 14))

    document = get_page(client_for(analyst), "short-lived")

    assert summary(document) == (
        "Active life 15 February 2015 – 14 June 2015 · statuses as of 14 June 2015 · "
        "data known by 29 November 2026"
    )
    assert statuses(document)["1"] == "Violated"
    assert "Not in force" not in statuses(document).values()
    assert cells(document, "1")[-1] == f"{len(violation_days())} / 0"
    assert document.xpath("//input[@name='from']")[0].get("value") == "2015-02-15"
    assert document.xpath("//input[@name='to']")[0].get("value") == "2015-06-14"
    current = document.xpath("//nav[@class='presets']/a[@aria-current]")
    assert [a.text_content() for a in current] == ["Whole active life"]


def test_minsk_ii_opens_on_2015_to_2022_with_real_statuses_and_its_violations(
    client_for, analyst, minsk
):
    document = get_page(client_for(analyst), "minsk-like")

    assert summary(document).startswith("Active life 15 February 2015 – 21 February 2022")
    assert "statuses as of 21 February 2022" in summary(document)
    # As of 21 February 2022 the mission had filed nothing since 2015: stale, not "Not in force".
    assert statuses(document) == {"1": "Monitoring stale", "2": "Monitoring stale"}
    assert cells(document, "1")[-1] == f"{len(violation_days())} / 0"
    heatmap = document.xpath("//*[@id='heatmap']//svg")[0]
    assert heatmap.get("aria-label") == "Timeline of clauses by quarter"  # 7 years, bounded
    assert len(heatmap.xpath(".//*[local-name()='rect']")) <= 2 * 60


def test_choosing_february_to_june_2015_shows_the_statuses_at_its_end(client_for, analyst, minsk):
    period = {"from": "2015-02-15", "to": "2015-06-14"}

    document = get_page(client_for(analyst), "minsk-like", **period)

    assert "statuses as of 14 June 2015" in summary(document)
    assert statuses(document)["1"] == "Violated"


def test_a_clause_violated_in_the_period_but_no_longer_in_force_reads_violated_before_it_ended(
    client_for, analyst, minsk
):
    query = {"from": "2015-02-15", "to": "2015-06-14", "as_of": "2023-01-01"}

    document = get_page(client_for(analyst), "minsk-like", **query)

    assert statuses(document) == {"1": "Violated (before it ended)", "2": "Not in force"}


def test_terminated_without_expiry_never_reads_not_in_force_where_violated(client_for, analyst, db):
    minsk_like(code="no-expiry", expires_on=None)

    document = get_page(client_for(analyst), "no-expiry")

    assert statuses(document)["1"] == "Violated (before it ended)"


def test_an_agreement_in_force_opens_on_the_last_12_weeks_with_its_live_alerts(
    client_for, analyst, world
):
    Alert.objects.create(
        rule="clause.violation_recorded",
        fingerprint="live-1",
        clause=world.clause_a,
        agreement=world.agreement,
        severity=3,
        title="Violations recorded",
        explanation="Live: violations this month.",
        first_seen=NOW,
        last_seen=NOW,
    )

    Alert.objects.create(  # a finding about last year: never a live alert
        rule="clause.violation_recorded",
        fingerprint="retro-b",
        clause=world.clause_b,
        agreement=world.agreement,
        severity=4,
        title="Violations recorded",
        explanation="Found later: violations last year.",
        describes=dt.datetime(2025, 11, 1, tzinfo=dt.UTC),
        first_seen=NOW,
        last_seen=NOW,
    )

    card = agreement_scorecard(agreement=world.agreement)
    document = get_page(client_for(analyst), world.agreement.code)

    assert card.picture.live and card.picture.kind == "recent"
    assert (card.period.start, card.period.end) == (dt.date(2026, 9, 6), dt.date(2026, 11, 29))
    assert summary(document) == (
        "Last 12 weeks, 6 September 2026 – 29 November 2026 · statuses as of now · "
        "data known by 29 November 2026"
    )
    assert statuses(document)["1"] == "Violated"
    assert "Live: violations this month." in cells(document, "1")[5]
    assert statuses(document)["2"] != "Violated"
    assert "Found later" not in document.get_element_by_id("clauses").text_content()
    assert card.retrospective == ()  # 1 November 2025 is outside the 12 weeks shown


# --- known_at -------------------------------------------------------------------------------


def test_known_at_counts_only_what_had_been_filed_by_then(client, analyst, minsk):
    agreement, point_1, _ = minsk
    mission = MissionFactory(code="early-team")
    mission.mechanisms.set(agreement.mechanisms.all())
    early = [dt.date(2015, 3, 1), dt.date(2015, 3, 2)]
    file_violations(mission, point_1, early, filed_at=dt.datetime(2026, 1, 10, tzinfo=dt.UTC))
    client.force_login(analyst)
    url = "/api/v1/scorecards/agreements/minsk-like/"

    everything = client.get(url).json()
    then = client.get(url, {"known_at": "2026-06-01"}).json()
    before = client.get(url, {"known_at": "2025-12-31", "from": "2015-02-15", "to": "2015-03-10"})

    def violations(document):
        row = next(c for c in document["clauses"] if c["reference"] == "1")
        return sum(v for v, _ in row["weekly_violations_compliance"] or [])

    assert violations(everything) == len(violation_days()) + 2
    assert violations(then) == 2
    assert then["known_at"].startswith("2026-06-01T23:59:59") and not then["live"]
    assert before.status_code == 200 and violations(before.json()) == 0
    assert next(c for c in before.json()["clauses"] if c["reference"] == "1")["status"] != (
        "violated"
    )


def test_the_page_takes_known_at_and_says_so(client_for, analyst, minsk):
    document = get_page(client_for(analyst), "minsk-like", known_at="2026-06-01")

    assert summary(document).endswith("data known by 1 June 2026")
    assert cells(document, "1")[-1] == "0 / 0"
    assert document.xpath("//input[@name='known_at']")[0].get("value") == "2026-06-01"


# --- retrospective alerts --------------------------------------------------------------------


@pytest.fixture
def retrospective(minsk):
    agreement, point_1, _ = minsk
    return Alert.objects.create(
        rule="clause.violation_recorded",
        fingerprint="retro-1",
        clause=point_1,
        agreement=agreement,
        severity=3,
        title="Violations recorded",
        explanation="Found later: violations in March 2015.",
        describes=dt.datetime(2015, 3, 20, 23, 59, 59, tzinfo=dt.UTC),
        first_seen=NOW - dt.timedelta(days=1),
        last_seen=NOW - dt.timedelta(days=1),
    )


def test_retrospective_alerts_are_listed_with_their_period_never_as_open_alerts(
    client_for, analyst, retrospective
):
    client = client_for(analyst)

    whole = get_page(client, "minsk-like")
    spring = get_page(client, "minsk-like", **{"from": "2015-03-01", "to": "2015-03-31"})
    summer = get_page(client, "minsk-like", **{"from": "2015-05-01", "to": "2015-06-14"})
    known_before = get_page(client, "minsk-like", known_at="2026-11-01")

    def listed(document):
        return [
            td.text_content()
            for td in document.xpath("//table[@id='retrospective-alerts']/tbody/tr/td[4]")
        ]

    assert listed(whole) == listed(spring) == ["Found later: violations in March 2015."]
    assert listed(summer) == [] and listed(known_before) == []
    assert "Found later" not in cells(spring, "1")[5]  # the findings column is the rules'


def test_the_api_lists_retrospective_alerts_apart(client, analyst, retrospective):
    client.force_login(analyst)

    card = client.get("/api/v1/scorecards/agreements/minsk-like/").json()
    summer = client.get(
        "/api/v1/scorecards/agreements/minsk-like/", {"from": "2015-05-01", "to": "2015-06-14"}
    ).json()
    overview = client.get("/api/v1/scorecards/").json()

    assert [(a["clause"], a["describes"]) for a in card["retrospective_alerts"]] == [
        ("1", "2015-03-20T23:59:59+00:00")
    ]
    assert summer["retrospective_alerts"] == []
    assert next(r for r in overview if r["agreement"] == "minsk-like")["open_alerts"] == 0


# --- observations outside the clause's period or area ---------------------------------------


def test_flagged_observations_are_counted_apart_per_clause_and_in_total(client_for, analyst, minsk):
    agreement, point_1, point_2 = minsk
    ClauseDay.objects.create(
        clause=point_2, agreement=agreement, day=dt.date(2015, 4, 2), outside=3
    )
    client = client_for(analyst)

    document = get_page(client, "minsk-like")
    api = client.get("/api/v1/scorecards/agreements/minsk-like/").json()
    exported = client.get(reverse("scorecards:agreement", args=["minsk-like"]), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))

    assert cells(document, "2")[-2] == "3" and cells(document, "1")[-2] == "—"
    assert document.get_element_by_id("outside-total").text_content().strip() == "3"
    assert api["outside_period_or_area"] == 3
    assert rows[0][-1] == "outside the clause's period / area"
    assert [r[-1] for r in rows[1:]] == ["0", "3"]
    assert {c["reference"]: c["outside_period_or_area"] for c in api["clauses"]} == {
        "1": 0,
        "2": 3,
    }


def test_as_known_then_flagged_observations_are_read_from_the_observations(minsk):
    agreement, point_1, _ = minsk
    Observation.objects.filter(clause=point_1, occurred_at__month=3).update(outside_area=True)
    march = [d for d in violation_days() if d.month == 3]

    card = agreement_scorecard(agreement=agreement, known_at=NOW)

    row = next(r for r in card.rows if r.clause.pk == point_1.pk)
    assert row.outside == len(march) == card.outside
    assert row.violations == len(violation_days()) - len(march)


# --- the picture's defaults ------------------------------------------------------------------


def test_a_period_from_a_day_of_an_ended_life_runs_to_its_end(minsk):
    life = agreement_active_period(minsk[0])

    picture = picture_for(life=life, start=dt.date(2020, 1, 1), now=NOW)

    assert (picture.period.start, picture.period.end) == (dt.date(2020, 1, 1), life.end)
    assert picture.as_of == dt.datetime(2022, 2, 21, 23, 59, 59, tzinfo=dt.UTC)
    assert not picture.live and picture.kind == "chosen"


def test_a_given_as_of_takes_the_12_weeks_before_it_from_entry_into_force(minsk):
    life = agreement_active_period(minsk[0])
    as_of = dt.datetime(2015, 4, 1, 23, 59, 59, tzinfo=dt.UTC)
    picture = picture_for(life=life, as_of=as_of, now=NOW)
    # Twelve weeks back is 7 January, five weeks before Minsk II took effect.
    assert (picture.period.start, picture.period.end) == (dt.date(2015, 2, 15), dt.date(2015, 4, 1))
    assert picture.as_of == as_of and picture.kind == "before_as_of"
    later = dt.datetime(2016, 4, 1, 23, 59, 59, tzinfo=dt.UTC)
    picture = picture_for(life=life, as_of=later, now=NOW)
    assert (picture.period.start, picture.period.end) == (dt.date(2016, 1, 8), dt.date(2016, 4, 1))


def test_a_period_starting_in_the_future_is_a_bad_request(client_for, analyst, minsk):
    response = client_for(analyst).get(
        reverse("scorecards:agreement", args=["minsk-like"]), {"from": "2027-01-01"}
    )
    assert response.status_code == 400
    assert b"<code>from</code>" in response.content
