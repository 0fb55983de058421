"""Parties from data: an actor in any of its party's spellings and languages becomes that
party, an unknown one is kept as text where the profile says so, a row that states only its
area of control is attributed through the agreement's areas of control; and the agreement
files that carry the aliases and areas load and reload."""

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

import agreements
from agreements.loader import AgreementFileError, agreement_load_file, agreement_load_text
from agreements.models import ControlArea, Party, VerificationMechanism
from reports.ingest.rows import RowContext, RowError, validate_row
from reports.ledger import ledger_verify
from reports.models import Observation
from reports.profiles.registry import profile_params
from reports.profiles.spec import from_mapping
from tests.reports.pipeline_support import State, _ingest

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
MINSK = Path(agreements.__file__).parent / "data" / "minsk-ii.yaml"
CERTAIN_AREAS = "certain-areas-donetsk-luhansk"


@pytest.fixture
def minsk(world, observer_a):
    """Mission A also watches Minsk II through the OSCE monitoring mission."""
    agreement_load_file(path=MINSK)
    smm = VerificationMechanism.objects.get(agreement__code="minsk-ii", code="osce-smm")
    world.mission_a.mechanisms.add(smm)
    return world


def _import(name: str, sender, **profile) -> object:
    params = {"mission": "mission-a", "external_id": name, "agreement": "minsk-ii"}
    if profile:
        params = profile_params(params, from_mapping(profile))
    return _ingest((DATA / name).read_bytes(), sender=sender, fmt="csv", params=params)


def _parties() -> dict[str, tuple[str | None, str]]:
    rows = Observation.objects.select_related("party")
    return {o.attributes["event_id"]: (o.party and o.party.code, o.actor) for o in rows}


def test_actors_in_variant_spellings_and_languages_are_one_party(minsk, observer_a):
    payload = _import("parties_actors.csv", observer_a, unknown_parties="keep")

    assert payload.state == State.DONE, payload.errors
    parties = _parties()
    assert Counter(code for code, _ in parties.values()) == {
        "ukraine": 6,
        CERTAIN_AREAS: 5,
        None: 1,
    }
    # The actor is kept as the source wrote it, matched or not.
    assert parties["P-5"] == ("ukraine", "Збройні  сили України")
    assert parties["P-9"] == (CERTAIN_AREAS, "Donetsk People’s Republic")
    assert parties["P-12"] == (None, "Unidentified armed group")
    assert ledger_verify() == []


def test_an_unknown_actor_is_refused_unless_the_profile_keeps_it(minsk, observer_a):
    payload = _import("parties_actors.csv", observer_a)

    assert payload.state == State.REJECTED
    assert payload.errors == ['row 13, party: unknown party "Unidentified armed group"']
    assert not Observation.objects.exists()


def _ctx(world, **options) -> RowContext:
    return RowContext.load(mission=world.mission_a, agreement_code="minsk-ii", tz=dt.UTC, **options)


def _row(**fields) -> dict:
    return {"kind": "violation", "clause": "1", "occurred_at": "2016-03-02T08:00:00Z", **fields}


def test_row_context_keeps_an_unknown_actor_as_text_when_told(minsk):
    kept = validate_row(_row(party="Unknown gunmen"), _ctx(minsk, unknown_parties="keep"))

    assert (kept.party_id, kept.actor) == (None, "Unknown gunmen")
    with pytest.raises(RowError, match='party: unknown party "Unknown gunmen"'):
        validate_row(_row(party="Unknown gunmen"), _ctx(minsk))


def test_a_name_two_parties_share_names_neither(minsk):
    Party.objects.filter(code="russia").update(aliases=["Russia", "the other side"])
    Party.objects.filter(code="ukraine").update(aliases=["Ukraine", "the other side"])

    with pytest.raises(RowError, match='"The other side" is a name of both Russian Federation '):
        validate_row(_row(party="The other side"), _ctx(minsk, unknown_parties="keep"))


def test_a_row_with_only_its_area_of_control_is_attributed_to_that_side(minsk, observer_a):
    payload = _import(
        "parties_control_areas.csv", observer_a, columns={"area of control": "control_area"}
    )

    assert payload.state == State.DONE, payload.errors
    assert {key: code for key, (code, _) in _parties().items()} == {
        "C-1": "ukraine",
        "C-2": "ukraine",
        "C-3": CERTAIN_AREAS,
        "C-4": CERTAIN_AREAS,
        "C-5": CERTAIN_AREAS,
    }
    stored = Observation.objects.get(attributes__event_id="C-2")
    assert (stored.actor, stored.attributes["control_area"]) == ("", "GCA")


def test_an_unknown_area_of_control_is_a_row_error_unless_kept(minsk):
    row = _row(control_area="the grey zone")

    with pytest.raises(RowError) as refused:
        validate_row(row, _ctx(minsk))
    kept = validate_row(row, _ctx(minsk, unknown_parties="keep"))

    assert str(refused.value) == (
        'control_area: unknown area of control "the grey zone" for minsk-ii (known: areas not '
        "controlled by the government; government-controlled areas)"
    )
    assert (kept.party_id, kept.attributes["control_area"]) == (None, "the grey zone")


def test_a_party_named_wins_over_the_area_of_control(minsk):
    row = validate_row(_row(party="Russia", control_area="GCA"), _ctx(minsk))

    assert row.party_id == Party.objects.get(code="russia").pk


@pytest.fixture
def actors(minsk, observer_a):
    payload = _import("parties_actors.csv", observer_a, unknown_parties="keep")
    assert payload.state == State.DONE, payload.errors


def test_analysts_find_the_unattributed_rows_and_an_actor_in_the_api(actors, client_for, analyst):
    client = client_for(analyst)

    unattributed = client.get("/api/v1/observations/", {"unattributed": "true"}).json()
    by_actor = client.get("/api/v1/observations/", {"actor": "dpr"}).json()

    assert [(o["actor"], o["party"]) for o in unattributed["results"]] == [
        ("Unidentified armed group", None)
    ]
    assert [(o["actor"], o["party"]) for o in by_actor["results"]] == [("DPR", CERTAIN_AREAS)]


def test_the_admin_list_narrows_to_unattributed_rows(actors, client_for, analyst):
    page = client_for(analyst).get("/admin/reports/observation/", {"unattributed": "true"})

    assert "— (Unidentified armed group)" in page.content.decode()
    assert "(ЗСУ)" not in page.content.decode()


# --- the agreement files --------------------------------------------------------------------


def test_minsk_ii_loads_its_aliases_and_areas_of_control_and_reloads_unchanged(db):
    first = agreement_load_file(path=MINSK)
    again = agreement_load_file(path=MINSK)

    ukraine = Party.objects.get(code="ukraine")
    assert {"Armed Forces of Ukraine", "ЗСУ", "Вооружённые силы Украины"} <= set(ukraine.aliases)
    assert {"DPR", "ЛНР"} <= set(Party.objects.get(code=CERTAIN_AREAS).aliases)
    areas = ControlArea.objects.filter(agreement__code="minsk-ii").order_by("name")
    assert [(a.name, a.party.code) for a in areas] == [
        ("areas not controlled by the government", CERTAIN_AREAS),
        ("government-controlled areas", "ukraine"),
    ]
    assert "NGCA" in areas[0].aliases
    assert (first.control_areas_changed, again.control_areas_changed) == (2, 0)
    assert again.parties_updated == 0


def test_a_changed_file_replaces_the_areas_of_control(db):
    text = MINSK.read_text(encoding="utf-8")
    agreement_load_text(text=text, source="minsk-ii.yaml")
    start = text.index("  - name: areas not controlled by the government")
    end = text.index("\nclauses:")
    changed = text[:start] + text[end:]
    changed = changed.replace('aliases: ["GCA",', 'aliases: ["GCA", "GCAs",')

    result = agreement_load_text(text=changed, source="minsk-ii.yaml")

    areas = ControlArea.objects.filter(agreement__code="minsk-ii")
    assert [a.name for a in areas] == ["government-controlled areas"]
    assert "GCAs" in areas[0].aliases
    assert result.control_areas_changed == 2  # one updated, one gone


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "    party: certain-areas-donetsk-luhansk\n",
            "    party: novorossiya\n",
            'area of control "areas not controlled by the government": party: party '
            '"novorossiya" is not declared in this file',
        ),
        (
            'aliases: ["Russia",',
            'aliases: ["Russia", "AFU",',
            'party "russia": "AFU" is also a name of party "ukraine"',
        ),
        (
            'aliases: ["NGCA",',
            'aliases: ["NGCA", "G.C.A.",',
            'area of control "areas not controlled by the government": "G.C.A." is also a name '
            'of area of control "government-controlled areas"',
        ),
    ],
)
def test_a_file_whose_names_are_ambiguous_or_undeclared_loads_nothing(db, old, new, problem):
    text = MINSK.read_text(encoding="utf-8")
    assert old in text

    with pytest.raises(AgreementFileError) as refused:
        agreement_load_text(text=text.replace(old, new, 1), source="minsk-ii.yaml")

    assert problem in str(refused.value)
    assert not ControlArea.objects.exists()
