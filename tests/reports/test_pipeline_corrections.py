"""Replays, corrections, clause matching and header checks of the ingest pipeline."""

import json

import pytest

from reports.models import (
    Observation,
    Report,
    ReportStatus,
)
from tests.factories import (
    AgreementFactory,
    AreaFactory,
    ClauseFactory,
    ReportFactory,
)
from tests.reports.pipeline_support import (
    END,
    START,
    State,
    _body,
    _ingest,
    _observation,
    _report,
    _status_trail,
)

pytestmark = pytest.mark.django_db


# --- replays and corrections --------------------------------------------------------------


def test_replaying_identical_bytes_changes_nothing(world, observer_a):
    body = _body(_report(3))
    first = _ingest(body, sender=observer_a)
    second = _ingest(body, sender=observer_a)

    assert second.pk != first.pk
    assert second.state == State.DONE
    assert second.result == {
        "report_id": first.report_id,
        "revision": 1,
        "observations": 3,
        "duplicate": True,
    }
    assert second.report_id == first.report_id
    assert Report.objects.count() == 1
    assert Observation.objects.count() == 3


def test_same_content_reserialised_changes_nothing(world, observer_a):
    document = _report(3)
    first = _ingest(_body(document), sender=observer_a)
    reordered = {key: document[key] for key in reversed(list(document))}
    reordered["observations"] = [dict(reversed(list(o.items()))) for o in document["observations"]]
    body = json.dumps(reordered, indent=4, sort_keys=False).encode()
    assert body != _body(document)

    second = _ingest(body, sender=observer_a)

    assert second.state == State.DONE
    assert second.result["duplicate"] is True
    assert second.report_id == first.report_id
    report = Report.objects.get()
    assert (report.revision, report.status) == (1, ReportStatus.ACCEPTED)
    assert Observation.objects.count() == 3
    assert _status_trail(report) == [("", "submitted"), ("submitted", "accepted")]


def test_same_external_id_with_new_content_is_a_correction(world, observer_a):
    first = _ingest(_body(_report(3)), sender=observer_a)
    corrected = _report(2)
    corrected["observations"][0]["quantity"] = 40

    second = _ingest(_body(corrected), sender=observer_a)

    assert second.state == State.DONE
    r1, r2 = first.report, second.report
    r1.refresh_from_db()
    assert (r2.revision, r2.status, r2.supersedes) == (2, ReportStatus.ACCEPTED, r1)
    assert second.result["supersedes"] == r1.pk
    assert r1.status == ReportStatus.SUPERSEDED
    assert _status_trail(r1)[-1] == ("accepted", "superseded")
    assert r1.observations.count() == 3
    assert r2.observations.count() == 2
    assert Observation.objects.count() == 5


def test_corrected_title_alone_is_a_new_revision(world, observer_a):
    first = _ingest(_body(_report(3)), sender=observer_a)
    second = _ingest(_body(_report(3, title="Daily report (corrected)")), sender=observer_a)
    assert second.result.get("duplicate") is None
    assert second.report.revision == 2
    assert second.report.title == "Daily report (corrected)"
    first.report.refresh_from_db()
    assert first.report.status == ReportStatus.SUPERSEDED


def test_a_third_revision_supersedes_the_second(world, observer_a):
    reports = [_ingest(_body(_report(n)), sender=observer_a).report for n in (1, 2, 3)]
    assert [r.revision for r in reports] == [1, 2, 3]
    assert Report.objects.filter(status=ReportStatus.SUPERSEDED).count() == 2
    assert reports[2].supersedes == reports[1]


def test_external_id_of_a_draft_in_the_admin_is_refused(world, observer_a):
    ReportFactory(mission=world.mission_a, external_id="A-0001", period_start=START, period_end=END)
    payload = _ingest(_body(_report(1)), sender=observer_a)
    assert payload.state == State.REJECTED
    assert 'report "A-0001" is a draft report in the admin' in payload.errors[0]


# --- clauses, missions and headers --------------------------------------------------------


@pytest.fixture
def ceasefire_by_area(world):
    donetsk = AreaFactory(code="donetsk", name="Donetsk")
    world.clause_a.areas.set([donetsk])
    clause_4 = ClauseFactory(agreement=world.agreement, reference="4", title="Ceasefire east")
    clause_4.areas.set([AreaFactory(code="luhansk", name="Luhansk")])
    world.mechanism_a.clauses.add(clause_4)
    return clause_4


def _by_category(**extra) -> dict:
    row = _observation(1, category="ceasefire", **extra)
    del row["clause"]
    return row


def test_clause_is_found_by_category_and_area(world, observer_a, ceasefire_by_area):
    document = _report(0, observations=[_by_category(admin_area="Donetsk")])
    payload = _ingest(_body(document), sender=observer_a)
    assert payload.state == State.DONE, payload.errors
    observation = Observation.objects.get()
    assert observation.clause == world.clause_a
    assert observation.area.code == "donetsk"


def test_ambiguous_category_is_a_row_error(world, observer_a, ceasefire_by_area):
    # Without coordinates: those of _observation lie in Donetsk oblast and would decide.
    nowhere = _by_category(latitude=None, longitude=None)
    document = _report(0, observations=[_by_category(admin_area="Donetsk"), nowhere])
    payload = _ingest(_body(document), sender=observer_a)
    assert payload.state == State.REJECTED
    assert payload.errors == [
        'row 2, clause: category "ceasefire" matches 2 clauses here; give the clause reference'
    ]


def test_clause_of_another_agreement_is_refused(world, observer_a):
    other = AgreementFactory(code="other-accord")
    ClauseFactory(agreement=other, reference="1")
    document = _report(1)
    document["observations"][0].update(clause="1", agreement="other-accord")
    payload = _ingest(_body(document), sender=observer_a)
    assert payload.state == State.REJECTED
    assert payload.errors == [
        'row 1, agreement: "other-accord" is not an agreement mission mission-a monitors'
    ]


def test_observer_cannot_file_for_a_mission_they_are_not_in(world, observer_a):
    payload = _ingest(_body(_report(1, mission="mission-b")), sender=observer_a)
    assert payload.state == State.REJECTED
    assert payload.errors == ['header, mission: you are not a member of mission "mission-b"']
    assert Report.objects.count() == 0


def test_report_naming_another_mission_than_the_upload_is_refused(world, observer_a):
    payload = _ingest(_body(_report(1, mission="mission-b")), sender=None, mission=world.mission_a)
    assert payload.state == State.REJECTED
    assert "was sent for" in payload.errors[0]


def test_inactive_mission_is_refused(world, observer_a):
    world.mission_a.is_active = False
    world.mission_a.save()
    payload = _ingest(_body(_report(1)), sender=observer_a)
    assert payload.errors == ['header, mission: mission "mission-a" is not active']


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"timezone": "Mars/Olympus"}, 'header, timezone: unknown time zone "Mars/Olympus"'),
        ({"external_id": "x" * 121}, "header, external_id: longer than 120 characters"),
        ({"external_id": {"a": 1}}, "header, external_id: must be text"),
        ({"period": {"start": "2025-03-02", "end": "2025-03-01"}}, "the end is before the start"),
        ({"period": {"start": "soon"}}, "header, period_start: "),
    ],
)
def test_bad_header_value_is_rejected(world, observer_a, change, expected):
    payload = _ingest(_body(_report(1, **change)), sender=observer_a)
    assert payload.state == State.REJECTED
    assert expected in payload.errors[0]
