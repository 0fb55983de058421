"""Reconciliation's decisions, on plain data: which alerts a set of findings opens, updates,
resolves or reopens, and the transitions to record. No ORM, no database:
``monitor.services.alerts_reconcile`` loads what these functions ask for and writes what they
decide.

It runs in two steps, so a steady state with tens of thousands of live alerts stays cheap:
first a light row per live alert (its digest), then full rows only for those that change
(``alerts_to_read``), then the plan (``alerts_plan``).

The same plan serves both kinds of alert: a live evaluation is given the live alerts, a
retrospective one (``as_of`` in the past) the retrospective alerts about its ``as_of``; "live"
below means followed, not resolved, within the set the planner is given.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from monitor.models import Alert, AlertTransition
from monitor.rules.base import TITLE_LENGTH, Finding

State = Alert.State
Kind = AlertTransition.Kind


class LiveAlert(NamedTuple):
    """A live alert as first read: enough to tell whether its finding changes it. (A tuple,
    not a dataclass: a full evaluation reads tens of thousands of them.)"""

    pk: int
    fingerprint: str
    digest: str
    seen_long_ago: bool  # last_seen is older than what is worth refreshing


@dataclass(frozen=True)
class StoredAlert:
    """An alert read in full: a live one that changes or clears, or the latest resolved one
    of a fingerprint found again."""

    pk: int
    fingerprint: str
    state: str
    severity: int
    title: str
    explanation: str
    details: dict[str, Any]
    digest: str
    last_seen: dt.datetime
    resolved_at: dt.datetime | None = None
    # A person resolved it (not the engine): the resolve is a judgement on what was seen,
    # so it holds until something new is seen (new evidence, or a higher severity).
    resolved_by_person: bool = False


@dataclass(frozen=True)
class AlertsToRead:
    """What the plan needs read in full: live alerts that change or clear (by id), and the
    latest resolved alert of each fingerprint found without a live one."""

    changing: list[int]
    returning: list[str]


@dataclass(frozen=True)
class AlertNew:
    """An alert to open for a finding."""

    finding: Finding
    title: str
    details: dict[str, Any]
    digest: str


@dataclass(frozen=True)
class AlertWrite:
    """An existing alert's row as the plan leaves it: every column the writer updates."""

    pk: int
    fingerprint: str
    state: str
    severity: int
    title: str
    explanation: str
    details: dict[str, Any]
    digest: str
    last_seen: dt.datetime
    resolved_at: dt.datetime | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class TransitionNote:
    """A transition to record, for the alert of ``fingerprint`` (new or existing)."""

    fingerprint: str
    kind: str
    from_state: str
    to_state: str
    severity: int
    comment: str = ""


@dataclass
class AlertPlan:
    """What reconciliation writes, in the order it records it."""

    create: list[AlertNew] = field(default_factory=list)
    update: list[AlertWrite] = field(default_factory=list)
    seen: list[int] = field(default_factory=list)  # unchanged: only last_seen moves to now
    transitions: list[TransitionNote] = field(default_factory=list)
    evidence: list[tuple[str, list[int]]] = field(default_factory=list)  # fingerprint, ids
    opened: int = 0
    updated: int = 0
    resolved: int = 0


def alert_details(finding: Finding) -> dict[str, Any]:
    """An alert's details: the finding's, with the ids of its latest evidence."""
    return {**finding.details, "evidence": finding.evidence}


def _by_fingerprint(findings: list[Finding]) -> dict[str, Finding]:
    return {f.fingerprint: f for f in findings}


def alerts_to_read(*, findings: list[Finding], live: list[LiveAlert]) -> AlertsToRead:
    """The alerts ``alerts_plan`` needs in full for these findings and live alerts."""
    found = _by_fingerprint(findings)
    light = {a.fingerprint: a for a in live}
    changing = [
        light[fp].pk for fp, f in found.items() if fp in light and light[fp].digest != f.digest
    ]
    gone = [a.pk for a in live if a.fingerprint not in found]
    return AlertsToRead(changing=changing + gone, returning=[fp for fp in found if fp not in light])


def _news(alert: StoredAlert, finding: Finding) -> bool:
    """Whether a finding shows more than the alert did when it was resolved."""
    seen = set(alert.details.get("evidence", []))
    return bool(set(finding.evidence) - seen) or finding.severity > alert.severity


def _shown(
    alert: StoredAlert,
    finding: Finding,
    now: dt.datetime,
    *,
    state: str,
    resolved_at: dt.datetime | None,
) -> AlertWrite:
    """The alert's row showing ``finding``, seen ``now``."""
    return AlertWrite(
        pk=alert.pk,
        fingerprint=alert.fingerprint,
        state=state,
        severity=finding.severity,
        title=finding.title[:TITLE_LENGTH],
        explanation=finding.explanation,
        details=alert_details(finding),
        digest=finding.digest,
        last_seen=now,
        resolved_at=resolved_at,
        updated_at=now,
    )


def alerts_plan(
    *,
    findings: list[Finding],
    live: list[LiveAlert],
    changing: list[StoredAlert],
    resolved: list[StoredAlert],
    now: dt.datetime,
) -> AlertPlan:
    """Open an alert for each new finding, update the live ones whose finding changed,
    resolve those whose finding is gone, reopen resolved ones whose condition returned;
    every change gets a transition.

    ``live``: every live alert the evaluation speaks for; ``changing``: those of them
    ``alerts_to_read`` named, in full; ``resolved``: the latest resolved alert of the
    fingerprints it named, where there is one.
    """
    plan = AlertPlan()
    found = _by_fingerprint(findings)
    light = {a.fingerprint: a for a in live}
    full = {a.fingerprint: a for a in changing}
    reopenable = {a.fingerprint: a for a in resolved}
    opened: list[TransitionNote] = []
    opened_evidence: list[tuple[str, list[int]]] = []

    def note(fingerprint: str, kind: str, from_state: str, to: AlertWrite, comment: str) -> None:
        plan.transitions.append(
            TransitionNote(fingerprint, kind, from_state, to.state, to.severity, comment)
        )

    for fp, finding in found.items():
        if fp in light and light[fp].digest == finding.digest:
            if light[fp].seen_long_ago:
                plan.seen.append(light[fp].pk)
            continue  # unchanged
        if fp in light:
            alert = full[fp]
            row = _shown(alert, finding, now, state=alert.state, resolved_at=alert.resolved_at)
            plan.update.append(row)
            # The alert keeps the ids of its latest evidence in details; the M2M keeps them all.
            new_evidence = set(finding.evidence) - set(alert.details.get("evidence", []))
            text_changed = (alert.explanation, alert.details, alert.title) != (
                row.explanation,
                row.details,
                row.title,
            )
            before = alert.severity
            if not (new_evidence or text_changed or finding.severity != before):
                continue  # only the stored digest was out of date
            change = f"severity {before} → {finding.severity}"
            if finding.severity > before:
                note(fp, Kind.ESCALATED, alert.state, row, change)
            elif finding.severity < before:
                note(fp, Kind.DEESCALATED, alert.state, row, change)
            if new_evidence:
                note(
                    fp,
                    Kind.EVIDENCE_ADDED,
                    alert.state,
                    row,
                    f"{len(new_evidence)} new observation(s)",
                )
                plan.evidence.append((fp, sorted(new_evidence)))
            plan.updated += 1
        elif fp in reopenable:
            alert = reopenable[fp]
            if alert.resolved_by_person and not _news(alert, finding):
                continue
            row = _shown(alert, finding, now, state=State.OPEN, resolved_at=None)
            plan.update.append(row)
            note(fp, Kind.REOPENED, State.RESOLVED, row, "the condition returned")
            plan.evidence.append((fp, finding.evidence))
            plan.opened += 1
        else:
            new = AlertNew(
                finding=finding,
                title=finding.title[:TITLE_LENGTH],
                details=alert_details(finding),
                digest=finding.digest,
            )
            plan.create.append(new)
            opened.append(TransitionNote(fp, Kind.OPENED, "", State.OPEN, finding.severity))
            opened_evidence.append((fp, finding.evidence))
            plan.opened += 1

    for fp in light:
        if fp in found:
            continue
        alert = full[fp]
        row = AlertWrite(
            pk=alert.pk,
            fingerprint=fp,
            state=State.RESOLVED,
            severity=alert.severity,
            title=alert.title,
            explanation=alert.explanation,
            details=alert.details,
            digest=alert.digest,
            last_seen=alert.last_seen,
            resolved_at=now,
            updated_at=now,
        )
        plan.update.append(row)
        note(fp, Kind.AUTO_RESOLVED, alert.state, row, "the condition cleared")
        plan.resolved += 1

    # New alerts are inserted last, so their transitions come after the others'.
    plan.transitions.extend(opened)
    plan.evidence.extend(opened_evidence)
    return plan
