"""Every malformed payload of the corpus is rejected with a message, and stores nothing."""

import pytest

from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.models import Channel, InboundPayload, Observation, Report
from tests.factories import AgreementFactory, ClauseFactory
from tests.reports.malformed import CORPUS
from tests.reports.malformed.builders import Case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def other_agreement(world):
    """An agreement with a clause "1" that no mechanism of mission A watches."""
    ClauseFactory(agreement=AgreementFactory(code="other-accord"), reference="1")


def test_corpus_is_large_and_names_are_unique():
    assert len(CORPUS) >= 30
    assert len({case.name for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_malformed_payload_is_rejected_and_stores_nothing(
    case: Case, world, observer_a, other_agreement
):
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

    assert payload_ingest(payload_id=payload.pk) == InboundPayload.State.REJECTED
    payload.refresh_from_db()
    assert payload.state == InboundPayload.State.REJECTED, payload.last_error
    assert any(case.expected in error for error in payload.errors), payload.errors
    assert payload.last_error and payload.processed_at
    assert payload.report is None
    assert Observation.objects.count() == 0
    assert Report.objects.count() == 0
