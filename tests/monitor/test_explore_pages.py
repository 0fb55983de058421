"""The explorer's pages and JSON (monitor.explore.views): what they show, to whom, in a fixed
number of queries whatever the number of rows."""

import datetime as dt
import json

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitor.explore.basemap import basemap
from reports.models import EvidenceFile
from tests.api.conftest import make_alert
from tests.factories import PartyFactory
from tests.monitor.explore_data import filed, seen

# --- the explorer --------------------------------------------------------------------------


@pytest.fixture
def donbas(world):
    """Two missions' observations on the personas' agreement, in February-March 2015."""
    east = PartyFactory(code="party-east", name="Eastern forces")
    report_a = filed(world.mission_a, title="Daily report 20 Feb")
    report_b = filed(world.mission_b)
    rows = {
        "a1": seen(
            report_a,
            clause=world.clause_a,
            party=east,
            place_name="Shyrokyne",
            admin_area="Donetsk oblast",
            latitude=47.1,
            longitude=37.9,
        ),
        "a2": seen(
            report_a,
            day=dt.date(2015, 3, 2),
            clause=world.clause_a,
            kind="compliance",
            actor="Unknown armed men",
            place_name="Avdiivka",
            admin_area="Donetsk oblast",
            latitude=48.14,
            longitude=37.74,
            outside_area=True,
            scope_note="placed outside the clause's areas",
        ),
        "b1": seen(
            report_b,
            clause=world.clause_b,
            place_name="Hidden place of B",
            admin_area="Luhansk oblast",
            latitude=48.57,
            longitude=39.31,
        ),
    }
    return rows


def test_the_explorer_opens_on_everything_the_reader_sees(client, analyst, donbas):
    client.force_login(analyst)
    page = client.get("/explore/").content.decode()

    assert "Every observation you may see</strong>: 3 observations" in page
    assert 'role="img"' in page and "Observations per week" in page
    assert "Shyrokyne" in page and "Hidden place of B" in page
    assert "Eastern forces" in page  # a party by its name
    assert "Unattributed" in page and "Unknown armed men" in page
    assert "outside the areas" in page
    # Without a script: the areas, each count a link to its rows.
    assert 'href="?area=Donetsk+oblast"' in page
    assert 'data-clusters-url="/explore/clusters.json"' in page


def test_the_summary_says_the_filters_in_words(client, analyst, donbas):
    client.force_login(analyst)
    page = client.get(
        "/explore/?agreement=test-ceasefire&kind=violation&area=Donetsk+oblast"
        "&from=2015-01-01&to=2015-03-31"
    ).content.decode()
    assert (
        "Violations in Test ceasefire, in Donetsk oblast, 1 Jan – 31 Mar 2015</strong>: "
        "1 observation" in page
    )
    # The clause list narrows to the chosen agreement, by reference and title.
    assert "1 — Ceasefire" in page


def test_an_observer_sees_its_missions_rows_only(client, observer_a, donbas):
    client.force_login(observer_a)
    page = client.get("/explore/").content.decode()
    assert "Shyrokyne" in page and "Hidden place of B" not in page
    assert "2 observations" in page
    assert "Mission B" not in page  # not even among the missions to choose from


def test_an_observer_is_told_its_counts_are_its_missions_only(client, observer_a, donbas):
    # The scorecards count every mission's; the explorer the observer's own.
    client.force_login(observer_a)
    page = client.get("/explore/").content.decode()
    assert 'id="reach-note"' in page and "your mission (" in page


def test_an_analyst_is_not_told_of_a_mission_bound(client, analyst, donbas):
    client.force_login(analyst)
    assert 'id="reach-note"' not in client.get("/explore/").content.decode()


def test_filter_state_lives_in_the_links(client, analyst, donbas):
    client.force_login(analyst)
    page = client.get("/explore/?kind=violation&kind=compliance&sort=kind").content.decode()
    assert 'aria-sort="ascending"' in page
    assert 'href="?kind=violation&amp;kind=compliance&amp;sort=-kind"' in page
    assert 'value="violation" checked' in page
    assert '<input type="hidden" name="sort" value="kind">' in page
    assert "export.csv?kind=violation&amp;kind=compliance" in page


def test_pagination_keeps_every_filter(client, analyst, world):
    report = filed(world.mission_a)
    for i in range(51):
        seen(report, day=dt.date(2015, 2, 1) + dt.timedelta(days=i % 20))
    client.force_login(analyst)
    page = client.get("/explore/?kind=violation&sort=kind").content.decode()
    assert "Page 1 of 2" in page
    assert 'href="?kind=violation&amp;sort=kind&amp;page=2"' in page
    second = client.get("/explore/?kind=violation&sort=kind&page=2").content.decode()
    assert "51–51 of 51" in second


def test_no_match_says_so(client, analyst, donbas):
    client.force_login(analyst)
    page = client.get("/explore/?kind=information").content.decode()
    assert "No observation matches these filters." in page


@pytest.mark.parametrize("persona, status", [("api_consumer", 403), ("outsider", 403)])
def test_roles_without_pages_are_refused(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    for url in ("/explore/", "/explore/clusters.json", "/explore/basemap.json"):
        assert client.get(url).status_code == status


def test_anonymous_readers_are_sent_to_log_in(client, world):
    for url in ("/explore/", "/explore/clusters.json", "/explore/observations/1/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- clusters.json and the basemap -----------------------------------------------------------


def test_clusters_json_answers_the_filters_zoom_and_box(client, analyst, donbas):
    client.force_login(analyst)
    body = client.get("/explore/clusters.json?zoom=5").json()
    assert body["zoom"] == 5 and body["cell_degrees"] == 2.8125 and body["total"] == 3
    boxed = client.get("/explore/clusters.json?zoom=12&bbox=37.8,47,38,47.2").json()
    assert boxed["total"] == 1
    assert boxed["clusters"][0]["observation"] == donbas["a1"].pk
    assert boxed["clusters"][0]["kinds"] == {"violation": 1}
    filtered = client.get("/explore/clusters.json?kind=compliance").json()
    assert filtered["total"] == 1 and filtered["zoom"] == 5


@pytest.mark.parametrize(
    "query, name", [("zoom=near", "zoom"), ("bbox=1,2", "bbox"), ("kind=bombing", "kind")]
)
def test_clusters_json_refuses_a_bad_parameter_in_json(client, analyst, query, name):
    client.force_login(analyst)
    response = client.get(f"/explore/clusters.json?{query}")
    assert response.status_code == 400 and response.json()["parameter"] == name


def test_clusters_json_brings_the_zoom_within_its_range(client, analyst, donbas):
    client.force_login(analyst)
    assert client.get("/explore/clusters.json?zoom=40").json()["zoom"] == 18
    assert client.get("/explore/clusters.json?zoom=-3").json()["zoom"] == 0


def test_the_basemap_is_offline_geojson_kept_by_the_browser(client, analyst):
    client.force_login(analyst)
    response = client.get("/explore/basemap.json")
    assert response.status_code == 200 and "max-age=86400" in response["Cache-Control"]
    body = response.json()
    kinds = {f["properties"]["kind"] for f in body["features"]}
    names = {f["properties"]["name"] for f in body["features"]}
    assert kinds == {"country", "admin1"}
    assert {"Ukraine", "Türkiye", "Donetsk oblast"} <= names
    again = client.get("/explore/basemap.json", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    zipped = client.get("/explore/basemap.json", HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert len(basemap()[0]) < 300_000  # simplified: a basemap, not a survey


# --- one observation -------------------------------------------------------------------------


@pytest.fixture
def evidenced(world, donbas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    observation = donbas["a1"]
    report = observation.report
    report.ledger_seq, report.ledger_prev_hash, report.ledger_hash = 1, "0" * 64, "ab12" * 16
    report.save()
    evidence = EvidenceFile(
        mission=world.mission_a,
        report=report,
        observation=observation,
        original_name="crater.jpg",
        content_type="image/jpeg",
        size=5,
        sha256="cd34" * 16,
    )
    evidence.file.save("crater", ContentFile(b"photo"), save=False)
    evidence.save()
    alert = make_alert(world.clause_a, evidence=[observation], explanation="Shelling again.")
    make_alert(world.clause_b, explanation="Not about this one.")
    return observation, evidence, alert


def test_the_observation_page_shows_report_files_hash_and_alerts(client, observer_a, evidenced):
    observation, evidence, alert = evidenced
    client.force_login(observer_a)
    page = client.get(f"/explore/observations/{observation.pk}/").content.decode()

    assert "Violation at Shyrokyne, 20 February 2015" in page
    assert "10:00 UTC" in page
    assert "Daily report 20 Feb" in page and observation.report.external_id in page
    assert "ab12" * 16 in page
    assert f'href="/api/v1/evidence/{evidence.pk}/"' in page and "crater.jpg" in page
    assert f'href="/alerts/{alert.pk}/"' in page
    assert "Not about this one" not in page
    assert f'href="/scorecards/clauses/{observation.clause_id}/"' in page
    assert "Eastern forces" in page
    assert 'id="observation-map"' in page and 'data-lat="47.100000"' in page


def test_its_time_is_given_in_the_agreements_zone_and_in_utc(client, analyst, world, donbas):
    world.agreement.time_zone = "Europe/Kyiv"
    world.agreement.save()
    client.force_login(analyst)
    page = client.get(f"/explore/observations/{donbas['a1'].pk}/").content.decode()
    assert "12:00 Kyiv time" in page and "20 Feb 2015 10:00 UTC" in page


def test_flags_are_shown_with_their_notes(client, analyst, donbas):
    client.force_login(analyst)
    page = client.get(f"/explore/observations/{donbas['a2'].pk}/").content.decode()
    assert "placed outside the clause&#x27;s areas" in page or "placed outside" in page
    assert "Unattributed (no party)" in page and "Unknown armed men" in page


def test_an_observer_of_another_mission_gets_404(client, observer_b, donbas):
    client.force_login(observer_b)
    assert client.get(f"/explore/observations/{donbas['a1'].pk}/").status_code == 404
    assert client.get(f"/explore/observations/{donbas['b1'].pk}/").status_code == 200


def test_an_api_consumer_gets_403_for_an_observation(client, api_consumer, donbas):
    client.force_login(api_consumer)
    assert client.get(f"/explore/observations/{donbas['a1'].pk}/").status_code == 403


def test_a_draft_reports_observation_is_not_shown(client, analyst, world):
    draft = filed(world.mission_a, status="draft")
    assert client.get("/explore/").status_code == 302
    client.force_login(analyst)
    assert client.get(f"/explore/observations/{seen(draft).pk}/").status_code == 404


# --- a fixed number of queries -----------------------------------------------------------------


def _spread(world, n: int) -> None:
    """``n`` observations over many weeks, cells, kinds, areas and parties."""
    report = filed(world.mission_a)
    kinds = ["violation", "compliance", "incident", "access_restricted", "information"]
    parties = [PartyFactory(code=f"party-{i}", name=f"Party {i}") for i in range(3)]
    for i in range(n):
        seen(
            report,
            day=dt.date(2015, 2, 1) + dt.timedelta(days=5 * i),
            kind=kinds[i % 5],
            clause=world.clause_a,
            party=parties[i % 3] if i % 4 else None,
            admin_area=f"Area {i % 7}",
            latitude=44 + (i % 9) * 0.9,
            longitude=30 + (i % 11) * 0.8,
        )


URLS = [
    "/explore/?kind=violation&kind=compliance&kind=incident&kind=access_restricted"
    "&kind=information&agreement=test-ceasefire&sort=party",
    "/explore/clusters.json?zoom=8&agreement=test-ceasefire",
]


def _counts(client) -> list[int]:
    counts = []
    for url in URLS:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    return counts


def test_the_number_of_queries_does_not_grow_with_the_rows(
    client, analyst, world, django_assert_num_queries
):
    client.force_login(analyst)
    _spread(world, 3)
    few = _counts(client)
    _spread(world, 120)
    assert _counts(client) == few
    # The page: session, user, roles; the series, the table page, the areas; agreements,
    # clauses, parties and missions for the form. The clusters: session, user, roles, clusters.
    with django_assert_num_queries(few[0]):
        client.get(URLS[0])
    assert few == [10, 4]


def test_the_fields_left_blank_are_dropped_from_the_address(client, analyst, world):
    client.force_login(analyst)
    response = client.get("/explore/?agreement=test-ceasefire&clause=&kind=violation&party=")
    assert response.status_code == 302
    assert response["Location"] == "/explore/?agreement=test-ceasefire&kind=violation"
    assert client.get("/explore/?clause=&party=")["Location"] == "/explore/"


def test_the_summary_counts_kinds_in_the_plural(client_for, analyst):
    response = client_for(analyst).get("/explore/?kind=violation&kind=incident")

    assert "Violations and incidents" in response.content.decode()


def test_the_source_names_an_actor_only_when_it_differs_from_the_party(client, analyst, donbas):
    """A report that names the party by its code says nothing more; a variant spelling is shown."""
    observation = donbas["a1"]
    observation.quantity = 37
    observation.actor = observation.party.code
    observation.save()
    client.force_login(analyst)
    url = f"/explore/observations/{observation.pk}/"

    page = client.get(url).content.decode()
    assert "the source names" not in page
    assert "quantity 37" in page

    observation.actor = "East forces (as the source spells it)"
    observation.save()
    assert (
        "the source names: East forces (as the source spells it)"
        in client.get(url).content.decode()
    )


def test_each_area_of_the_basemap_says_where_its_name_goes_inside_it():
    from shapely.geometry import Point, shape

    features = json.loads(basemap()[0])["features"]
    areas = [f for f in features if f["properties"]["kind"] == "admin1"]

    assert len(areas) > 100
    for area in areas:
        lon, lat = area["properties"]["label"]
        assert shape(area["geometry"]).buffer(0.01).contains(Point(lon, lat)), area["properties"]
    kyiv = next(a for a in areas if a["properties"]["code"] == "UA-30")
    assert kyiv["properties"]["name"] == "Kyiv"
