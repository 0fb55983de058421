"""Issue 14 beyond the agreement card: the overview shows each agreement over its own active
period with labelled figures, in a fixed number of queries; a party's card reads each
agreement over its own life; the clause page honours as_of and known_at."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import html

from agreements.models import Agreement
from agreements.services import assessment_record
from monitor.aggregates import aggregates_refresh
from monitor.scorecards.agreement import agreement_scorecard
from monitor.scorecards.buckets import buckets_over
from monitor.scorecards.overview import agreements_overview
from monitor.scorecards.party import party_scorecard
from monitor.scorecards.picture import agreements_active_periods, picture_from_params
from tests.factories import AgreementFactory, ClauseFactory, ObservationFactory, UserFactory
from tests.monitor.scorecard_time_data import NOW, minsk_like, violation_days


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def minsk(db):
    agreement, point_1, point_2 = minsk_like()
    assessment_record(
        clause=point_1,
        level=1,
        assessed_on=dt.date(2015, 6, 1),
        rationale="Violations daily.",
        by=UserFactory(username="assessor"),
    )
    return agreement, point_1, point_2


@pytest.fixture
def recent(world):
    """A violation in the world's agreement (in force) ten days ago, one 50 days ago."""
    for days in (10, 50):
        ObservationFactory(
            report__status="accepted",
            report__filed_at=NOW,
            clause=world.clause_a,
            occurred_at=NOW - dt.timedelta(days=days),
        )
    aggregates_refresh()
    return world


def rows_by_code(rows):
    return {row.agreement.code: row for row in rows}


# --- the overview ----------------------------------------------------------------------------


def test_the_overview_shows_each_agreement_over_its_own_period(minsk, recent):
    AgreementFactory(code="draft", status=Agreement.Status.DRAFT, in_force_on=None)

    rows = rows_by_code(agreements_overview())

    ended, live, draft = rows["minsk-like"], rows["test-ceasefire"], rows["draft"]
    assert ended.kind == "active_life"
    assert (ended.period.start, ended.period.end) == (dt.date(2015, 2, 15), dt.date(2022, 2, 21))
    assert ended.violations == len(violation_days()) and ended.violations_30d is None
    assert ended.implementation_rate == 33.3  # level 1 as of 21 February 2022, in force then
    assert ended.trend_unit == "quarter" and sum(ended.trend) == len(violation_days())
    assert len(ended.trend) <= 52
    assert live.kind == "last_30_days" and live.violations == live.violations_30d == 1
    assert live.trend_unit == "week" and sum(live.trend) == 2 and len(live.trend) == 12
    assert draft.kind == "never_in_force" and draft.violations is None and draft.trend == ()


def test_the_overview_page_labels_each_figure(client_for, analyst, minsk, recent):
    response = client_for(analyst).get(reverse("scorecards:overview"))
    document = html.fromstring(response.content.decode())

    def row(code):
        tr = document.xpath(f"//tr[@data-agreement='{code}']")[0]
        return [" ".join(" ".join(td.itertext()).split()) for td in tr.xpath("td")]

    headers = [th.text_content() for th in document.xpath("//table[@id='overview']//th")]
    assert "Violations in the period shown" in headers and "Period shown" in headers
    ended, live = row("minsk-like"), row("test-ceasefire")
    assert ended[2] == "Active life 15 Feb 2015 – 21 Feb 2022"
    assert ended[3].startswith("33.3 %") and "as of 21 Feb 2022" in ended[3]
    assert ended[5] == f"{len(violation_days())} over its active life"
    assert "per quarter" in ended[6]
    assert live[2].startswith("In force: the last 30 days")
    assert live[5] == "1 in the last 30 days"
    assert "N/A (not assessed)" in live[3]


def test_the_overview_api_labels_its_figures(client, analyst, minsk, recent):
    client.force_login(analyst)

    rows = {r["agreement"]: r for r in client.get("/api/v1/scorecards/").json()}

    ended, live = rows["minsk-like"], rows["test-ceasefire"]
    assert ended["period_kind"] == "active_life"
    assert ended["period"] == {"from": "2015-02-15", "to": "2022-02-21"}
    assert ended["active_life"] == {"from": "2015-02-15", "to": "2022-02-21"}
    assert ended["violations"] == len(violation_days()) and ended["violations_30d"] is None
    assert ended["implementation_rate"] == 33.3 and ended["weekly_violations"] is None
    assert ended["trend_unit"] == "quarter"
    assert len(ended["trend_starts"]) == len(ended["violations_trend"])
    assert live["period_kind"] == "last_30_days" and live["violations_30d"] == 1
    assert live["weekly_violations"] == live["violations_trend"]


def test_the_overview_known_at_counts_what_had_been_filed_then(minsk, recent):
    rows = rows_by_code(agreements_overview(known_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC)))

    assert rows["minsk-like"].violations == 0  # every Minsk report was filed "today"


def overview_queries(agreements: int, prefix: str) -> int:
    """Queries of the overview after adding ``agreements`` of each kind."""
    assessor = UserFactory()
    for n in (f"{prefix}{i}" for i in range(agreements)):
        ended, point_1, _ = minsk_like(code=f"ended-{n}")
        assessment_record(
            clause=point_1, level=2, assessed_on=dt.date(2015, 5, 1), rationale="r", by=assessor
        )
        minsk_like(code=f"open-ended-{n}", expires_on=None)
        live = AgreementFactory(code=f"live-{n}")
        ClauseFactory(agreement=live)
        AgreementFactory(code=f"draft-{n}", status=Agreement.Status.DRAFT)
    with CaptureQueriesContext(connection) as captured:
        agreements_overview()
    return len(captured)


@pytest.mark.django_db
def test_the_overview_takes_a_fixed_number_of_queries():
    few = overview_queries(1, "a")  # one agreement of each kind
    many = overview_queries(4, "b")  # five of each

    assert Agreement.objects.count() == 20
    assert few == many


# --- a party's card ----------------------------------------------------------------------------


def test_a_party_card_reads_each_agreement_over_its_own_life(minsk, world):
    agreement, point_1, _ = minsk
    party = point_1.obliged_parties.get()
    world.clause_a.obliged_parties.add(party)

    card = party_scorecard(party=party)

    by_code = {a.agreement.code: a for a in card.agreements}
    ended, live = by_code["minsk-like"], by_code["test-ceasefire"]
    assert ended.kind == "active_life" and not ended.live
    assert ended.as_of == dt.datetime(2022, 2, 21, 23, 59, 59, tzinfo=dt.UTC)
    assert ended.violations == len(violation_days()) == card.violations
    assert live.kind == "active_life_so_far" and live.live
    statuses = {o.clause.agreement.code: o.status for o in card.obligations}
    assert statuses["minsk-like"] == "stale"  # as of its end, not "not in force"
    assert "over each agreement's active life" in card.summary


def test_a_party_card_ends_each_life_in_its_agreements_zone_as_its_own_card_does(minsk):
    agreement, point_1, point_2 = minsk
    agreement.time_zone = "Europe/Kyiv"
    agreement.save(update_fields=["time_zone"])
    point_2.obliged_parties.add(point_1.obliged_parties.get())

    card = party_scorecard(party=point_1.obliged_parties.get())
    life = agreements_active_periods([agreement])[agreement.pk]
    own = agreement_scorecard(agreement=agreement, picture=picture_from_params({}, life=life))

    (shown,) = card.agreements
    # Midnight Kyiv time ends 21 February 2022, the last day Minsk II bound; midnight UTC is
    # already the 22nd, when nothing bound any more and every status read "No data".
    assert shown.as_of == dt.datetime(2022, 2, 21, 21, 59, 59, tzinfo=dt.UTC)
    assert (
        {o.clause.reference: o.status for o in card.obligations}
        == {row.clause.reference: row.status for row in own.rows}
        == {"1": "stale", "2": "stale"}
    )


def test_a_party_card_over_a_chosen_period_takes_statuses_at_its_end(client_for, analyst, minsk):
    party = minsk[1].obliged_parties.get()

    response = client_for(analyst).get(
        reverse("scorecards:party", args=[party.code]), {"from": "2015-02-15", "to": "2015-06-14"}
    )
    document = html.fromstring(response.content.decode())

    assert response.status_code == 200
    badges = document.xpath("//table[@id='obligations']//span[contains(@class, 'status')]")
    assert [b.text_content() for b in badges] == ["Violated"]
    assert "Period 15 February 2015 – 14 June 2015" in document.text_content()


def test_a_party_card_as_known_then_counts_nothing_filed_later(minsk):
    party = minsk[1].obliged_parties.get()

    card = party_scorecard(party=party, known_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))

    assert card.violations == 0


# --- the clause page ---------------------------------------------------------------------------


def test_the_clause_page_honours_as_of_and_known_at(client_for, analyst, minsk):
    _, point_1, _ = minsk
    client = client_for(analyst)
    url = reverse("scorecards:clause", args=[point_1.pk])

    def read(**query):
        document = html.fromstring(client.get(url, query).content.decode())
        status = document.get_element_by_id("clause-status").text_content()
        # Issue 16: the counts of the period (every one a link), the latest 20 rows listed.
        observed = int(document.xpath("//ul[@id='counts-by-kind']/li[1]/a")[0].text)
        listed = len(document.xpath("//table[@id='observations-table']/tbody/tr[td[9]]"))
        assert listed == min(observed, 20)
        return " ".join(status.split()), observed

    default, everything = read()
    spring, in_spring = read(as_of="2015-03-01")
    unknown, none_known = read(as_of="2015-03-01", known_at="2026-06-01")

    assert default.startswith("Status as of 21 February 2022: Monitoring stale")
    assert everything == len(violation_days())
    assert spring.startswith("Status as of 1 March 2015: Violated")
    assert in_spring == len([d for d in violation_days() if d < dt.date(2015, 3, 1)])
    assert "Violated" not in unknown and none_known == 0


def test_the_clause_page_dates_observations_in_the_agreements_zone(client_for, analyst, minsk):
    agreement, point_1, _ = minsk
    agreement.time_zone = "Europe/Kyiv"
    agreement.save(update_fields=["time_zone"])
    report = point_1.observations.first().report
    # 23:30 UTC on 20 February 2015 is 01:30 on the 21st in Kyiv; a day alone stays its day.
    ObservationFactory(
        report=report,
        clause=point_1,
        occurred_at=dt.datetime(2015, 2, 20, 23, 30, tzinfo=dt.UTC),
        occurred_on=dt.date(2015, 2, 21),
    )
    ObservationFactory(
        report=report,
        clause=point_1,
        occurred_at=dt.datetime(2015, 2, 22, 22, tzinfo=dt.UTC),
        occurred_on=dt.date(2015, 2, 23),
        date_only=True,
    )

    response = client_for(analyst).get(
        reverse("scorecards:clause", args=[point_1.pk]), {"as_of": "2015-02-24"}
    )
    document = html.fromstring(response.content.decode())

    table = document.get_element_by_id("observations-table")
    when = [" ".join(" ".join(td.itertext()).split()) for td in table.xpath("./tbody/tr/td[1]")]
    assert "When (Kyiv time)" in table.xpath("./thead")[0].text_content()
    assert "23 Feb 2015 day only" in when and "21 Feb 2015 01:30" in when
    assert "22 Feb 2015 22:00" not in when and "20 Feb 2015 23:30" not in when
    assert table.xpath("./tbody/tr/td[9]")[0].text_content() == report.mission.name


# --- buckets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "unit", "count"),
    [
        ("2026-09-07", "2026-11-29", "week", 12),
        ("2022-07-22", "2023-07-17", "month", 13),
        ("2015-02-15", "2022-02-21", "quarter", 29),
        ("1900-01-01", "2100-12-31", "year", 201),
    ],
)
def test_buckets_stay_few_over_long_periods(start, end, unit, count):
    buckets = buckets_over(dt.date.fromisoformat(start), dt.date.fromisoformat(end), most=52)

    assert (buckets.unit, len(buckets.starts)) == (unit, count)
    assert buckets.index(dt.date.fromisoformat(end)) == count - 1
