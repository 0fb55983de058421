"""An ingest announces each report it accepts (reports.signals.report_accepted) after the
commit, with the clauses and days it bears on; never under bulk_load, and a failing receiver
never fails the ingest."""

import datetime as dt

import pytest

from reports.ingest.announce import bulk_load
from reports.signals import report_accepted
from tests.reports.pipeline_support import State, _body, _ingest, _report

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    """What report_accepted carried, one dict per sending."""
    sent: list[dict] = []

    def listen(sender, **kwargs) -> None:
        sent.append(kwargs)

    report_accepted.connect(listen, dispatch_uid="test-listener")
    yield sent
    report_accepted.disconnect(dispatch_uid="test-listener")


def test_an_accepted_report_sends_its_clause_ids_and_days(
    world, observer_a, announced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payload = _ingest(_body(_report(3)), sender=observer_a)
        assert announced == []  # not before the commit

    assert payload.state == State.DONE
    assert announced == [
        {
            "signal": report_accepted,
            "report": payload.report,
            "clause_ids": [world.clause_a.pk],
            "since": dt.date(2025, 3, 1),
            "until": dt.date(2025, 3, 1),
        }
    ]


def test_a_correction_also_names_the_clauses_of_the_report_it_supersedes(
    world, observer_a, announced, django_capture_on_commit_callbacks
):
    world.mechanism_a.clauses.add(world.clause_b)
    with django_capture_on_commit_callbacks(execute=True):
        _ingest(_body(_report(2)), sender=observer_a)
    corrected = _report(2)
    for row in corrected["observations"]:
        row["clause"] = "2"
    with django_capture_on_commit_callbacks(execute=True):
        _ingest(_body(corrected), sender=observer_a)

    assert announced[-1]["clause_ids"] == sorted([world.clause_a.pk, world.clause_b.pk])


def test_nothing_is_announced_under_bulk_load(
    world, observer_a, announced, django_capture_on_commit_callbacks
):
    with bulk_load(), django_capture_on_commit_callbacks(execute=True):
        payload = _ingest(_body(_report(3)), sender=observer_a)

    assert payload.state == State.DONE
    assert announced == []


def test_a_failing_receiver_does_not_fail_the_ingest(
    world, observer_a, django_capture_on_commit_callbacks, caplog
):
    def broken(sender, **kwargs) -> None:
        raise RuntimeError("receiver bug")

    report_accepted.connect(broken, dispatch_uid="test-broken")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            payload = _ingest(_body(_report(3)), sender=observer_a)
    finally:
        report_accepted.disconnect(dispatch_uid="test-broken")

    payload.refresh_from_db()
    assert payload.state == State.DONE
    assert "receiver bug" in caplog.text
