"""Evaluation requests: a burst of ingests for one agreement is one pending request and one
run over the union of their clauses; the task queue only rings."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from monitor import evaluation_queue, tasks
from monitor.evaluation_queue import (
    evaluation_request,
    evaluation_request_run,
    evaluation_requests_requeue,
)
from monitor.models import Alert, ClauseDay, EvaluationRequest, EvaluationRun
from reports.ingest.receive import payload_receive
from reports.models import Channel, InboundPayload
from tests.factories import AgreementFactory, ClauseFactory

State = EvaluationRequest.State
FIRST_DAY = timezone.now().date() - dt.timedelta(days=15)  # within the rules' window


@pytest.fixture
def covered(world):
    """Mission A watches clauses 1 and 2."""
    world.mechanism_a.clauses.add(world.clause_b)
    return world


@pytest.fixture
def rung(monkeypatch) -> list[int]:
    """The doorbells rung, instead of ringing them."""
    calls: list[int] = []
    monkeypatch.setattr(
        evaluation_queue, "evaluation_ring", lambda *, agreement_id: calls.append(agreement_id)
    )
    return calls


def file_report(n: int, clause: str, sender, capture) -> InboundPayload:
    """A daily report through the whole path: stored, enqueued and ingested on commit (the
    tasks run in-process here), then the evaluation requested on the ingest's commit."""
    day = FIRST_DAY + dt.timedelta(days=n)
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    document = {
        "mission": "mission-a",
        "external_id": f"A-{n}",
        "period": {"start": start.isoformat(), "end": (start + dt.timedelta(days=1)).isoformat()},
        "observations": [
            {
                "kind": "violation",
                "clause": clause,
                "occurred_at": (start + dt.timedelta(hours=10)).isoformat(),
                "place_name": "Checkpoint",
            }
        ],
    }
    with capture(execute=True):
        payload = payload_receive(
            body=json.dumps(document).encode(),
            content_type="application/json",
            format="json",
            channel=Channel.API,
            sender=sender,
        ).payload
    payload.refresh_from_db()
    assert payload.state == InboundPayload.State.DONE, payload.errors
    return payload


def test_a_burst_of_ingests_for_one_agreement_is_one_pending_request(
    covered, observer_a, rung, django_capture_on_commit_callbacks
):
    for n in range(12):
        file_report(n, "1" if n % 3 else "2", observer_a, django_capture_on_commit_callbacks)

    request = EvaluationRequest.objects.get()
    assert request.state == State.PENDING
    assert request.requests == 12
    assert request.clause_ids == sorted([covered.clause_a.pk, covered.clause_b.pk])
    assert (request.since, request.until) == (FIRST_DAY, FIRST_DAY + dt.timedelta(days=11))
    assert rung == [covered.agreement.pk]  # one doorbell for the whole burst
    assert not EvaluationRun.objects.exists()


def test_one_run_evaluates_the_union_of_the_requested_clauses(
    covered, observer_a, rung, django_capture_on_commit_callbacks
):
    for n in range(6):
        file_report(n, "1" if n % 2 else "2", observer_a, django_capture_on_commit_callbacks)

    result = tasks.evaluation_request_run.apply(args=[covered.agreement.pk])

    assert result.successful(), result.traceback
    run = EvaluationRun.objects.get()
    assert run.trigger == EvaluationRun.Trigger.INGEST
    assert run.summary["requests"] == 6
    assert set(run.summary["clause_ids"]) == {covered.clause_a.pk, covered.clause_b.pk}
    assert set(
        Alert.objects.filter(rule="clause.violation_recorded").values_list("clause_id", flat=True)
    ) == {covered.clause_a.pk, covered.clause_b.pk}
    assert ClauseDay.objects.filter(agreement=covered.agreement).count() == 6
    assert not EvaluationRequest.objects.exists()
    assert rung == [covered.agreement.pk]  # nothing new arrived: no further ring

    assert tasks.evaluation_request_run.apply(args=[covered.agreement.pk]).result is None
    assert EvaluationRun.objects.count() == 1  # a second doorbell finds nothing to do


def test_requests_during_a_run_form_the_next_pending_request(
    covered, rung, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        evaluation_request(clause_ids=[covered.clause_a.pk])
    real_run = evaluation_queue.rules_run
    seen = {}

    def run_while_requests_arrive(**kwargs):
        evaluation_request(clause_ids=[covered.clause_b.pk])
        evaluation_request(clause_ids=[covered.clause_unmonitored.pk])
        # A second doorbell for the agreement while this run holds it: no second run.
        seen["second"] = evaluation_request_run(agreement_id=covered.agreement.pk)
        return real_run(**kwargs)

    monkeypatch.setattr(evaluation_queue, "rules_run", run_while_requests_arrive)
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation_request_run(agreement_id=covered.agreement.pk)

    assert run.summary["clause_ids"] == [covered.clause_a.pk]
    assert seen["second"] is None
    waiting = EvaluationRequest.objects.get()
    assert waiting.state == State.PENDING
    assert waiting.requests == 2
    assert waiting.clause_ids == sorted([covered.clause_b.pk, covered.clause_unmonitored.pk])
    # Rung when it formed, and again by the run that ended with it waiting.
    assert rung == [covered.agreement.pk] * 3


@pytest.mark.parametrize(("lease_left", "rings"), [(60, 0), (-60, 1)])
def test_a_new_request_rings_only_when_no_run_holds_the_agreement(
    covered, rung, django_capture_on_commit_callbacks, lease_left, rings
):
    now = timezone.now()
    EvaluationRequest.objects.create(
        agreement=covered.agreement,
        state=State.RUNNING,
        clause_ids=[covered.clause_a.pk],
        requested_at=now,
        claimed_at=now,
        lease_until=now + dt.timedelta(seconds=lease_left),
    )

    with django_capture_on_commit_callbacks(execute=True):
        evaluation_request(clause_ids=[covered.clause_b.pk])

    # A live run rings for it when it ends; a run whose lease ran out will not.
    assert rung == [covered.agreement.pk] * rings
    assert EvaluationRequest.objects.filter(state=State.PENDING).count() == 1


def test_a_failed_run_puts_its_clauses_back_in_the_queue(covered, rung, monkeypatch):
    evaluation_request(clause_ids=[covered.clause_a.pk], since=FIRST_DAY, until=FIRST_DAY)

    def failing(**kwargs):
        evaluation_request(clause_ids=[covered.clause_b.pk], since=FIRST_DAY, until=FIRST_DAY)
        raise RuntimeError("database went away")

    monkeypatch.setattr(evaluation_queue, "rules_run", failing)
    with pytest.raises(RuntimeError):
        evaluation_request_run(agreement_id=covered.agreement.pk)

    waiting = EvaluationRequest.objects.get()
    assert waiting.state == State.PENDING
    assert waiting.clause_ids == sorted([covered.clause_a.pk, covered.clause_b.pk])
    assert waiting.requests == 2


def test_requests_are_coalesced_per_agreement(covered, rung, django_capture_on_commit_callbacks):
    other = AgreementFactory(code="other-accord")
    elsewhere = ClauseFactory(agreement=other, reference="1")

    with django_capture_on_commit_callbacks(execute=True):
        agreements = evaluation_request(clause_ids=[covered.clause_a.pk, elsewhere.pk])
        evaluation_request(clause_ids=[elsewhere.pk, covered.clause_b.pk])

    assert agreements == sorted([covered.agreement.pk, other.pk])
    assert dict(EvaluationRequest.objects.values_list("agreement_id", "requests")) == {
        covered.agreement.pk: 2,
        other.pk: 2,
    }
    assert sorted(rung) == sorted([covered.agreement.pk, other.pk])


def test_a_request_without_days_refreshes_every_day(covered, rung):
    evaluation_request(clause_ids=[covered.clause_a.pk], since=FIRST_DAY, until=FIRST_DAY)
    evaluation_request(clause_ids=[covered.clause_b.pk])

    assert EvaluationRequest.objects.values_list("since", "until").get() == (None, None)


def test_the_requeue_frees_expired_claims_and_rings_requests_nobody_picked_up(covered, rung):
    now = timezone.now()
    other = AgreementFactory(code="other-accord")
    fresh = AgreementFactory(code="fresh-accord")
    EvaluationRequest.objects.create(
        agreement=covered.agreement,
        state=State.RUNNING,
        clause_ids=[covered.clause_a.pk],
        requested_at=now - dt.timedelta(minutes=20),
        claimed_at=now - dt.timedelta(minutes=15),
        lease_until=now - dt.timedelta(minutes=10),  # its worker died
    )
    EvaluationRequest.objects.create(
        agreement=other, clause_ids=[], requested_at=now - dt.timedelta(minutes=5)
    )
    EvaluationRequest.objects.create(agreement=fresh, clause_ids=[], requested_at=now)

    assert evaluation_requests_requeue() == 2

    assert sorted(rung) == sorted([covered.agreement.pk, other.pk])
    assert EvaluationRequest.objects.get(agreement=covered.agreement).state == State.PENDING


def test_in_embedded_mode_an_ingest_still_raises_its_alert(
    covered, observer_a, django_capture_on_commit_callbacks
):
    file_report(0, "1", observer_a, django_capture_on_commit_callbacks)

    assert Alert.objects.filter(rule="clause.violation_recorded", clause=covered.clause_a).exists()
    assert not EvaluationRequest.objects.exists()
