"""The reconciliation planner on plain data: no database (monitor.reconcile)."""

import dataclasses
import datetime as dt

from monitor.models import Alert, AlertTransition
from monitor.reconcile import (
    AlertPlan,
    AlertWrite,
    LiveAlert,
    StoredAlert,
    TransitionNote,
    alert_details,
    alerts_plan,
    alerts_to_read,
)
from monitor.rules.base import Finding

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
EARLIER = NOW - dt.timedelta(hours=3)
State = Alert.State
Kind = AlertTransition.Kind


def finding(*, severity: int = 2, evidence: list[int] | None = None, **changes) -> Finding:
    fields = {
        "rule": "clause.violation_recorded",
        "clause_id": 7,
        "agreement_id": 1,
        "severity": severity,
        "title": "Violations: clause 7",
        "explanation": "2 violation(s) of clause 7.",
        "evidence": [11, 10] if evidence is None else evidence,
        "details": {"count": 2},
    }
    return Finding(**(fields | changes))


def stored(f: Finding, *, pk: int = 100, state: str = State.OPEN, **changes) -> StoredAlert:
    """The alert as ``f`` left it (``changes`` say how it differs)."""
    fields = {
        "pk": pk,
        "fingerprint": f.fingerprint,
        "state": state,
        "severity": f.severity,
        "title": f.title,
        "explanation": f.explanation,
        "details": alert_details(f),
        "digest": f.digest,
        "last_seen": EARLIER,
        "resolved_at": EARLIER if state == State.RESOLVED else None,
    }
    return StoredAlert(**(fields | changes))


def live(alert: StoredAlert, *, seen_long_ago: bool = False) -> LiveAlert:
    return LiveAlert(alert.pk, alert.fingerprint, alert.digest, seen_long_ago)


def plan(
    findings: list[Finding],
    alerts: tuple[StoredAlert, ...] | list[StoredAlert] = (),
    *,
    seen_long_ago: bool = False,
) -> AlertPlan:
    """Plan as the writer does: the light rows of the live alerts, then in full what the
    planner asks for (live ones by id, resolved ones by fingerprint)."""
    light = [live(a, seen_long_ago=seen_long_ago) for a in alerts if a.state in Alert.LIVE_STATES]
    wanted = alerts_to_read(findings=findings, live=light)
    return alerts_plan(
        findings=findings,
        live=light,
        changing=[a for a in alerts if a.pk in wanted.changing],
        resolved=[
            a for a in alerts if a.state == State.RESOLVED and a.fingerprint in wanted.returning
        ],
        now=NOW,
    )


def kinds(p: AlertPlan) -> list[str]:
    return [t.kind for t in p.transitions]


def test_a_new_finding_is_opened_with_its_evidence():
    f = finding()
    p = plan([f])
    [new] = p.create
    assert (new.finding, new.digest, new.details) == (
        f,
        f.digest,
        {"count": 2, "evidence": [11, 10]},
    )
    assert p.transitions == [TransitionNote(f.fingerprint, Kind.OPENED, "", State.OPEN, 2)]
    assert p.evidence == [(f.fingerprint, [11, 10])]
    assert (p.opened, p.updated, p.resolved, p.update, p.seen) == (1, 0, 0, [], [])


def test_a_long_title_is_cut_to_what_an_alert_holds():
    [new] = plan([finding(title="x" * 400)]).create
    assert new.title == "x" * 300


def test_the_same_finding_again_changes_nothing():
    f = finding()
    p = plan([f], [stored(f)])
    assert p == AlertPlan()
    assert alerts_to_read(findings=[f], live=[live(stored(f))]).changing == []


def test_an_unchanged_alert_seen_long_ago_only_has_its_last_seen_refreshed():
    f = finding()
    p = plan([f], [stored(f)], seen_long_ago=True)
    assert p == AlertPlan(seen=[100])


def test_a_finding_gone_resolves_its_alert_keeping_what_it_showed():
    f = finding()
    alert = stored(f)
    p = plan([], [alert])
    assert p.update == [
        AlertWrite(
            pk=100,
            fingerprint=f.fingerprint,
            state=State.RESOLVED,
            severity=2,
            title=f.title,
            explanation=f.explanation,
            details=alert.details,
            digest=f.digest,
            last_seen=EARLIER,
            resolved_at=NOW,
            updated_at=NOW,
        )
    ]
    assert p.transitions == [
        TransitionNote(
            f.fingerprint,
            Kind.AUTO_RESOLVED,
            State.OPEN,
            State.RESOLVED,
            2,
            "the condition cleared",
        )
    ]
    assert (p.opened, p.updated, p.resolved, p.evidence) == (0, 0, 1, [])


def test_an_acknowledged_alert_whose_finding_is_gone_is_resolved_from_acknowledged():
    f = finding()
    p = plan([], [stored(f, state=State.ACKNOWLEDGED)])
    [note] = p.transitions
    assert (note.kind, note.from_state, note.to_state) == (
        Kind.AUTO_RESOLVED,
        State.ACKNOWLEDGED,
        State.RESOLVED,
    )


def test_an_alert_the_engine_resolved_is_reopened_when_its_finding_returns():
    f = finding()
    p = plan([f], [stored(f, state=State.RESOLVED)])
    [row] = p.update
    assert (row.pk, row.state, row.resolved_at, row.last_seen, row.updated_at) == (
        100,
        State.OPEN,
        None,
        NOW,
        NOW,
    )
    assert p.transitions == [
        TransitionNote(
            f.fingerprint, Kind.REOPENED, State.RESOLVED, State.OPEN, 2, "the condition returned"
        )
    ]
    assert p.evidence == [(f.fingerprint, [11, 10])]
    assert (p.create, p.opened, p.updated) == ([], 1, 0)


def test_a_resolve_by_a_person_holds_while_nothing_new_is_seen():
    f = finding()
    p = plan([f], [stored(f, state=State.RESOLVED, resolved_by_person=True)])
    assert p == AlertPlan()  # neither reopened nor opened anew


def test_a_resolve_by_a_person_holds_against_a_lower_severity():
    f = finding(severity=1)
    resolved = stored(finding(severity=3), state=State.RESOLVED, resolved_by_person=True)
    assert plan([f], [resolved]) == AlertPlan()


def test_a_resolve_by_a_person_gives_way_to_new_evidence():
    f = finding(evidence=[12, 11, 10])
    resolved = stored(finding(), state=State.RESOLVED, resolved_by_person=True)
    p = plan([f], [resolved])
    assert kinds(p) == [Kind.REOPENED]
    assert p.evidence == [(f.fingerprint, [12, 11, 10])]


def test_a_resolve_by_a_person_gives_way_to_a_higher_severity():
    f = finding(severity=3)
    resolved = stored(finding(severity=2), state=State.RESOLVED, resolved_by_person=True)
    p = plan([f], [resolved])
    assert kinds(p) == [Kind.REOPENED]
    assert p.update[0].severity == 3


def test_a_higher_severity_escalates_the_live_alert():
    f = finding(severity=4)
    p = plan([f], [stored(finding(severity=2))])
    [row] = p.update
    assert (row.severity, row.state, row.digest, row.last_seen) == (4, State.OPEN, f.digest, NOW)
    assert p.transitions == [
        TransitionNote(f.fingerprint, Kind.ESCALATED, State.OPEN, State.OPEN, 4, "severity 2 → 4")
    ]
    assert (p.opened, p.updated, p.resolved) == (0, 1, 0)


def test_a_lower_severity_deescalates_the_live_alert():
    f = finding(severity=1)
    p = plan([f], [stored(finding(severity=3))])
    assert p.transitions == [
        TransitionNote(f.fingerprint, Kind.DEESCALATED, State.OPEN, State.OPEN, 1, "severity 3 → 1")
    ]


def test_new_evidence_is_added_and_only_the_new_ids_are_linked():
    f = finding(evidence=[13, 12, 11, 10], details={"count": 4})
    p = plan([f], [stored(finding())])
    assert p.transitions == [
        TransitionNote(
            f.fingerprint,
            Kind.EVIDENCE_ADDED,
            State.OPEN,
            State.OPEN,
            2,
            "2 new observation(s)",
        )
    ]
    assert p.evidence == [(f.fingerprint, [12, 13])]
    assert p.updated == 1


def test_an_acknowledged_alert_stays_acknowledged_when_its_finding_changes():
    f = finding(severity=4, evidence=[12, 11, 10])
    p = plan([f], [stored(finding(), state=State.ACKNOWLEDGED)])
    assert p.update[0].state == State.ACKNOWLEDGED
    assert [(t.kind, t.from_state, t.to_state) for t in p.transitions] == [
        (Kind.ESCALATED, State.ACKNOWLEDGED, State.ACKNOWLEDGED),
        (Kind.EVIDENCE_ADDED, State.ACKNOWLEDGED, State.ACKNOWLEDGED),
    ]


def test_a_changed_text_updates_the_alert_without_a_transition():
    f = finding(explanation="2 violation(s) of clause 7, the latest today.")
    p = plan([f], [stored(finding())])
    [row] = p.update
    assert row.explanation == f.explanation
    assert (p.transitions, p.evidence, p.updated) == ([], [], 1)


def test_an_out_of_date_digest_alone_is_rewritten_and_counted_as_no_change():
    f = finding()
    p = plan([f], [stored(f, digest="from an older version")])
    assert [row.digest for row in p.update] == [f.digest]
    assert (p.transitions, p.updated) == ([], 0)


def test_only_changing_and_cleared_alerts_are_read_in_full():
    same, changed, gone = finding(clause_id=1), finding(clause_id=2), finding(clause_id=3)
    alerts = [
        stored(same, pk=1),
        stored(dataclasses.replace(changed, severity=1), pk=2),
        stored(gone, pk=3),
    ]
    new = finding(clause_id=4)
    wanted = alerts_to_read(findings=[same, changed, new], live=[live(a) for a in alerts])
    assert (wanted.changing, wanted.returning) == ([2, 3], [new.fingerprint])


def test_transitions_of_existing_alerts_come_before_those_of_new_ones():
    changed, gone, new = (
        finding(clause_id=1, severity=3),
        finding(clause_id=2),
        finding(clause_id=3),
    )
    p = plan([new, changed], [stored(finding(clause_id=1), pk=1), stored(gone, pk=2)])
    assert kinds(p) == [Kind.ESCALATED, Kind.AUTO_RESOLVED, Kind.OPENED]
    assert [t.fingerprint for t in p.transitions] == [
        changed.fingerprint,
        gone.fingerprint,
        new.fingerprint,
    ]
