"""The explorer's filters (monitor.explore.filters): parsing, refusals that name the parameter,
the query string round trip, each filter narrowing the rows, and the second clock."""

import datetime as dt

import pytest
from django.http import QueryDict

from core.params import ParameterError
from monitor.explore.filters import ExploreFilters, explore_url
from reports.models import Observation, ReportStatus
from reports.selectors import observations_visible_to
from tests.factories import AgreementFactory, ClauseFactory, PartyFactory
from tests.monitor.explore_data import filed, seen


def parse(query: str) -> ExploreFilters:
    return ExploreFilters.from_params(QueryDict(query))


# --- parsing -------------------------------------------------------------------------------


def test_every_parameter_is_read():
    f = parse(
        "agreement=minsk-ii&clause=12&category=ceasefire&party=unattributed&mission=smm-donetsk"
        "&area=Donetsk+oblast&kind=violation&kind=incident&verification=confirmed"
        "&reliability=A&reliability=B&credibility=1&from=2015-02-15&to=2015-03-31"
        "&known_at=2016-01-01T12:00&outside=none&place_mismatch=yes&retrospective=false"
        "&within=37.5,47.8,38.25,48.3"
    )
    assert f.agreement == "minsk-ii" and f.clause == 12 and f.category == "ceasefire"
    assert f.party == "unattributed" and f.mission == "smm-donetsk" and f.area == "Donetsk oblast"
    assert f.kind == ("violation", "incident") and f.verification == ("confirmed",)
    assert f.reliability == ("A", "B") and f.credibility == ("1",)
    assert (f.start, f.end) == (dt.date(2015, 2, 15), dt.date(2015, 3, 31))
    assert f.known_at == dt.datetime(2016, 1, 1, 12, tzinfo=dt.UTC)
    assert f.outside == "none" and f.place_mismatch is True and f.retrospective is False
    assert f.within == (37.5, 47.8, 38.25, 48.3)


def test_no_parameter_means_no_filter_and_repeats_count_once():
    assert parse("").is_empty
    assert parse("kind=violation&kind=violation").kind == ("violation",)
    assert parse("agreement=&kind=").is_empty


@pytest.mark.parametrize(
    "query, name",
    [
        ("kind=bombing", "kind"),
        ("verification=sure", "verification"),
        ("reliability=G", "reliability"),
        ("credibility=7", "credibility"),
        ("clause=one", "clause"),
        ("from=2015-13-01", "from"),
        ("to=15/03/2015", "to"),
        ("from=2015-03-01&to=2015-02-01", "to"),
        ("from=1800-01-01", "from"),
        ("known_at=yesterday", "known_at"),
        ("outside=maybe", "outside"),
        ("place_mismatch=perhaps", "place_mismatch"),
        ("retrospective=2", "retrospective"),
        ("within=1,2,3", "within"),
        ("within=a,b,c,d", "within"),
        ("within=30,50,40,45", "within"),
        ("within=30,40,40,95", "within"),
        ("within=nan,40,40,45", "within"),
        ("agreement=" + "x" * 201, "agreement"),
        ("area=Don%00etsk", "area"),
        ("&".join(["kind=violation"] * 13), "kind"),
    ],
)
def test_a_bad_value_is_refused_naming_the_parameter(query, name):
    with pytest.raises(ParameterError) as refused:
        parse(query)
    assert refused.value.name == name


@pytest.mark.parametrize("query, name", [("kind=bombing", "kind"), ("within=1,2", "within")])
def test_the_page_answers_a_bad_value_with_400_naming_it(client, analyst, query, name):
    client.force_login(analyst)
    response = client.get(f"/explore/?{query}")
    assert response.status_code == 400
    assert f"<code>{name}</code>" in response.content.decode() or name in response.content.decode()


def test_a_box_past_the_edges_of_the_world_is_cut_at_them():
    assert parse("within=-200,-10,200,10").within == (-180.0, -10.0, 180.0, 10.0)


# --- round trip ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "agreement=minsk-ii&kind=violation&kind=incident&from=2015-02-15&to=2015-03-31",
        "party=unattributed&outside=any&place_mismatch=true&retrospective=true",
        "clause=3&category=ceasefire&mission=m&area=Luhansk+oblast&verification=disputed"
        "&reliability=F&credibility=6&credibility=5&known_at=2016-01-01&within=37.5,47.8,38.25,48.3",
    ],
)
def test_query_writes_back_what_it_read(query):
    once = parse(query)
    again = parse(once.query())
    assert again == once
    assert again.query() == once.query()
    assert parse(once.query(sort="-kind", page="2")) == once


def test_explore_url_links_with_the_same_names():
    day = dt.date(2015, 2, 20)
    url = explore_url(
        agreement="minsk-ii", kind="violation", party="unattributed", start=day, end=day
    )
    assert url.startswith("/explore/?")
    f = parse(url.split("?", 1)[1])
    assert (f.agreement, f.kind, f.party, f.start, f.end) == (
        "minsk-ii",
        ("violation",),
        "unattributed",
        day,
        day,
    )
    with pytest.raises(TypeError):
        explore_url(colour="red")


# --- each filter narrows -------------------------------------------------------------------


@pytest.fixture
def rows(world):
    """Observations that differ one attribute at a time, and a predicate per filter."""
    east = PartyFactory(code="party-east", name="East")
    other = ClauseFactory(
        agreement=AgreementFactory(code="other-truce"), category="prisoner_exchange"
    )
    a, b = world.mission_a, world.mission_b
    report_a, report_b = filed(a), filed(b)
    late = filed(a, archival=True)
    made = {
        "plain": seen(report_a, clause=world.clause_a, party=east, admin_area="Donetsk oblast"),
        "incident": seen(report_a, clause=world.clause_a, kind="incident"),
        "other_agreement": seen(report_a, clause=other),
        "clause_b": seen(report_b, clause=world.clause_b, admin_area="Luhansk oblast"),
        "no_clause": seen(report_a, clause=None, latitude=48.0, longitude=37.8),
        "confirmed": seen(report_a, clause=world.clause_a, verification_status="confirmed"),
        "graded": seen(
            report_a, kind="information", source_reliability="A", information_credibility=2
        ),
        "early": seen(report_a, day=dt.date(2015, 2, 1)),
        "late_day": seen(report_a, day=dt.date(2015, 3, 10)),
        "outside_period": seen(report_a, outside_period=True, scope_note="before"),
        "outside_area": seen(report_a, outside_area=True, scope_note="elsewhere"),
        "mismatch": seen(report_a, place_mismatch=True, latitude=49.9, longitude=36.2),
        "archival": seen(late),
    }
    return made


CASES = [
    (
        "agreement=test-ceasefire",
        lambda o: o.clause and o.clause.agreement.code == "test-ceasefire",
    ),
    ("clause={clause_a}", lambda o: o.clause and o.clause.reference == "1"),
    ("category=prisoner_exchange", lambda o: o.clause and o.clause.category == "prisoner_exchange"),
    ("party=party-east", lambda o: o.party_id is not None),
    ("party=unattributed", lambda o: o.party_id is None),
    ("mission=mission-b", lambda o: o.report.mission.code == "mission-b"),
    ("area=donetsk+OBLAST", lambda o: o.admin_area == "Donetsk oblast"),
    ("kind=incident", lambda o: o.kind == "incident"),
    ("kind=incident&kind=violation", lambda o: o.kind in ("incident", "violation")),
    ("verification=confirmed", lambda o: o.verification_status == "confirmed"),
    ("reliability=A", lambda o: o.source_reliability == "A"),
    ("credibility=2", lambda o: o.information_credibility == 2),
    ("from=2015-02-10", lambda o: o.occurred_on >= dt.date(2015, 2, 10)),
    ("to=2015-02-28", lambda o: o.occurred_on <= dt.date(2015, 2, 28)),
    ("from=2015-02-20&to=2015-02-20", lambda o: o.occurred_on == dt.date(2015, 2, 20)),
    ("outside=period", lambda o: o.outside_period),
    ("outside=area", lambda o: o.outside_area),
    ("outside=any", lambda o: o.outside_period or o.outside_area),
    ("outside=none", lambda o: not (o.outside_period or o.outside_area)),
    ("place_mismatch=true", lambda o: o.place_mismatch),
    ("place_mismatch=false", lambda o: not o.place_mismatch),
    ("retrospective=true", lambda o: o.report.archival),
    ("retrospective=false", lambda o: not o.report.archival),
    ("within=37,47,39,49", lambda o: o.latitude is not None and 37 <= o.longitude <= 39),
]


@pytest.mark.parametrize("query, keeps", CASES, ids=[c[0] for c in CASES])
def test_each_filter_keeps_exactly_the_rows_it_names(world, analyst, rows, query, keeps):
    query = query.format(clause_a=world.clause_a.pk)
    everything = observations_visible_to(user=analyst)
    expected = {
        o.pk for o in everything.select_related("clause__agreement", "report__mission") if keeps(o)
    }
    got = set(parse(query).apply(everything).values_list("pk", flat=True))
    assert got == expected
    assert 0 < len(got) < len(rows)


def test_a_calendar_day_is_the_day_where_it_happened_not_in_utc(world, analyst):
    report = filed(world.mission_a)
    # 23:30 UTC on the 14th is the 15th in Kyiv; 22:30 UTC on the 15th is already the 16th.
    kyiv_15th = seen(report, day=dt.date(2015, 2, 14), hour=23, occurred_on=dt.date(2015, 2, 15))
    seen(report, day=dt.date(2015, 2, 15), hour=22, occurred_on=dt.date(2015, 2, 16))
    found = parse("from=2015-02-15&to=2015-02-15").apply(observations_visible_to(user=analyst))
    assert list(found) == [kyiv_15th]


# --- the second clock ------------------------------------------------------------------------


def test_known_at_leaves_out_later_filings_and_shows_reports_as_they_stood(world, analyst):
    t1 = dt.datetime(2016, 1, 1, tzinfo=dt.UTC)
    t2 = dt.datetime(2017, 1, 1, tzinfo=dt.UTC)
    first = filed(world.mission_a, filed_at=t1, status=ReportStatus.SUPERSEDED, external_id="R-1")
    corrected = filed(world.mission_a, filed_at=t2, external_id="R-1", revision=2, supersedes=first)
    later = filed(world.mission_a, filed_at=dt.datetime(2018, 1, 1, tzinfo=dt.UTC))
    old = seen(first, place_name="as first filed")
    new = seen(corrected, place_name="as corrected")
    newest = seen(later)
    visible = observations_visible_to(user=analyst)

    def at(known_at: str) -> set[int]:
        query = f"known_at={known_at}" if known_at else ""
        return set(parse(query).apply(visible).values_list("pk", flat=True))

    assert at("2015-12-31") == set()
    assert at("2016-06-01") == {old.pk}
    assert at("2017-06-01T10:00") == {new.pk}
    assert at("") == {new.pk, newest.pk}


def test_known_at_after_now_is_now():
    assert parse("known_at=2099-01-01").known_at <= dt.datetime.now(dt.UTC)


def test_the_filters_never_widen_what_the_reader_may_see(world, observer_a):
    seen(filed(world.mission_a), clause=world.clause_a)
    seen(filed(world.mission_b), clause=world.clause_b)
    found = parse("mission=mission-b").apply(observations_visible_to(user=observer_a))
    assert not found.exists()
    assert Observation.objects.filter(report__mission=world.mission_b).exists()
