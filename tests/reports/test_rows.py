"""One raw row to database values, or a ``field: problem`` error a person can act on."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from reports.ingest.rows import COLUMNS, RowContext, RowError, validate_row
from tests.factories import AgreementFactory, AreaFactory, ClauseFactory, PartyFactory

pytestmark = pytest.mark.django_db

WHEN = "2025-03-01T09:00:00"
VALUES = COLUMNS[2:]  # validate_row leaves out report_id and sequence


@pytest.fixture
def ctx(world):
    PartyFactory(code="north", name="Northern Forces")
    return RowContext.load(mission=world.mission_a, agreement_code=None, tz=dt.UTC)


def _values(row: dict, ctx: RowContext) -> dict:
    return dict(zip(VALUES, validate_row(row, ctx), strict=True))


def _error(row: dict, ctx: RowContext) -> str:
    with pytest.raises(RowError) as caught:
        validate_row(row, ctx)
    return str(caught.value)


def test_full_row_becomes_column_values(ctx, world):
    values = _values(
        {
            "id": "EV-7",
            "kind": "Ceasefire violation",
            "clause": "1",
            "party": "Northern Forces",
            "occurred_at": WHEN,
            "place_name": " Shyrokyne ",
            "admin_area": "Donetsk",
            "latitude": "47,1",
            "longitude": 37.5,
            "quantity": "12",
            "severity": "high",
            "description": "Twelve explosions.",
            "evidence_urls": "https://example.org/a https://example.org/b",
            "source": "patrol",
            "grade": "b2",
            "verification_status": "Corroborated",
            "attributes": {"reported_at": dt.date(2025, 3, 2)},
        },
        ctx,
    )
    assert values == {
        "kind": "violation",
        "clause_id": world.clause_a.pk,
        "party_id": ctx.parties["north"],
        "occurred_at": dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC),
        "occurred_on": dt.date(2025, 3, 1),
        "date_only": False,
        "place_name": "Shyrokyne",
        "admin_area": "Donetsk oblast",  # the gazetteer's form; as sent in attributes
        "area_id": None,
        "latitude": 47.1,
        "longitude": 37.5,
        "quantity": 12,
        "severity": 3,
        "description": "Twelve explosions.",
        "evidence_urls": ["https://example.org/a", "https://example.org/b"],
        "source": "patrol",
        "source_reliability": "B",
        "information_credibility": 2,
        "verification_status": "corroborated",
        "attributes": {"reported_at": "2025-03-02", "id": "EV-7", "admin_area_as_sent": "Donetsk"},
        "outside_period": False,
        "outside_area": False,
        "scope_note": "",
        "actor": "Northern Forces",
        "amount": None,
        "unit": "",
        "to_place_name": "",
        "to_latitude": None,
        "to_longitude": None,
        "place_mismatch": False,
        "place_note": "",
    }
    assert ctx.clauses_touched == {world.clause_a.pk}


def test_minimal_row_gets_the_defaults(ctx):
    values = _values({"kind": "information", "occurred_at": WHEN}, ctx)
    assert values["clause_id"] is None
    assert values["severity"] == 2
    assert (values["source_reliability"], values["information_credibility"]) == ("F", 6)
    assert values["verification_status"] == "unverified"
    assert values["evidence_urls"] == [] and values["attributes"] == {}


def test_naive_time_is_read_in_the_payload_zone(world):
    kyiv = RowContext.load(mission=world.mission_a, agreement_code=None, tz=ZoneInfo("Europe/Kyiv"))
    occurred = _values({"kind": "incident", "occurred_at": "2025-01-10 08:00"}, kyiv)["occurred_at"]
    assert occurred.astimezone(dt.UTC) == dt.datetime(2025, 1, 10, 6, 0, tzinfo=dt.UTC)


def test_profile_date_format_applies_to_rows(world):
    ctx = RowContext.load(
        mission=world.mission_a, agreement_code=None, tz=dt.UTC, date_format="%d/%m/%Y"
    )
    occurred = _values({"kind": "incident", "occurred_at": "03/04/2025"}, ctx)["occurred_at"]
    assert occurred.date() == dt.date(2025, 4, 3)


@pytest.mark.parametrize(
    ("clause", "agreement"),
    [("1", None), ("test-ceasefire:1", None), ("1", "test-ceasefire")],
)
def test_clause_reference_forms(ctx, world, clause, agreement):
    row = {"kind": "violation", "clause": clause, "occurred_at": WHEN}
    if agreement:
        row["agreement"] = agreement
    assert _values(row, ctx)["clause_id"] == world.clause_a.pk


def test_clause_not_watched_by_the_mission_is_refused(ctx):
    message = _error({"kind": "violation", "clause": "3", "occurred_at": WHEN}, ctx)
    assert message == (
        'clause: clause "3" of test-ceasefire is not watched by mission mission-a\'s mechanisms'
    )


def test_clause_that_does_not_exist_is_refused(ctx):
    message = _error({"kind": "violation", "clause": "99", "occurred_at": WHEN}, ctx)
    assert message == 'clause: there is no clause "99" in test-ceasefire'


def test_clause_of_an_agreement_the_mission_does_not_watch_is_refused(world):
    other = AgreementFactory(code="other-accord")
    ClauseFactory(agreement=other, reference="1")
    ctx = RowContext.load(mission=world.mission_a, agreement_code=None, tz=dt.UTC)
    message = _error({"kind": "violation", "clause": "other-accord:1", "occurred_at": WHEN}, ctx)
    assert message == 'agreement: "other-accord" is not an agreement mission mission-a monitors'


def test_qualified_clause_reference_wins_over_the_report_default_agreement(world):
    other = AgreementFactory(code="other-accord")
    world.mechanism_a.clauses.add(clause := ClauseFactory(agreement=other, reference="1"))
    ctx = RowContext.load(mission=world.mission_a, agreement_code="test-ceasefire", tz=dt.UTC)
    row = {"kind": "violation", "occurred_at": WHEN}
    assert _values({**row, "clause": "other-accord:1"}, ctx)["clause_id"] == clause.pk
    assert _values({**row, "clause": "1"}, ctx)["clause_id"] == world.clause_a.pk


def test_bare_clause_reference_needs_the_agreement_when_mission_watches_two(world):
    other = AgreementFactory(code="other-accord")
    world.mechanism_a.clauses.add(ClauseFactory(agreement=other, reference="1"))
    ctx = RowContext.load(mission=world.mission_a, agreement_code=None, tz=dt.UTC)
    message = _error({"kind": "violation", "clause": "1", "occurred_at": WHEN}, ctx)
    assert message.startswith("clause: name the agreement")


@pytest.fixture
def two_ceasefire_clauses(world):
    """Mission A watches two ceasefire clauses, one per area."""
    donetsk = AreaFactory(code="donetsk", name="Donetsk")
    luhansk = AreaFactory(code="luhansk", name="Luhansk")
    world.clause_a.areas.set([donetsk])
    clause_4 = ClauseFactory(agreement=world.agreement, reference="4", title="Ceasefire east")
    clause_4.areas.set([luhansk])
    world.mechanism_a.clauses.add(clause_4)
    return clause_4


def test_category_and_area_find_the_clause(world, two_ceasefire_clauses):
    ctx = RowContext.load(mission=world.mission_a, agreement_code=None, tz=dt.UTC)
    row = {"kind": "violation", "category": "Ceasefire", "occurred_at": WHEN}
    assert _values({**row, "admin_area": "donetsk"}, ctx)["clause_id"] == world.clause_a.pk
    luhansk = _values({**row, "admin_area": "Luhansk"}, ctx)
    assert luhansk["clause_id"] == two_ceasefire_clauses.pk
    assert luhansk["area_id"] == ctx.areas["luhansk"]


def test_category_matching_several_clauses_is_refused(world, two_ceasefire_clauses):
    ctx = RowContext.load(mission=world.mission_a, agreement_code=None, tz=dt.UTC)
    message = _error({"kind": "violation", "category": "ceasefire", "occurred_at": WHEN}, ctx)
    assert message == (
        'clause: category "ceasefire" matches 2 clauses here; give the clause reference'
    )


def test_category_before_the_clause_is_in_force_matches_nothing(ctx):
    row = {"kind": "violation", "category": "ceasefire", "occurred_at": "2024-12-01"}
    assert _error(row, ctx).startswith('category: no clause of category "ceasefire"')


def test_category_without_match_is_fine_for_an_incident(ctx):
    row = {"kind": "incident", "category": "grain_export", "occurred_at": WHEN}
    assert _values(row, ctx)["clause_id"] is None


@pytest.mark.parametrize("kind", ["violation", "compliance"])
def test_violation_and_compliance_must_name_a_clause(ctx, kind):
    message = _error({"kind": kind, "occurred_at": WHEN}, ctx)
    assert message == f"clause: a {kind} must name the clause (or a category to match it)"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"kind": None}, "kind: is required"),
        ({"kind": 42}, 'kind: "42" is not one of'),
        ({"occurred_at": None}, "occurred_at: is required"),
        ({"occurred_at": "yesterday"}, "occurred_at: "),
        ({"latitude": "north", "longitude": 1}, 'latitude: "north" is not a number'),
        ({"latitude": 91, "longitude": 1}, "latitude: 91 is out of range (-90 to 90)"),
        ({"latitude": 1, "longitude": -181}, "longitude: -181 is out of range"),
        ({"latitude": "nan", "longitude": 1}, "latitude: nan is out of range"),
        ({"latitude": True, "longitude": 1}, "latitude: must be a number"),
        ({"latitude": 47.1}, "longitude: latitude and longitude come together"),
        ({"longitude": 37.5}, "latitude: latitude and longitude come together"),
        ({"quantity": -5}, "quantity: -5 is out of range"),
        ({"quantity": 2.5}, "quantity: 2.5 is not a whole number"),
        ({"severity": 9}, "severity: 9 is not 1-4"),
        ({"severity": 2.5}, "severity: 2.5 is not 1-4"),
        ({"severity": "dire"}, 'severity: "dire" is not 1-4'),
        ({"grade": "Z9"}, 'grade: "Z9" is not an Admiralty grade'),
        ({"source_reliability": "G"}, 'source_reliability: "G" is not A-F'),
        ({"source_reliability": "AB"}, 'source_reliability: "AB" is not A-F'),
        ({"information_credibility": 7}, "information_credibility: 7 is not 1-6"),
        ({"information_credibility": "x"}, 'information_credibility: "x" is not 1-6'),
        ({"verification_status": "rumour"}, 'verification_status: "rumour" is not one of'),
        ({"party": "Atlantis"}, 'party: unknown party "Atlantis"'),
        ({"evidence_urls": ["javascript:alert(1)"]}, 'evidence_urls: "javascript:alert(1)"'),
        ({"evidence_urls": {"a": 1}}, "evidence_urls: must be a list"),
        ({"evidence_urls": ["https://e.org/"] * 51}, "evidence_urls: must be a list of at most"),
        ({"description": "x" * 10_001}, "description: is 10001 characters long"),
        ({"place_name": ["a"]}, "place_name: must be text"),
        ({"place_name": "=cmd()"}, 'place_name: "=cmd()" looks like a spreadsheet formula'),
        ({"source": "+SUM(A1)"}, "looks like a spreadsheet formula"),
        ({"description": "@foo"}, "looks like a spreadsheet formula"),
        ({"description": '-HYPERLINK("http://x")'}, "looks like a spreadsheet formula"),
        ({"attributes": {"note": "=1+1"}}, 'attributes: "=1+1" looks like a spreadsheet'),
        ({"attributes": ["a"]}, "attributes: must be an object"),
        ({"attributes": {"blob": "x" * 20_001}}, "attributes: are longer than 20000"),
        ({"__error__": "each observation must be a JSON object"}, "row: each observation"),
    ],
)
def test_bad_value_names_the_field_and_the_problem(ctx, change, expected):
    row = {"kind": "incident", "occurred_at": WHEN, **change}
    row = {k: v for k, v in row.items() if v is not None}
    assert expected in _error(row, ctx)


@pytest.mark.parametrize("text", ["-5 shells", "- 3 km north", "Minus-sign free", "a=b"])
def test_text_that_only_resembles_a_formula_is_kept(ctx, text):
    assert (
        _values({"kind": "incident", "occurred_at": WHEN, "description": text}, ctx)["description"]
        == text
    )
