"""Fault cases through a real Redis broker, real Celery workers and PostgreSQL."""

import time

import pytest
from django.urls import reverse

from config.celery import app as celery_app
from reports.ingest.receive import payload_receive
from reports.models import Channel, InboundPayload, Observation, Report
from tests.factories import AgreementFactory, ClauseFactory
from tests.integration.conftest import _reset_pools, wait_for
from tests.integration.test_ingest_workers import report_body
from tests.reports.malformed import CORPUS

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_malformed_corpus_through_a_real_worker_is_rejected_and_stores_nothing(
    world, observer_a, start_worker
):
    ClauseFactory(agreement=AgreementFactory(code="other-accord"), reference="1")
    start_worker(concurrency=2)
    sent = {}
    for case in CORPUS:
        body = case.body() if callable(case.body) else case.body
        upload = case.format != "json"
        payload = payload_receive(
            body=body,
            content_type="application/octet-stream",
            format=case.format,
            channel=Channel.UPLOAD if upload else Channel.API,
            sender=observer_a,
            mission=world.mission_a if upload else None,
            params=case.params,
            filename=f"{case.name}.{case.format}" if upload else "",
        ).payload
        sent[payload.pk] = case
    wait_for(
        lambda: not InboundPayload.objects.filter(state__in=["received", "processing"]).exists(),
        timeout=120,
        what=f"the workers to process {len(sent)} malformed payloads",
    )
    for payload in InboundPayload.objects.filter(pk__in=sent):
        case = sent[payload.pk]
        assert payload.state == "rejected", (case.name, payload.state, payload.last_error)
        assert any(case.expected in error for error in payload.errors), (case.name, payload.errors)
    assert len(sent) >= 30
    assert Observation.objects.count() == 0
    assert Report.objects.count() == 0


def test_a_broker_that_does_not_answer_does_not_hold_the_request(
    world, observer_a, client_for, mute_redis, settings
):
    conf = celery_app.conf
    saved = conf["CELERY_BROKER_URL"], conf["CELERY_TASK_ALWAYS_EAGER"]
    conf.update(CELERY_BROKER_URL=mute_redis, CELERY_TASK_ALWAYS_EAGER=False)
    _reset_pools()
    try:
        client = client_for(observer_a)
        started = time.monotonic()
        response = client.post(
            reverse("api:report-submit"), report_body("MUTE-1", 5), content_type="application/json"
        )
        elapsed = time.monotonic() - started
    finally:
        conf.update(CELERY_BROKER_URL=saved[0], CELERY_TASK_ALWAYS_EAGER=saved[1])
        _reset_pools()
    assert response.status_code == 202, response.content
    assert elapsed < 15, f"a mute broker held the request for {elapsed:.1f} s"
    payload = InboundPayload.objects.get(pk=response.json()["payload_id"])
    assert payload.state == "received"  # stored; the periodic sweep will deliver it
