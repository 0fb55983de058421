"""The ingest pipeline end to end: store, claim, parse, validate, write all or nothing."""

import datetime as dt
import io
import json

import pytest
from django.db import OperationalError
from django.utils import timezone
from openpyxl import Workbook

from reports.ingest import pipeline
from reports.ingest.pipeline import (
    payload_claim,
    payload_ingest,
    payload_receive,
    payload_replay,
    payloads_requeue,
)
from reports.models import (
    Channel,
    InboundPayload,
    Observation,
    Report,
    ReportStatus,
    ReportStatusChange,
)
from reports.parsers import PARSERS
from reports.services import report_submit
from tests.factories import (
    AgreementFactory,
    AreaFactory,
    ClauseFactory,
    ObservationFactory,
    ReportFactory,
)

pytestmark = pytest.mark.django_db

State = InboundPayload.State
START = dt.datetime(2025, 3, 1, 0, 0, tzinfo=dt.UTC)
END = dt.datetime(2025, 3, 1, 23, 59, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _observation(n: int, **extra) -> dict:
    return {
        "kind": "violation",
        "clause": "1",
        "occurred_at": f"2025-03-01T{6 + n % 12:02d}:{n % 60:02d}:00Z",
        "place_name": f"Checkpoint {n}",
        "latitude": 47.1,
        "longitude": 37.5,
        "quantity": n,
        **extra,
    }


def _report(count: int = 3, **overrides) -> dict:
    return {
        "format": "accord-monitor/report/v1",
        "mission": "mission-a",
        "external_id": "A-0001",
        "agreement": "test-ceasefire",
        "period": {"start": START.isoformat(), "end": END.isoformat()},
        "title": "Daily report",
        "observations": [_observation(n) for n in range(1, count + 1)],
        **overrides,
    }


def _body(document: dict) -> bytes:
    return json.dumps(document).encode()


def _ingest(body: bytes, *, sender, fmt: str = "json", **extra) -> InboundPayload:
    payload = payload_receive(
        body=body,
        content_type="application/json",
        format=fmt,
        channel=extra.pop("channel", Channel.API),
        sender=sender,
        **extra,
    ).payload
    payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    return payload


def _status_trail(report: Report) -> list[tuple[str, str]]:
    return list(
        ReportStatusChange.objects.filter(report=report).values_list("from_status", "to_status")
    )


# --- storing a good report ----------------------------------------------------------------


def test_valid_json_report_is_stored_and_accepted(world, observer_a):
    payload = _ingest(_body(_report(3)), sender=observer_a)

    assert payload.state == State.DONE
    report = Report.objects.get()
    assert payload.report == report
    assert payload.errors == [] and payload.attempts == 1 and payload.processed_at
    assert payload.result == {
        "report_id": report.pk,
        "revision": 1,
        "observations": 3,
        "supersedes": None,
        "clauses": [world.clause_a.pk],
    }
    assert report.status == ReportStatus.ACCEPTED
    assert (report.mission, report.external_id, report.revision) == (world.mission_a, "A-0001", 1)
    assert (report.period_start, report.period_end) == (START, END)
    assert (report.channel, report.filed_by, report.title) == (
        Channel.API,
        observer_a,
        "Daily report",
    )
    assert len(report.content_sha256) == 64
    assert _status_trail(report) == [("", "submitted"), ("submitted", "accepted")]
    observations = list(report.observations.order_by("sequence"))
    assert [o.sequence for o in observations] == [1, 2, 3]
    assert [o.quantity for o in observations] == [1, 2, 3]
    assert {o.clause_id for o in observations} == {world.clause_a.pk}
    assert Observation.objects.count() == 3


def test_period_defaults_to_the_span_of_the_observations(world, observer_a):
    document = _report(3)
    del document["period"]
    payload = _ingest(_body(document), sender=observer_a)
    report = payload.report
    assert report.period_start == dt.datetime(2025, 3, 1, 7, 1, tzinfo=dt.UTC)
    assert report.period_end == dt.datetime(2025, 3, 1, 9, 3, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (
            {"end": "2025-03-02T00:00:00Z"},
            ("2025-03-01T07:01:00+00:00", "2025-03-02T00:00:00+00:00"),
        ),
        (
            {"start": "2025-02-28T00:00:00Z"},
            ("2025-02-28T00:00:00+00:00", "2025-03-01T09:03:00+00:00"),
        ),
        (
            {"end": "2025-02-01T00:00:00Z"},
            ("2025-02-01T00:00:00+00:00", "2025-02-01T00:00:00+00:00"),
        ),
    ],
)
def test_half_open_period_is_completed_from_the_observations(world, observer_a, period, expected):
    payload = _ingest(_body(_report(3, period=period)), sender=observer_a)
    assert payload.state == State.DONE, payload.last_error
    report = payload.report
    assert (report.period_start.isoformat(), report.period_end.isoformat()) == expected


def test_naive_times_are_read_in_the_report_timezone(world, observer_a):
    document = _report(1, timezone="Europe/Kyiv")
    document["observations"][0]["occurred_at"] = "2025-01-20 08:00"
    payload = _ingest(_body(document), sender=observer_a)
    occurred = payload.report.observations.get().occurred_at
    assert occurred == dt.datetime(2025, 1, 20, 6, 0, tzinfo=dt.UTC)


def test_reserialised_with_other_offsets_is_the_same_content(world, observer_a):
    document = _report(2)
    _ingest(_body(document), sender=observer_a)
    shifted = _report(2, period={"start": "2025-03-01T02:00:00+02:00", "end": END.isoformat()})
    for row in shifted["observations"]:
        moment = dt.datetime.fromisoformat(row["occurred_at"])
        row["occurred_at"] = moment.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()

    second = _ingest(_body(shifted), sender=observer_a)

    assert second.result["duplicate"] is True
    assert Report.objects.count() == 1


def test_spreadsheet_cells_of_any_type_are_kept_as_attributes(world, observer_a):
    workbook = Workbook()
    workbook.active.append(["kind", "occurred_at", "duration", "at", "day", "checked"])
    workbook.active.append(
        ["incident", 45717.25, dt.timedelta(hours=5), dt.time(5, 30), dt.date(2025, 3, 1), True]
    )
    out = io.BytesIO()
    workbook.save(out)

    payload = _ingest(
        out.getvalue(),
        sender=observer_a,
        fmt="xlsx",
        mission=world.mission_a,
        params={"mission": "mission-a", "external_id": "X-1"},
    )

    assert payload.state == State.DONE, payload.last_error
    assert Observation.objects.get().attributes == {
        "duration": "5:00:00",
        "at": "05:30:00",
        "day": "2025-03-01T00:00:00",
        "checked": True,
    }


# --- all or nothing -----------------------------------------------------------------------


def test_bad_rows_among_good_ones_store_nothing_and_list_every_problem(world, observer_a):
    document = _report(100)
    document["observations"].insert(16, _observation(17, latitude=91))
    document["observations"].insert(80, _observation(81, kind="rumour"))

    payload = _ingest(_body(document), sender=observer_a)

    assert payload.state == State.REJECTED
    assert payload.errors == [
        "row 17, latitude: 91 is out of range (-90 to 90)",
        'row 81, kind: "rumour" is not one of violation, compliance, incident, '
        "access_restricted, information",
    ]
    assert payload.last_error == "2 problem(s); nothing from this payload was stored"
    assert payload.result == {"error_count": 2}
    assert payload.report is None
    assert Observation.objects.count() == 0
    assert Report.objects.count() == 0
    assert ReportStatusChange.objects.count() == 0


def test_rejection_past_the_first_batch_rolls_back_written_rows(world, observer_a, monkeypatch):
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 10)
    document = _report(30)
    document["observations"].append(_observation(31, quantity=-5))
    payload = _ingest(_body(document), sender=observer_a)
    assert payload.state == State.REJECTED
    assert payload.errors == ["row 31, quantity: -5 is out of range (0 to 2e+09)"]
    assert Observation.objects.count() == 0 and Report.objects.count() == 0


def test_many_bad_rows_are_counted_but_the_list_is_capped(world, observer_a):
    document = _report(0)
    document["observations"] = [_observation(n, severity=9) for n in range(250)]
    payload = _ingest(_body(document), sender=observer_a)
    assert payload.state == State.REJECTED
    assert len(payload.errors) == pipeline.MAX_LISTED_ERRORS
    assert payload.result == {"error_count": 250}


def test_report_without_observations_is_rejected(world, observer_a):
    payload = _ingest(_body(_report(0)), sender=observer_a)
    assert payload.state == State.REJECTED
    assert payload.errors == ["file: the report has no observations"]


# --- replays and corrections --------------------------------------------------------------


def test_replaying_identical_bytes_changes_nothing(world, observer_a):
    body = _body(_report(3))
    first = _ingest(body, sender=observer_a)
    second = _ingest(body, sender=observer_a)

    assert second.pk != first.pk
    assert second.state == State.DONE
    assert second.result == {
        "report_id": first.report_id,
        "revision": 1,
        "observations": 3,
        "duplicate": True,
    }
    assert second.report_id == first.report_id
    assert Report.objects.count() == 1
    assert Observation.objects.count() == 3


def test_same_content_reserialised_changes_nothing(world, observer_a):
    document = _report(3)
    first = _ingest(_body(document), sender=observer_a)
    reordered = {key: document[key] for key in reversed(list(document))}
    reordered["observations"] = [dict(reversed(list(o.items()))) for o in document["observations"]]
    body = json.dumps(reordered, indent=4, sort_keys=False).encode()
    assert body != _body(document)

    second = _ingest(body, sender=observer_a)

    assert second.state == State.DONE
    assert second.result["duplicate"] is True
    assert second.report_id == first.report_id
    report = Report.objects.get()
    assert (report.revision, report.status) == (1, ReportStatus.ACCEPTED)
    assert Observation.objects.count() == 3
    assert _status_trail(report) == [("", "submitted"), ("submitted", "accepted")]


def test_same_external_id_with_new_content_is_a_correction(world, observer_a):
    first = _ingest(_body(_report(3)), sender=observer_a)
    corrected = _report(2)
    corrected["observations"][0]["quantity"] = 40

    second = _ingest(_body(corrected), sender=observer_a)

    assert second.state == State.DONE
    r1, r2 = first.report, second.report
    r1.refresh_from_db()
    assert (r2.revision, r2.status, r2.supersedes) == (2, ReportStatus.ACCEPTED, r1)
    assert second.result["supersedes"] == r1.pk
    assert r1.status == ReportStatus.SUPERSEDED
    assert _status_trail(r1)[-1] == ("accepted", "superseded")
    assert r1.observations.count() == 3
    assert r2.observations.count() == 2
    assert Observation.objects.count() == 5


def test_corrected_title_alone_is_a_new_revision(world, observer_a):
    first = _ingest(_body(_report(3)), sender=observer_a)
    second = _ingest(_body(_report(3, title="Daily report (corrected)")), sender=observer_a)
    assert second.result.get("duplicate") is None
    assert second.report.revision == 2
    assert second.report.title == "Daily report (corrected)"
    first.report.refresh_from_db()
    assert first.report.status == ReportStatus.SUPERSEDED


def test_a_third_revision_supersedes_the_second(world, observer_a):
    reports = [_ingest(_body(_report(n)), sender=observer_a).report for n in (1, 2, 3)]
    assert [r.revision for r in reports] == [1, 2, 3]
    assert Report.objects.filter(status=ReportStatus.SUPERSEDED).count() == 2
    assert reports[2].supersedes == reports[1]


def test_external_id_of_a_draft_in_the_admin_is_refused(world, observer_a):
    ReportFactory(mission=world.mission_a, external_id="A-0001", period_start=START, period_end=END)
    payload = _ingest(_body(_report(1)), sender=observer_a)
    assert payload.state == State.REJECTED
    assert 'report "A-0001" is a draft report in the admin' in payload.errors[0]


# --- clauses, missions and headers --------------------------------------------------------


@pytest.fixture
def ceasefire_by_area(world):
    donetsk = AreaFactory(code="donetsk", name="Donetsk")
    world.clause_a.areas.set([donetsk])
    clause_4 = ClauseFactory(agreement=world.agreement, reference="4", title="Ceasefire east")
    clause_4.areas.set([AreaFactory(code="luhansk", name="Luhansk")])
    world.mechanism_a.clauses.add(clause_4)
    return clause_4


def _by_category(**extra) -> dict:
    row = _observation(1, category="ceasefire", **extra)
    del row["clause"]
    return row


def test_clause_is_found_by_category_and_area(world, observer_a, ceasefire_by_area):
    document = _report(0, observations=[_by_category(admin_area="Donetsk")])
    payload = _ingest(_body(document), sender=observer_a)
    assert payload.state == State.DONE, payload.errors
    observation = Observation.objects.get()
    assert observation.clause == world.clause_a
    assert observation.area.code == "donetsk"


def test_ambiguous_category_is_a_row_error(world, observer_a, ceasefire_by_area):
    document = _report(0, observations=[_by_category(admin_area="Donetsk"), _by_category()])
    payload = _ingest(_body(document), sender=observer_a)
    assert payload.state == State.REJECTED
    assert payload.errors == [
        'row 2, clause: category "ceasefire" matches 2 clauses here; give the clause reference'
    ]


def test_clause_of_another_agreement_is_refused(world, observer_a):
    other = AgreementFactory(code="other-accord")
    ClauseFactory(agreement=other, reference="1")
    document = _report(1)
    document["observations"][0].update(clause="1", agreement="other-accord")
    payload = _ingest(_body(document), sender=observer_a)
    assert payload.state == State.REJECTED
    assert payload.errors == [
        'row 1, agreement: "other-accord" is not an agreement mission mission-a monitors'
    ]


def test_observer_cannot_file_for_a_mission_they_are_not_in(world, observer_a):
    payload = _ingest(_body(_report(1, mission="mission-b")), sender=observer_a)
    assert payload.state == State.REJECTED
    assert payload.errors == ['header, mission: you are not a member of mission "mission-b"']
    assert Report.objects.count() == 0


def test_report_naming_another_mission_than_the_upload_is_refused(world, observer_a):
    payload = _ingest(_body(_report(1, mission="mission-b")), sender=None, mission=world.mission_a)
    assert payload.state == State.REJECTED
    assert "was sent for" in payload.errors[0]


def test_inactive_mission_is_refused(world, observer_a):
    world.mission_a.is_active = False
    world.mission_a.save()
    payload = _ingest(_body(_report(1)), sender=observer_a)
    assert payload.errors == ['header, mission: mission "mission-a" is not active']


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"timezone": "Mars/Olympus"}, 'header, timezone: unknown time zone "Mars/Olympus"'),
        ({"external_id": "x" * 121}, "header, external_id: longer than 120 characters"),
        ({"external_id": {"a": 1}}, "header, external_id: must be text"),
        ({"period": {"start": "2025-03-02", "end": "2025-03-01"}}, "the end is before the start"),
        ({"period": {"start": "soon"}}, "header, period_start: "),
    ],
)
def test_bad_header_value_is_rejected(world, observer_a, change, expected):
    payload = _ingest(_body(_report(1, **change)), sender=observer_a)
    assert payload.state == State.REJECTED
    assert expected in payload.errors[0]


# --- receiving and claiming ---------------------------------------------------------------


def test_idempotency_key_returns_the_first_payload(world, observer_a, observer_b):
    first = payload_receive(
        body=b"{}",
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=observer_a,
        idempotency_key="k-1",
    )
    again = payload_receive(
        body=b"{ }",
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=observer_a,
        idempotency_key="k-1",
    )
    other_sender = payload_receive(
        body=b"{}",
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=observer_b,
        idempotency_key="k-1",
    )
    assert first.created and not again.created and other_sender.created
    assert again.payload.pk == first.payload.pk
    assert InboundPayload.objects.count() == 2


def test_payload_is_stored_before_anything_is_parsed(world, observer_a):
    result = payload_receive(
        body=b"not json",
        content_type="text/plain",
        format="json",
        channel=Channel.API,
        sender=observer_a,
    )
    payload = InboundPayload.objects.get(pk=result.payload.pk)
    assert bytes(payload.body) == b"not json"
    assert payload.state == State.RECEIVED and payload.size == 8 and len(payload.sha256) == 64


def _stored(**fields) -> InboundPayload:
    return InboundPayload.objects.create(
        body=_body(_report(1)),
        content_type="application/json",
        format="json",
        channel=Channel.API,
        **fields,
    )


def test_claim_is_exclusive(world):
    payload = _stored()
    assert payload_claim(payload_id=payload.pk) is True
    assert payload_claim(payload_id=payload.pk) is False
    payload.refresh_from_db()
    assert (payload.state, payload.attempts) == (State.PROCESSING, 1)


def test_expired_claim_can_be_taken_again(world, settings):
    payload = _stored()
    assert payload_claim(payload_id=payload.pk)
    expired = timezone.now() - dt.timedelta(seconds=settings.INGEST_CLAIM_TIMEOUT + 5)
    InboundPayload.objects.filter(pk=payload.pk).update(claimed_at=expired)
    assert payload_claim(payload_id=payload.pk) is True
    payload.refresh_from_db()
    assert payload.attempts == 2 and payload.claimed_at > expired


@pytest.mark.parametrize("state", [State.DONE, State.REJECTED, State.QUARANTINED])
def test_finished_payloads_are_not_claimed(world, state):
    payload = _stored(state=state)
    assert payload_claim(payload_id=payload.pk) is False
    assert payload_ingest(payload_id=payload.pk) == "skipped"


def test_requeue_finds_forgotten_and_abandoned_payloads(world, settings, monkeypatch):
    rung: list[int] = []
    monkeypatch.setattr(pipeline, "payload_enqueue", lambda *, payload_id: rung.append(payload_id))
    now = timezone.now()
    forgotten = _stored()
    abandoned = _stored(state=State.PROCESSING)
    fresh = _stored()
    working = _stored(state=State.PROCESSING)
    _stored(state=State.DONE)
    old = now - dt.timedelta(seconds=settings.INGEST_REQUEUE_AFTER + 5)
    InboundPayload.objects.filter(pk=forgotten.pk).update(received_at=old)
    InboundPayload.objects.filter(pk=abandoned.pk).update(
        received_at=old, claimed_at=now - dt.timedelta(seconds=settings.INGEST_CLAIM_TIMEOUT + 5)
    )
    InboundPayload.objects.filter(pk=working.pk).update(received_at=old, claimed_at=now)

    assert payloads_requeue() == 2
    assert sorted(rung) == sorted([forgotten.pk, abandoned.pk])
    assert fresh.pk not in rung


def test_transient_fault_releases_the_claim_for_a_retry(world, observer_a, monkeypatch):
    def flaky(body, params):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setitem(PARSERS, "json", flaky)
    payload = _stored(sender=observer_a)
    with pytest.raises(OperationalError):
        payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    assert (payload.state, payload.claimed_at, payload.attempts) == (State.RECEIVED, None, 1)
    assert payload.last_error == "transient: server closed the connection unexpectedly"


def test_too_many_attempts_quarantine_with_the_last_error_kept(
    world, observer_a, settings, monkeypatch
):
    settings.INGEST_MAX_ATTEMPTS = 2

    def flaky(body, params):
        raise OperationalError("database is locked")

    monkeypatch.setitem(PARSERS, "json", flaky)
    payload = _stored(sender=observer_a)
    for _ in range(2):
        with pytest.raises(OperationalError):
            payload_ingest(payload_id=payload.pk)

    assert payload_ingest(payload_id=payload.pk) == State.QUARANTINED
    payload.refresh_from_db()
    assert payload.state == State.QUARANTINED
    assert payload.last_error == (
        "gave up after 2 attempts; last error: transient: database is locked"
    )
    assert bytes(payload.body) == _body(_report(1))


def test_unexpected_parser_error_quarantines_and_keeps_the_payload(world, observer_a, monkeypatch):
    def broken(body, params):
        raise RuntimeError("parser bug")

    monkeypatch.setitem(PARSERS, "json", broken)
    payload = _stored(sender=observer_a)
    assert payload_ingest(payload_id=payload.pk) == State.QUARANTINED
    payload.refresh_from_db()
    assert payload.state == State.QUARANTINED
    assert payload.last_error == "RuntimeError: parser bug"
    assert InboundPayload.objects.filter(pk=payload.pk).exists()
    assert Report.objects.count() == 0


def test_replayed_quarantined_payload_is_ingested(world, observer_a, monkeypatch):
    payload = _stored(sender=observer_a)
    with monkeypatch.context() as patch:
        patch.setitem(PARSERS, "json", lambda body, params: 1 / 0)
        assert payload_ingest(payload_id=payload.pk) == State.QUARANTINED

    replayed = payload_replay(payload=InboundPayload.objects.get(pk=payload.pk))
    assert (replayed.state, replayed.attempts, replayed.claimed_at) == (State.RECEIVED, 0, None)

    assert payload_ingest(payload_id=payload.pk) == State.DONE
    payload.refresh_from_db()
    assert payload.report.observations.count() == 1


def test_only_quarantined_or_rejected_payloads_are_replayed(world):
    with pytest.raises(ValueError, match="not done"):
        payload_replay(payload=_stored(state=State.DONE))


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
