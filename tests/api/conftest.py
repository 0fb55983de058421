"""Data the API tests share: one report, observation and payload per mission, alerts built
directly (the rules have their own tests), tokens, and the error-shape check."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.cache import cache

from accounts.models import ApiToken
from accounts.services import api_token_issue
from agreements.models import Clause
from monitor.models import Alert, AlertTransition
from reports.models import Channel, InboundPayload, Observation, Report, ReportStatus
from tests.factories import ObservationFactory, ReportFactory

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # The throttle counts live in the cache; a test must not inherit another's.
    cache.clear()
    yield
    cache.clear()


@dataclass
class Filed:
    """What mission A (or B) has filed: a report, one located observation, its payload."""

    report: Report
    observation: Observation
    payload: InboundPayload


def file_report(mission, *, external_id: str, sender, latitude: float, longitude: float) -> Filed:
    report = ReportFactory(
        mission=mission,
        external_id=external_id,
        status=ReportStatus.ACCEPTED,
        filed_at=NOW,
        channel=Channel.API,
    )
    observation = ObservationFactory(
        report=report,
        clause=None,
        occurred_at=NOW - dt.timedelta(hours=2),
        latitude=latitude,
        longitude=longitude,
        place_name=f"Place of {external_id}",
        description=f"Seen by {external_id}",
    )
    payload = InboundPayload.objects.create(
        body=b"{}",
        sha256="0" * 64,
        content_type="application/json",
        format="json",
        filename=f"{external_id}.json",
        params={"external_id": external_id},
        channel=Channel.API,
        sender=sender,
        mission=mission,
        state=InboundPayload.State.DONE,
        result={"observations": 1, "external_id": external_id},
        report=report,
    )
    return Filed(report, observation, payload)


@pytest.fixture
def filed_a(world, observer_a) -> Filed:
    return file_report(
        world.mission_a,
        external_id="A-SECRET-0001",
        sender=observer_a,
        latitude=47.1,
        longitude=37.9,
    )


@pytest.fixture
def filed_b(world, observer_b) -> Filed:
    return file_report(
        world.mission_b,
        external_id="B-SECRET-0001",
        sender=observer_b,
        latitude=48.0,
        longitude=38.5,
    )


_fingerprints = iter(range(1, 10**9))


def make_alert(
    clause: Clause,
    *,
    rule: str = "clause.violation_recorded",
    severity: int = 2,
    state: str = Alert.State.OPEN,
    party=None,
    area=None,
    evidence: list[Observation] = (),
    explanation: str = "Two violations were recorded in the last week.",
) -> Alert:
    """An alert with its opened transition, as reconciliation would have written it."""
    alert = Alert.objects.create(
        rule=rule,
        fingerprint=f"test-{next(_fingerprints)}",
        clause=clause,
        agreement=clause.agreement,
        party=party,
        area=area,
        severity=severity,
        state=state,
        title=f"{rule} on clause {clause.reference}",
        explanation=explanation,
        details={"window_days": 7},
        first_seen=NOW,
        last_seen=NOW,
        resolved_at=NOW if state == Alert.State.RESOLVED else None,
    )
    alert.evidence.set(evidence)
    AlertTransition.objects.create(
        alert=alert,
        kind=AlertTransition.Kind.OPENED,
        from_state="",
        to_state=Alert.State.OPEN,
        severity=severity,
        at=NOW,
    )
    return alert


@pytest.fixture
def alert(world) -> Alert:
    return make_alert(world.clause_a, severity=3)


def bearer(user, scope: str = ApiToken.Scope.READ, **extra) -> dict:
    """Test-client headers carrying a fresh API token of ``user``."""
    _, plain = api_token_issue(user=user, name="test tool", scope=scope, **extra)
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def assert_error_shape(response, code: str | None = None) -> dict:
    """The body is ``{"error": {"code", "message", "details"?}}`` with a message to act on."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "details"}
    assert body["error"]["message"].strip()
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]
