"""Entry into force and deadlines at a time of day in the agreement's zone, the loader's keys
for them, and Minsk II's encoding checked against its text (notes, reference lines,
prerequisites)."""

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

import agreements
from agreements.loader import AgreementFileError, agreement_load_file, agreement_load_text
from agreements.models import Agreement, Clause, ClauseRevision, DateAnchor
from agreements.selectors import (
    agreement_in_force_at,
    clause_deadline_at,
    clauses_in_force,
    deadline_instant,
)
from monitor.services import rules_evaluate
from tests.factories import AgreementFactory, ClauseFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MINSK = Path(agreements.__file__).parent / "data" / "minsk-ii.yaml"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def minsk() -> Agreement:
    agreement_load_file(path=MINSK)
    return Agreement.objects.get(code="minsk-ii")


def _clause(ref: str) -> Clause:
    return Clause.objects.get(agreement__code="minsk-ii", reference=ref)


def _in_force(refs: set[str], as_of: dt.datetime) -> set[str]:
    clauses = Clause.objects.filter(agreement__code="minsk-ii", reference__in=refs)
    return set(clauses_in_force(clauses, as_of).values_list("reference", flat=True))


# --- entry into force -----------------------------------------------------------------------


def test_minsk_ii_enters_into_force_at_midnight_kyiv_time_which_is_2200_utc_the_day_before(
    minsk,
):
    assert minsk.time_zone == "Europe/Kyiv"
    assert minsk.in_force_time == dt.time(0, 0)
    assert agreement_in_force_at(minsk) == at(2015, 2, 14, 22, 0)


def test_minsk_ii_point_1_is_not_in_force_at_2159_utc_and_is_at_2200(minsk):
    assert _in_force({"1"}, at(2015, 2, 14, 21, 59)) == set()
    assert _in_force({"1"}, at(2015, 2, 14, 22, 0)) == {"1"}


def test_minsk_ii_binds_through_the_end_of_its_expiry_day_in_kyiv(minsk):
    assert _in_force({"1"}, at(2022, 2, 21, 21, 59)) == {"1"}  # 23:59 in Kyiv
    assert _in_force({"1"}, at(2022, 2, 21, 22, 0)) == set()  # 22 February there


def test_a_clause_start_is_reached_on_its_day_in_the_agreements_zone(minsk):
    # Point 2 starts on 17 February 2015 (the project's reading): 22:00 UTC on the 16th.
    assert _in_force({"2"}, at(2015, 2, 16, 21, 59)) == set()
    assert _in_force({"2"}, at(2015, 2, 16, 22, 0)) == {"2"}


def test_a_time_other_than_midnight_is_honoured_in_summer_and_winter():
    agreement = AgreementFactory(
        time_zone="Europe/Kyiv",
        signed_on=dt.date(2025, 1, 10),
        in_force_on=dt.date(2025, 1, 15),
        in_force_time=dt.time(12, 0),
    )
    clause = ClauseFactory(agreement=agreement, in_force_from=dt.date(2025, 1, 15))
    summer = AgreementFactory(
        time_zone="Europe/Kyiv", in_force_on=dt.date(2025, 7, 15), in_force_time=dt.time(12, 0)
    )
    ClauseFactory(agreement=summer, in_force_from=None)

    assert agreement_in_force_at(agreement) == at(2025, 1, 15, 10, 0)  # UTC+2 in winter
    assert agreement_in_force_at(summer) == at(2025, 7, 15, 9, 0)  # UTC+3 in summer
    in_force = clauses_in_force(Clause.objects.all(), at(2025, 1, 15, 9, 59))
    assert not in_force.exists()
    assert list(clauses_in_force(Clause.objects.all(), at(2025, 1, 15, 10, 0))) == [clause]
    assert clauses_in_force(Clause.objects.all(), at(2025, 7, 15, 9, 0)).count() == 2


def test_without_a_time_an_agreement_binds_from_the_start_of_its_day_in_its_zone():
    agreement = AgreementFactory(time_zone="Asia/Tokyo", in_force_on=dt.date(2025, 1, 15))
    ClauseFactory(agreement=agreement)

    assert agreement_in_force_at(agreement) == at(2025, 1, 14, 15, 0)
    assert not clauses_in_force(Clause.objects.all(), at(2025, 1, 14, 14, 59)).exists()
    assert clauses_in_force(Clause.objects.all(), at(2025, 1, 14, 15, 0)).exists()


def test_agreements_in_several_zones_are_checked_in_one_query(django_assert_num_queries):
    for zone in ("Europe/Kyiv", "Asia/Tokyo", "America/New_York", "UTC"):
        ClauseFactory(agreement=AgreementFactory(time_zone=zone))

    with django_assert_num_queries(2):  # the agreements, then the clauses
        refs = list(clauses_in_force(Clause.objects.all(), at(2025, 2, 1)).values("pk"))

    assert len(refs) == 4


# --- deadlines ------------------------------------------------------------------------------


def test_a_deadline_with_a_time_passes_at_that_time_in_the_agreements_zone():
    agreement = AgreementFactory(time_zone="Europe/Kyiv")
    clause = ClauseFactory(
        agreement=agreement,
        deadline_anchor=DateAnchor.FIXED,
        deadline=dt.date(2025, 2, 20),
        deadline_time=dt.time(18, 0),
    )

    assert clause_deadline_at(clause) == at(2025, 2, 20, 16, 0)


def test_a_deadline_without_a_time_passes_at_the_end_of_its_day_there():
    kyiv = dt.timezone(dt.timedelta(hours=2))
    assert deadline_instant(dt.date(2025, 2, 20), None, kyiv) == at(2025, 2, 20, 22, 0)
    assert deadline_instant(None, dt.time(12, 0), kyiv) is None


@pytest.mark.parametrize(
    ("deadline_time", "before", "after"),
    [
        (dt.time(18, 0), at(2025, 2, 20, 15, 59), at(2025, 2, 20, 16, 0)),
        (None, at(2025, 2, 20, 21, 59), at(2025, 2, 20, 22, 0)),
    ],
)
def test_deadline_missed_only_once_the_deadline_instant_has_passed(
    world, deadline_time, before, after
):
    world.agreement.time_zone = "Europe/Kyiv"
    world.agreement.save()
    clause = world.clause_b
    clause.deadline_anchor, clause.deadline = DateAnchor.FIXED, dt.date(2025, 2, 20)
    clause.deadline_time = deadline_time
    clause.save()

    def missed(as_of: dt.datetime) -> list:
        return rules_evaluate(
            as_of=as_of, known_at=as_of, rules=["clause.deadline_missed"]
        ).findings

    assert missed(before) == []
    [finding] = missed(after)
    assert finding.details["deadline_at"] == after.isoformat()
    if deadline_time:
        assert "20 February 2025 at 18:00 (Europe/Kyiv time)" in finding.explanation


# --- the loader -----------------------------------------------------------------------------

TIMED = """\
format: accord-monitor/agreement/v1
code: timed-accord
title: Timed accord
kind: ceasefire
signed_on: 2025-01-10
in_force_on: 2025-01-12
in_force_time: "06:00"
time_zone: Europe/Kyiv
parties:
  - {code: side-a, name: Side A, kind: belligerent, role: signatory}
clauses:
  - ref: "1"
    title: Withdrawal
    text: The sides withdraw.
    category: weapons_withdrawal
    deadline: 2025-01-20
    deadline_time: "18:30"
    notes: The project's reading.
"""


def test_times_zone_and_notes_load_and_reload_without_changes():
    result = agreement_load_text(text=TIMED, source="timed.yaml")
    agreement = Agreement.objects.get(code=result.agreement)
    clause = agreement.clauses.get()

    assert (agreement.in_force_time, agreement.time_zone) == (dt.time(6, 0), "Europe/Kyiv")
    assert (clause.deadline_time, clause.notes) == (dt.time(18, 30), "The project's reading.")
    again = agreement_load_text(text=TIMED, source="timed.yaml")
    assert not again.agreement_updated and again.revisions == 0


def test_a_changed_deadline_time_is_a_clause_revision():
    agreement_load_text(text=TIMED, source="timed.yaml")

    agreement_load_text(text=TIMED.replace('"18:30"', '"12:00"'), source="timed.yaml")

    assert ClauseRevision.objects.get().changes == {"deadline_time": ["18:30:00", "12:00:00"]}


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('in_force_time: "06:00"', "in_force_time: 12:30", 'put the time in quotes, e.g. "12:30"'),
        ('in_force_time: "06:00"', 'in_force_time: "6 am"', 'expected a time "HH:MM" (24-hour)'),
        ("time_zone: Europe/Kyiv", "time_zone: Europe/Kiev-Town", 'unknown time zone "Europe/Ki'),
        ('deadline_time: "18:30"', 'deadline_time: "24:00"', 'expected a time "HH:MM"'),
        ("    deadline: 2025-01-20\n", "", "deadline_time needs a deadline"),
    ],
)
def test_bad_times_and_zones_name_the_line_and_load_nothing(old, new, problem):
    assert TIMED.count(old) == 1

    with pytest.raises(AgreementFileError, match="timed.yaml line [0-9]+: ") as caught:
        agreement_load_text(text=TIMED.replace(old, new), source="timed.yaml")

    assert problem in str(caught.value)
    assert not Agreement.objects.exists()


def test_an_entry_time_without_a_date_is_refused():
    text = TIMED.replace("signed_on: 2025-01-10\n", "").replace("in_force_on: 2025-01-12\n", "")

    with pytest.raises(AgreementFileError, match="line 5: in_force_time needs the date"):
        agreement_load_text(text=text, source="timed.yaml")


# --- Minsk II against its text --------------------------------------------------------------


def test_minsk_ii_reloads_without_changes(minsk):
    result = agreement_load_file(path=MINSK)

    assert not result.agreement_updated and result.revisions == 0
    assert result.clauses_updated == result.clauses_created == 0


def test_minsk_ii_point_2_notes_say_where_the_texts_differ_and_which_reading_is_encoded(minsk):
    notes = _clause("2").notes

    assert '"on day 2 of the ceasefire"' in notes
    assert "не позднее второго дня после прекращения огня" in notes
    assert "The project's reading follows the Russian text" in notes
    assert (_clause("2").in_force_from, _clause("2").deadline) == (
        dt.date(2015, 2, 17),  # 2 days after the ceasefire's start, the Russian reading
        dt.date(2015, 3, 3),
    )


def test_minsk_ii_withdrawal_reference_lines_are_in_point_2_and_every_band(minsk):
    for ref in ("2", "2(a)", "2(b)", "2(c)"):
        text = _clause(ref).text
        assert "de facto line of contact" in text, ref
        assert "Minsk Memorandum" in text and "19 September 2014" in text, ref


def test_minsk_ii_point_4_encodes_the_dialogue_start_it_notes(minsk):
    point_4 = _clause("4")

    assert "The project's reading" in point_4.notes
    assert "в первый день после отвода" in point_4.notes
    assert point_4.start_anchor == DateAnchor.CLAUSE_DEADLINE
    assert point_4.start_anchor_clause == _clause("2")
    assert point_4.in_force_from == dt.date(2015, 3, 4)  # the day after the withdrawal's end


def test_minsk_ii_point_9_is_conditional_on_points_11_and_12(minsk):
    point_9 = _clause("9")

    assert set(point_9.prerequisites.values_list("reference", flat=True)) == {"11", "12"}
    assert "The project's reading" in point_9.notes
    prerequisites = Clause.prerequisites.through.objects.filter(
        from_clause__agreement__code="minsk-ii"
    )
    assert prerequisites.count() == 2  # point 9's are the only ones the text states


def test_every_note_of_minsk_ii_says_it_is_the_projects_reading(minsk):
    noted = Clause.objects.filter(agreement=minsk).exclude(notes="")

    assert set(noted.values_list("reference", flat=True)) == {"1", "2", "4", "9"}
    assert all("project's reading" in clause.notes for clause in noted)


# --- the admin ------------------------------------------------------------------------------


def test_the_admin_shows_the_zone_the_entry_time_the_deadline_time_and_the_notes(
    client_for, administrator, minsk
):
    client = client_for(administrator)

    page = client.get(reverse("admin:agreements_agreement_change", args=[minsk.pk]))
    clause_page = client.get(reverse("admin:agreements_clause_change", args=[_clause("2").pk]))

    assert page.status_code == clause_page.status_code == 200
    form = page.context["adminform"].form
    assert (form["time_zone"].value(), form["in_force_time"].value()) == (
        "Europe/Kyiv",
        dt.time(0, 0),
    )
    clause_form = clause_page.context["adminform"].form
    assert "deadline_time" in clause_form.fields
    assert "project's reading" in clause_form["notes"].value()


def test_the_admin_refuses_a_zone_that_does_not_exist(client_for, administrator, world):
    agreement = world.agreement
    data = {
        "code": agreement.code,
        "title": agreement.title,
        "kind": agreement.kind,
        "status": agreement.status,
        "signed_on": agreement.signed_on.isoformat(),
        "in_force_on": agreement.in_force_on.isoformat(),
        "time_zone": "Europe/Atlantis",
        "agreementparty_set-TOTAL_FORMS": "0",
        "agreementparty_set-INITIAL_FORMS": "0",
        "mechanisms-TOTAL_FORMS": "0",
        "mechanisms-INITIAL_FORMS": "0",
    }

    response = client_for(administrator).post(
        reverse("admin:agreements_agreement_change", args=[agreement.pk]), data
    )

    assert response.status_code == 200
    assert "is not a time zone name" in str(response.context["adminform"].form.errors)
    agreement.refresh_from_db()
    assert agreement.time_zone == "UTC"


def test_a_mechanism_is_active_from_its_first_day_in_the_agreements_zone(minsk):
    def unmonitored(as_of: dt.datetime) -> set[int]:
        found = rules_evaluate(
            as_of=as_of, agreement_codes=["minsk-ii"], rules=["clause.unmonitored"]
        )
        return {f.clause_id for f in found.findings}

    # The OSCE SMM's mandate starts on 15 February 2015, as the ceasefire does, in Kyiv time.
    assert _clause("1").pk not in unmonitored(at(2015, 2, 14, 22, 30))
