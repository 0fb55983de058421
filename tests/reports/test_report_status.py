"""Every status change of a report goes through report_set_status: the transition map, one
row of history per change, nothing written for a refused one."""

import pytest
from django.core.exceptions import ValidationError

from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_replay
from reports.models import InboundPayload, ReportStatus, ReportStatusChange
from reports.parsers import PARSERS, PayloadProblem
from reports.services import report_set_status, report_submit
from tests.factories import ObservationFactory, ReportFactory
from tests.reports.pipeline_support import (
    END,
    START,
    State,
    _body,
    _ingest,
    _report,
    _status_trail,
)

pytestmark = pytest.mark.django_db


def test_an_allowed_transition_writes_one_history_row(world, observer_a):
    report = ReportFactory(mission=world.mission_a, status=ReportStatus.SUBMITTED)

    report_set_status(report=report, status=ReportStatus.REJECTED, by=observer_a, note="bad")

    report.refresh_from_db()
    assert report.status == ReportStatus.REJECTED
    history = ReportStatusChange.objects.filter(report=report)
    assert list(history.values_list("from_status", "to_status", "changed_by", "note")) == [
        ("submitted", "rejected", observer_a.pk, "bad")
    ]


def test_a_forbidden_transition_raises_and_writes_nothing(world, observer_a):
    report = ReportFactory(mission=world.mission_a, status=ReportStatus.ACCEPTED)

    with pytest.raises(ValidationError, match="cannot become draft"):
        report_set_status(report=report, status=ReportStatus.DRAFT, by=observer_a)

    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED
    assert not ReportStatusChange.objects.filter(report=report).exists()


@pytest.fixture
def rejected_draft(world, observer_a, monkeypatch, django_capture_on_commit_callbacks):
    """A draft submitted in the admin whose payload was rejected (its file could not be read)."""
    draft = ReportFactory(
        mission=world.mission_a, external_id="A-0001", period_start=START, period_end=END
    )
    ObservationFactory(report=draft, clause=world.clause_a, occurred_at=START)

    def unreadable(source, params):
        raise PayloadProblem("unreadable")

    with monkeypatch.context() as patch, django_capture_on_commit_callbacks(execute=True):
        patch.setitem(PARSERS, "json", unreadable)
        payload = report_submit(report=draft, by=observer_a)
    draft.refresh_from_db()
    assert draft.status == ReportStatus.REJECTED
    return draft, payload


def test_a_correction_supersedes_a_rejected_admin_draft(world, observer_a, rejected_draft):
    draft, _ = rejected_draft

    payload = _ingest(_body(_report(2)), sender=observer_a)

    assert payload.state == State.DONE, payload.errors
    draft.refresh_from_db()
    assert draft.status == ReportStatus.SUPERSEDED
    assert _status_trail(draft)[-1] == ("rejected", "superseded")
    assert payload.report.supersedes == draft


def test_a_replayed_payload_of_a_rejected_draft_accepts_the_draft(rejected_draft):
    draft, payload = rejected_draft

    payload_replay(payload=InboundPayload.objects.get(pk=payload.pk))
    assert payload_ingest(payload_id=payload.pk) == State.DONE

    draft.refresh_from_db()
    assert draft.status == ReportStatus.ACCEPTED
    assert _status_trail(draft) == [
        ("draft", "submitted"),
        ("submitted", "rejected"),
        ("rejected", "accepted"),
    ]
    assert draft.ledger_seq is not None
