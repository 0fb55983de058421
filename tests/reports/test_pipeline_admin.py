"""Drafts entered in the admin go through the same pipeline."""

import datetime as dt

import pytest

from reports.models import (
    Channel,
    Report,
    ReportStatus,
)
from reports.services import report_submit
from tests.factories import (
    ObservationFactory,
    ReportFactory,
)
from tests.reports.pipeline_support import (
    END,
    START,
    State,
    _status_trail,
)

pytestmark = pytest.mark.django_db


# --- the admin path -----------------------------------------------------------------------


@pytest.fixture
def draft(world):
    return ReportFactory(
        mission=world.mission_a,
        external_id="A-DRAFT-1",
        period_start=START,
        period_end=END,
        title="Entered by hand",
    )


def test_admin_draft_is_accepted_through_the_pipeline(
    world, observer_a, draft, django_capture_on_commit_callbacks
):
    ObservationFactory(
        report=draft,
        clause=world.clause_a,
        occurred_at=START + dt.timedelta(hours=9),
        latitude=47.1,
        longitude=37.5,
        quantity=12,
        source_reliability="B",
        information_credibility=2,
    )
    ObservationFactory(report=draft, kind="information", occurred_at=START, place_name="HQ")

    with django_capture_on_commit_callbacks(execute=True):
        payload = report_submit(report=draft, by=observer_a)

    payload.refresh_from_db()
    draft.refresh_from_db()
    assert payload.channel == Channel.ADMIN
    assert payload.state == State.DONE, payload.errors
    assert payload.report_id == draft.pk
    assert draft.status == ReportStatus.ACCEPTED
    assert Report.objects.count() == 1
    assert _status_trail(draft) == [("draft", "submitted"), ("submitted", "accepted")]
    first, second = draft.observations.order_by("sequence")
    assert (first.clause, first.quantity, first.grade) == (world.clause_a, 12, "B2")
    assert (second.kind, second.place_name) == ("information", "HQ")


def test_admin_draft_with_invalid_observation_ends_rejected(
    world, observer_a, draft, django_capture_on_commit_callbacks
):
    ObservationFactory(report=draft, kind="compliance", clause=None, occurred_at=START)

    with django_capture_on_commit_callbacks(execute=True):
        payload = report_submit(report=draft, by=observer_a)

    payload.refresh_from_db()
    draft.refresh_from_db()
    assert payload.state == State.REJECTED
    assert payload.errors == [
        "row 1, clause: a compliance must name the clause (or a category to match it)"
    ]
    assert draft.status == ReportStatus.REJECTED
    assert _status_trail(draft) == [("draft", "submitted"), ("submitted", "rejected")]
    assert draft.observations.count() == 1  # the observer's entry is kept to fix


def test_resubmitted_draft_after_fix_is_accepted(
    world, observer_a, draft, django_capture_on_commit_callbacks
):
    observation = ObservationFactory(
        report=draft, kind="compliance", clause=None, occurred_at=START
    )
    with django_capture_on_commit_callbacks(execute=True):
        report_submit(report=draft, by=observer_a)
    draft.refresh_from_db()
    observation.clause = world.clause_a
    observation.save()

    with django_capture_on_commit_callbacks(execute=True):
        payload = report_submit(report=draft, by=observer_a)

    payload.refresh_from_db()
    draft.refresh_from_db()
    assert payload.state == State.DONE
    assert draft.status == ReportStatus.ACCEPTED
    assert draft.observations.get().clause == world.clause_a
