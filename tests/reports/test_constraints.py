"""The database itself refuses bad reports and observations, whatever path wrote them.

Rows go in through ``objects.create`` and ``bulk_create`` (the ingest path), so no
``full_clean`` stands between them and the constraints.
"""

import datetime as dt
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from reports.models import Observation, Report, ReportStatus
from tests.factories import MissionFactory, ReportFactory

pytestmark = pytest.mark.django_db


@contextmanager
def refused(constraint: str, *, named_by_sqlite: bool = True):
    """Expect the database to refuse what the block writes, naming ``constraint``.

    SQLite names CHECK constraints but not UNIQUE ones, so those are matched by name on
    PostgreSQL only.
    """
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        yield
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    if named_by_sqlite or connection.vendor != "sqlite":
        assert constraint in str(caught.value)


@pytest.fixture
def report():
    return ReportFactory()


def _observation(report: Report, **fields) -> Observation:
    return Observation(
        report=report, kind=Observation.Kind.VIOLATION, occurred_at=timezone.now(), **fields
    )


# --- Observation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"latitude": 91, "longitude": 30}, "observation_latitude_range"),
        ({"latitude": -91, "longitude": 30}, "observation_latitude_range"),
        ({"latitude": 47, "longitude": 181}, "observation_longitude_range"),
        ({"latitude": 47, "longitude": None}, "observation_coordinates_paired"),
        ({"latitude": None, "longitude": 37}, "observation_coordinates_paired"),
        ({"severity": 0}, "observation_severity_1_to_4"),
        ({"severity": 5}, "observation_severity_1_to_4"),
        ({"information_credibility": 7}, "observation_credibility_1_to_6"),
        ({"source_reliability": "G"}, "observation_reliability_a_to_f"),
    ],
    ids=[
        "lat-91",
        "lat--91",
        "lon-181",
        "lat-without-lon",
        "lon-without-lat",
        "severity-0",
        "severity-5",
        "credibility-7",
        "reliability-G",
    ],
)
def test_observation_out_of_range_is_refused_on_create(report, fields, constraint):
    with refused(constraint):
        _observation(report, **fields).save()
    assert not report.observations.exists()


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"latitude": 91, "longitude": 30}, "observation_latitude_range"),
        ({"latitude": 47, "longitude": None}, "observation_coordinates_paired"),
        ({"severity": 5}, "observation_severity_1_to_4"),
        ({"information_credibility": 7}, "observation_credibility_1_to_6"),
        ({"source_reliability": "G"}, "observation_reliability_a_to_f"),
    ],
    ids=["lat-91", "lat-without-lon", "severity-5", "credibility-7", "reliability-G"],
)
def test_one_bad_observation_refuses_the_whole_bulk_insert(report, fields, constraint):
    with refused(constraint):
        Observation.objects.bulk_create([_observation(report), _observation(report, **fields)])
    assert not report.observations.exists()


def test_observation_at_the_edges_of_every_range_is_allowed(report):
    Observation.objects.bulk_create(
        [
            _observation(
                report,
                latitude=90,
                longitude=180,
                severity=1,
                information_credibility=1,
                source_reliability="A",
            ),
            _observation(
                report,
                latitude=-90,
                longitude=-180,
                severity=4,
                information_credibility=6,
                source_reliability="F",
            ),
            _observation(report),
        ]
    )
    assert report.observations.count() == 3


# --- Report -------------------------------------------------------------------------------


def test_report_period_ending_before_it_starts_is_refused():
    mission = MissionFactory()
    start = timezone.now()
    with refused("report_period_ordered"):
        Report.objects.create(
            mission=mission,
            external_id="R-1",
            period_start=start,
            period_end=start - dt.timedelta(seconds=1),
        )


def test_two_live_reports_with_one_external_id_in_a_mission_are_refused():
    mission = MissionFactory()
    ReportFactory(mission=mission, external_id="R-1", revision=1, status=ReportStatus.ACCEPTED)
    with refused("report_external_id_unique_per_mission", named_by_sqlite=False):
        ReportFactory(mission=mission, external_id="R-1", revision=2)


def test_two_live_reports_with_one_external_id_are_refused_in_bulk():
    mission = MissionFactory()
    now = timezone.now()
    rows = [
        Report(
            mission=mission, external_id="R-1", revision=revision, period_start=now, period_end=now
        )
        for revision in (1, 2)
    ]
    with refused("report_external_id_unique_per_mission", named_by_sqlite=False):
        Report.objects.bulk_create(rows)
    assert not Report.objects.exists()


def test_superseded_report_and_its_correction_may_share_the_external_id():
    mission = MissionFactory()
    old = ReportFactory(mission=mission, external_id="R-1", status=ReportStatus.SUPERSEDED)
    new = ReportFactory(mission=mission, external_id="R-1", revision=2, supersedes=old)
    assert set(mission.reports.values_list("pk", flat=True)) == {old.pk, new.pk}


def test_reviving_a_superseded_report_beside_its_correction_is_refused():
    mission = MissionFactory()
    old = ReportFactory(mission=mission, external_id="R-1", status=ReportStatus.SUPERSEDED)
    ReportFactory(mission=mission, external_id="R-1", revision=2, supersedes=old)
    with refused("report_external_id_unique_per_mission", named_by_sqlite=False):
        Report.objects.filter(pk=old.pk).update(status=ReportStatus.ACCEPTED)


def test_same_external_id_in_two_missions_is_allowed():
    ReportFactory(mission=MissionFactory(), external_id="R-1")
    ReportFactory(mission=MissionFactory(), external_id="R-1")
    assert Report.objects.filter(external_id="R-1").count() == 2


def test_same_revision_of_an_external_id_twice_is_refused_even_when_superseded():
    mission = MissionFactory()
    ReportFactory(mission=mission, external_id="R-1", status=ReportStatus.SUPERSEDED)
    with refused("report_revision_unique", named_by_sqlite=False):
        ReportFactory(mission=mission, external_id="R-1", status=ReportStatus.SUPERSEDED)
