"""monitor listens to reports: an accepted report becomes an evaluation request."""

import datetime as dt
import logging

import pytest

from monitor import evaluation_queue, receivers
from monitor.models import EvaluationRequest
from reports.models import Report
from reports.signals import report_accepted
from tests.factories import ReportFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 3, 1)


@pytest.fixture(autouse=True)
def rung(monkeypatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(
        evaluation_queue, "evaluation_ring", lambda *, agreement_id: calls.append(agreement_id)
    )
    return calls


def _announce(report: Report, clause_ids: list[int]) -> None:
    report_accepted.send(
        sender=Report, report=report, clause_ids=clause_ids, since=DAY, until=DAY + dt.timedelta(1)
    )


def test_an_accepted_report_records_an_evaluation_request(world):
    _announce(ReportFactory(mission=world.mission_a), [world.clause_a.pk])

    request = EvaluationRequest.objects.get()
    assert request.agreement == world.agreement
    assert request.state == EvaluationRequest.State.PENDING
    assert request.clause_ids == [world.clause_a.pk]
    assert (request.since, request.until) == (DAY, DAY + dt.timedelta(1))


def test_a_report_without_clauses_requests_nothing(world):
    _announce(ReportFactory(mission=world.mission_a), [])

    assert not EvaluationRequest.objects.exists()


def test_a_failed_request_is_logged_and_not_raised(world, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(receivers, "evaluation_request", broken)
    with caplog.at_level(logging.WARNING, logger="monitor.receivers"):
        _announce(ReportFactory(mission=world.mission_a), [world.clause_a.pk])

    assert "could not request rule evaluation" in caplog.text
