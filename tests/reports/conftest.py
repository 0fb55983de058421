"""Fixtures of the reports admin tests (test_admin.py, test_admin_access.py): reports and
payloads of missions A and B in the shared world."""

import pytest

from reports.models import Channel, InboundPayload, ReportStatus
from tests.factories import ObservationFactory, ReportFactory
from tests.reports.admin_support import END, START


@pytest.fixture
def report_a(world):
    report = ReportFactory(
        mission=world.mission_a,
        external_id="A-DRAFT-0001",
        title="Shelling near Alpha",
        period_start=START,
        period_end=END,
    )
    ObservationFactory(report=report, clause=world.clause_a, place_name="Alphaville")
    return report


@pytest.fixture
def report_b(world):
    report = ReportFactory(
        mission=world.mission_b,
        external_id="B-DRAFT-0002",
        title="Convoy seen near Bravo",
        period_start=START,
        period_end=END,
    )
    ObservationFactory(report=report, clause=world.clause_b, place_name="Bravotown")
    return report


@pytest.fixture
def submitted_a(world, observer_a):
    report = ReportFactory(
        mission=world.mission_a,
        external_id="A-FILED-0003",
        title="Filed and final",
        period_start=START,
        period_end=END,
        status=ReportStatus.SUBMITTED,
        filed_by=observer_a,
        filed_at=END,
    )
    ObservationFactory(report=report, clause=world.clause_a, place_name="Alphaville")
    return report


@pytest.fixture
def payload_b(world):
    return InboundPayload.objects.create(
        body=b'{"external_id": "B-UPLOAD"}',
        sha256="b" * 64,
        size=27,
        content_type="application/json",
        channel=Channel.API,
        mission=world.mission_b,
        filename="bravo-upload.json",
    )


@pytest.fixture
def payload_a(world):
    return InboundPayload.objects.create(
        body=b'{"external_id": "A-UPLOAD"}',
        sha256="a" * 64,
        size=27,
        content_type="application/json",
        channel=Channel.API,
        mission=world.mission_a,
        filename="alpha-upload.json",
    )
