"""Loading agreements from YAML files: the shipped files, idempotency, history, bad files."""

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

import agreements
from agreements.loader import AgreementFileError, agreement_load_file, agreement_load_text
from agreements.models import (
    Agreement,
    AgreementParty,
    Area,
    Clause,
    ClauseRevision,
    Party,
    VerificationMechanism,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DATA = Path(agreements.__file__).parent / "data"
SHIPPED = sorted(DATA.glob("*.yaml"))
MINSK = DATA / "minsk-ii.yaml"

TABLES = [
    Agreement,
    AgreementParty,
    Party,
    Area,
    Clause,
    ClauseRevision,
    VerificationMechanism,
    Clause.obliged_parties.through,
    Clause.prerequisites.through,
    Clause.areas.through,
    VerificationMechanism.clauses.through,
]


def _snapshot() -> dict:
    """Every row of every table the loader writes, with its values."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in TABLES}


def _clause(code: str, ref: str) -> Clause:
    return Clause.objects.get(agreement__code=code, reference=ref)


def test_there_are_shipped_files():
    assert {path.stem for path in SHIPPED} >= {
        "minsk-ii",
        "black-sea-grain-initiative",
        "geneva-winter-summit",
        "istanbul-spring-dialogue",
        "vienna-summer-conference",
    }


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_each_shipped_file_loads(path):
    result = agreement_load_file(path=path)

    agreement = Agreement.objects.get(code=result.agreement)
    assert result.created
    assert result.clauses_created == agreement.clauses.count() > 0
    assert result.mechanisms_created == agreement.mechanisms.count()
    assert agreement.source_note


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_loading_same_file_twice_changes_nothing(path):
    agreement_load_file(path=path)
    before = _snapshot()

    result = agreement_load_file(path=path)

    assert _snapshot() == before  # no new rows, no revisions, updated_at untouched
    assert not result.created and not result.agreement_updated
    assert result.clauses_created == result.clauses_updated == 0
    assert result.clauses_unchanged == len(before["Clause"])
    assert result.mechanisms_created == result.mechanisms_updated == 0
    assert result.parties_created == result.parties_updated == 0
    assert result.revisions == 0


def test_shipped_files_agree_on_shared_parties_and_areas():
    for path in SHIPPED:
        agreement_load_file(path=path)
    before = _snapshot()

    results = [agreement_load_file(path=path) for path in SHIPPED]

    assert _snapshot() == before
    assert all(r.parties_updated == r.areas_updated == 0 for r in results)


def test_changed_file_updates_the_clause_in_place_and_records_a_revision(tmp_path):
    agreement_load_file(path=MINSK)
    point_11 = _clause("minsk-ii", "11")
    text = MINSK.read_text(encoding="utf-8")
    changed = text.replace(
        "      permanent legislation on their special status.\n",
        "      a permanent law on their special status.\n",
    ).replace(
        "    deadline: 2015-12-31\n    deadline_text: by the end of 2015\n",
        "    deadline: 2016-06-30\n    deadline_text: by the end of 2015\n",
    )
    assert changed.count("\n") == text.count("\n") and changed != text
    path = tmp_path / "minsk-ii.yaml"
    path.write_text(changed, encoding="utf-8")
    analyst = UserFactory(username="encoder")

    result = agreement_load_file(path=path, by=analyst)

    updated = _clause("minsk-ii", "11")
    assert updated.pk == point_11.pk
    assert updated.deadline == dt.date(2016, 6, 30)
    assert updated.text.endswith("a permanent law on their special status.")
    assert updated.updated_at > point_11.updated_at
    assert result.clauses_updated == 1 and result.revisions == 1
    revision = ClauseRevision.objects.get()
    assert revision.clause_id == point_11.pk
    assert revision.source == "minsk-ii.yaml"
    assert revision.changed_by == analyst
    assert revision.changes == {
        "text": [point_11.text, updated.text],
        "deadline": ["2015-12-31", "2016-06-30"],
    }


def test_moved_anchor_records_the_dates_of_dependent_clauses(tmp_path):
    agreement_load_file(path=MINSK)
    text = MINSK.read_text(encoding="utf-8").replace(
        'deadline: {after: clause_start, clause: "2", days: 14}',
        'deadline: {after: clause_start, clause: "2", days: 21}',
    )
    path = tmp_path / "minsk-ii.yaml"
    path.write_text(text, encoding="utf-8")

    agreement_load_file(path=path)

    point_6 = _clause("minsk-ii", "6")
    assert point_6.deadline == dt.date(2015, 3, 15)
    assert point_6.revisions.get().changes == {"deadline": ["2015-03-08", "2015-03-15"]}
    assert _clause("minsk-ii", "2").revisions.get().changes == {
        "deadline_offset_days": [14, 21],
        "deadline": ["2015-03-03", "2015-03-10"],
    }


def test_clause_removed_from_file_is_kept_and_reported(tmp_path):
    agreement_load_file(path=MINSK)
    text = MINSK.read_text(encoding="utf-8")
    start = text.index('  - ref: "13"')
    end = text.index("mechanisms:")
    path = tmp_path / "minsk-ii.yaml"
    path.write_text(text[:start] + text[end:].replace('covers: ["13"]', "covers: []"), "utf-8")

    result = agreement_load_file(path=path)

    assert result.missing_from_file == ["13"]
    assert _clause("minsk-ii", "13").mechanisms.count() == 0  # the file's set replaces it
    out = StringIO()
    call_command("load_agreement", str(path), stdout=out)
    assert "kept clauses not in the file: 13" in out.getvalue()


def test_clause_removed_from_file_still_follows_the_clause_it_counts_from(tmp_path):
    agreement_load_file(path=MINSK)
    text = MINSK.read_text(encoding="utf-8")
    start, end = text.index("  - ref: 2(c)"), text.index('  - ref: "3"')
    text = (
        (text[:start] + text[end:])
        .replace(", 2(c),", ",")
        .replace('clause: "2", days: 14}', 'clause: "2", days: 21}')
    )
    path = tmp_path / "minsk-ii.yaml"
    path.write_text(text, encoding="utf-8")

    result = agreement_load_file(path=path)

    assert result.missing_from_file == ["2(c)"]
    kept = _clause("minsk-ii", "2(c)")
    assert kept.deadline == dt.date(2015, 3, 10)
    assert kept.revisions.get().changes == {"deadline": ["2015-03-03", "2015-03-10"]}


def test_minsk_ii_dates_are_resolved_from_the_text():
    agreement_load_file(path=MINSK)

    assert _clause("minsk-ii", "1").in_force_from == dt.date(2015, 2, 15)
    assert _clause("minsk-ii", "2").in_force_from == dt.date(2015, 2, 17)
    assert _clause("minsk-ii", "2").deadline == dt.date(2015, 3, 3)
    assert _clause("minsk-ii", "3").in_force_from == dt.date(2015, 2, 17)
    assert _clause("minsk-ii", "4").deadline == dt.date(2015, 3, 14)
    assert _clause("minsk-ii", "6").deadline == dt.date(2015, 3, 8)
    assert _clause("minsk-ii", "9").deadline == dt.date(2015, 12, 31)
    assert _clause("minsk-ii", "11").deadline_text == "by the end of 2015"


def test_minsk_ii_mechanisms_cover_only_what_the_text_names():
    agreement_load_file(path=MINSK)

    for ref in ["4", "5", "6", "7", "8", "9", "11"]:
        assert not _clause("minsk-ii", ref).mechanisms.exists(), ref
    smm = VerificationMechanism.objects.get(agreement__code="minsk-ii", code="osce-smm")
    assert {"1", "2", "3", "10"} <= set(smm.clauses.values_list("reference", flat=True))
    assert smm.responsible_party.code == "osce"
    assert smm.reporting_interval == smm.grace == dt.timedelta(days=1)
    assert _clause("minsk-ii", "12").mechanisms.get().code == "osce-odihr"
    assert _clause("minsk-ii", "13").mechanisms.get().code == "tcg"


def test_minsk_ii_parties_keep_several_roles():
    agreement_load_file(path=MINSK)

    roles = AgreementParty.objects.filter(agreement__code="minsk-ii", party__code="osce")
    assert set(roles.values_list("role", flat=True)) == {"signatory", "mediator"}
    armed_group = Party.objects.get(code="certain-areas-donetsk-luhansk")
    assert armed_group.category == Party.Category.ARMED_GROUP


# A small valid file; each bad case below changes one line of its last clause.
GOOD = """\
format: accord-monitor/agreement/v1
code: test-accord
title: Test accord
kind: ceasefire
signed_on: 2025-01-10
parties:
  - code: side-a
    name: Side A
    kind: belligerent
    role: signatory
clauses:
  - ref: "1"
    title: Ceasefire
    text: The sides stop firing.
    category: ceasefire
    obliged: [side-a]
    starts: 2025-01-15
    deadline: {after: clause_start, clause: "1", days: 30}
  - ref: "2"
    title: Exchange
    text: The sides exchange prisoners.
    category: prisoner_exchange
    deadline: {after: clause_start, clause: "1", days: 5}
"""

BAD = {
    "yaml_syntax_error": (
        "    title: Exchange\n",
        "    title: Exchange: of prisoners\n",
        "YAML syntax error: mapping values are not allowed here",
    ),
    "unknown_key": (
        '    deadline: {after: clause_start, clause: "1", days: 5}\n',
        '    deadlin: {after: clause_start, clause: "1", days: 5}\n',
        'clause "2": unknown key "deadlin" (expected one of: ref, parent, title, text,',
    ),
    "unknown_category": (
        "    category: prisoner_exchange\n",
        "    category: exchange\n",
        'clause "2": unknown category "exchange" (expected one of: ceasefire, ',
    ),
    "parent_ref_missing": (
        "    category: prisoner_exchange\n",
        '    category: prisoner_exchange\n    parent: "9"\n',
        'clause "2": parent "9" is not declared in this file',
    ),
    "cycle_in_relative_deadlines": (
        '    deadline: {after: clause_start, clause: "1", days: 5}\n',
        '    deadline: {after: clause_deadline, clause: "2", days: 5}\n',
        'clause "2": deadline: dates count from each other in a cycle (2 deadline -> 2 deadline)',
    ),
    "bad_date": (
        '    deadline: {after: clause_start, clause: "1", days: 5}\n',
        "    deadline: 2025-02-30\n",
        'clause "2": deadline: bad date "2025-02-30"',
    ),
}


def _bad(case: str) -> tuple[str, int, str]:
    old, new, problem = BAD[case]
    assert GOOD.count(old) == 1
    text = GOOD.replace(old, new)
    line = text.splitlines().index(new.splitlines()[-1])
    return text, line + 1, problem


def test_the_good_file_loads():
    assert agreement_load_text(text=GOOD, source="test.yaml").clauses_created == 2


def test_cycle_through_two_clauses_names_the_clause_that_closes_it():
    text = GOOD.replace(
        'deadline: {after: clause_start, clause: "1", days: 30}',
        'deadline: {after: clause_deadline, clause: "2", days: 30}',
    ).replace('clause_start, clause: "1", days: 5', 'clause_deadline, clause: "1", days: 5')

    with pytest.raises(AgreementFileError) as caught:
        agreement_load_text(text=text, source="bad.yaml")

    assert str(caught.value) == (
        'bad.yaml line 23: clause "2": deadline: dates count from each other in a cycle '
        "(1 deadline -> 2 deadline -> 1 deadline)"
    )
    assert not Agreement.objects.exists()


@pytest.mark.parametrize("case", BAD)
def test_malformed_file_names_the_line_and_the_problem_and_loads_nothing(case):
    text, line, problem = _bad(case)

    with pytest.raises(AgreementFileError) as caught:
        agreement_load_text(text=text, source="bad.yaml")

    assert str(caught.value).startswith(f"bad.yaml line {line}: ")
    assert problem in str(caught.value)
    assert not Agreement.objects.exists()
    assert not Party.objects.exists()


def test_every_problem_in_a_file_is_reported_in_line_order():
    text = GOOD.replace("kind: ceasefire", "kind: truce").replace('  - ref: "2"', '  - rf: "2"')
    text = text.replace("category: prisoner_exchange", "category: exchange")

    with pytest.raises(AgreementFileError) as caught:
        agreement_load_text(text=text, source="bad.yaml")

    lines = [message.split(":")[0] for message in caught.value.errors]
    assert lines == sorted(lines, key=lambda s: int(s.split()[-1]))
    assert 'unknown kind "truce"' in str(caught.value)
    assert 'line 19: clause #2: unknown key "rf"' in str(caught.value)
    assert 'line 19: clause #2: missing key "ref"' in str(caught.value)
    assert 'unknown category "exchange"' in str(caught.value)


def test_unknown_key_suggests_the_close_one():
    text, line, _ = _bad("unknown_key")

    with pytest.raises(AgreementFileError, match=f'line {line}: .*did you mean "deadline"\\?'):
        agreement_load_text(text=text, source="bad.yaml")


def test_format_example_in_the_docs_loads():
    docs = Path(agreements.__file__).parent.parent / "docs" / "agreement-format.md"
    example = docs.read_text(encoding="utf-8").split("```yaml\n")[1].split("```")[0]

    result = agreement_load_text(text=example, source="agreement-format.md")

    assert result.clauses_created == 3
    assert _clause("example-ceasefire", "2").deadline == dt.date(2025, 1, 28)


def test_duplicate_keys_are_refused():
    text = GOOD.replace("    title: Exchange\n", "    title: Exchange\n    title: Swap\n")

    with pytest.raises(AgreementFileError, match=r'line 21: YAML syntax error: key "title"'):
        agreement_load_text(text=text, source="bad.yaml")


def test_undeclared_party_and_mechanism_clause_are_refused():
    text = GOOD.replace("obliged: [side-a]", "obliged: [side-a, side-b]") + (
        "mechanisms:\n"
        "  - code: monitors\n"
        "    name: Monitors\n"
        "    kind: observer_mission\n"
        '    covers: ["1", "7"]\n'
        "    reporting_interval: 1 day\n"
        "    grace: 0 hours\n"
    )

    with pytest.raises(AgreementFileError) as caught:
        agreement_load_text(text=text, source="bad.yaml")

    assert 'line 16: clause "1": obliged: party "side-b" is not declared' in str(caught.value)
    assert 'line 28: mechanism "monitors": covers: clause "7" is not declared' in str(caught.value)


def test_bad_geometry_is_refused():
    text = GOOD + "    geometry: {type: Polygon, coordinates: [[[30, 46], [31, 46], [31, 47]]]}\n"

    with pytest.raises(AgreementFileError, match="line 24: .*at least four positions"):
        agreement_load_text(text=text, source="bad.yaml")


def test_error_in_a_later_file_does_not_undo_an_earlier_one(tmp_path):
    bad, _, _ = _bad("unknown_category")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")

    with pytest.raises(CommandError):
        call_command("load_agreement", str(MINSK), str(tmp_path / "bad.yaml"), stdout=StringIO())

    assert list(Agreement.objects.values_list("code", flat=True)) == ["minsk-ii"]


def test_command_prints_one_line_per_file():
    out = StringIO()

    call_command("load_agreement", *map(str, SHIPPED), stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == len(SHIPPED)
    assert any("minsk-ii created; clauses 16 new" in line for line in lines)


def test_command_exits_non_zero_with_the_message_on_a_bad_file(tmp_path):
    text, line, problem = _bad("unknown_category")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CommandError) as caught:
        call_command("load_agreement", str(path), stdout=StringIO())

    assert str(caught.value).startswith(f"bad.yaml line {line}: ")
    assert problem in str(caught.value)


def test_missing_file_is_a_file_error(tmp_path):
    with pytest.raises(AgreementFileError, match="nothing.yaml: cannot read the file"):
        agreement_load_file(path=tmp_path / "nothing.yaml")


ROUNDS = ["geneva-winter-summit", "istanbul-spring-dialogue", "vienna-summer-conference"]


@pytest.mark.parametrize("code", ROUNDS)
def test_the_2026_rounds_say_they_are_not_official_texts(code):
    result = agreement_load_file(path=DATA / f"{code}.yaml")

    agreement = Agreement.objects.get(code=result.agreement)
    assert "not an official text" in agreement.source_note
    assert Clause.objects.filter(agreement=agreement, mechanisms__isnull=True).exists()


def test_vienna_phase_2_waits_for_the_verified_phase_1():
    agreement_load_file(path=DATA / "vienna-summer-conference.yaml")

    guarantee = _clause("vienna-summer-conference", "2.1")
    assert guarantee.phase == 2
    assert set(guarantee.prerequisites.values_list("reference", flat=True)) == {"1.1", "1.2"}
    consultation = VerificationMechanism.objects.get(code="osce-consultation")
    assert list(consultation.clauses.values_list("reference", flat=True)) == ["1.1"]
