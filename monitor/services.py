"""Writes of the monitor: evaluating the rules, reconciling findings with alerts, and the
analysts' acknowledge / resolve."""

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from agreements.models import Agreement, Clause
from monitor.models import Alert, AlertTransition, EvaluationRun, RuleConfig
from monitor.rules import RULES, Finding, Rule
from monitor.scope import clauses_in_force, fetch_rows, with_dependents
from monitor.signals import transitions_recorded_on_commit

State = Alert.State
# last_seen of an unchanged live alert is refreshed at most this often: rewriting every live
# alert on every evaluation costs more than the precision is worth.
LAST_SEEN_RESOLUTION = dt.timedelta(hours=1)
Kind = AlertTransition.Kind
LIVE = [State.OPEN, State.ACKNOWLEDGED]

# Analysts' moves; the engine's own (auto-resolve, reopen) are written by reconcile.
ALERT_TRANSITIONS = {
    State.OPEN: {State.ACKNOWLEDGED, State.RESOLVED},
    State.ACKNOWLEDGED: {State.RESOLVED, State.OPEN},
    State.RESOLVED: set(),
}


@dataclass
class Evaluation:
    as_of: dt.datetime
    findings: list[Finding] = field(default_factory=list)
    per_rule: dict[str, int] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    agreements: list[int] = field(default_factory=list)
    clauses: int = 0
    opened: int = 0
    updated: int = 0
    resolved: int = 0


def _effective(rule: Rule, config: RuleConfig | None) -> tuple[bool, dict, int | None]:
    if config is None:
        return True, dict(rule.defaults), None
    params = {**rule.defaults, **{k: v for k, v in config.params.items() if k in rule.defaults}}
    return config.enabled, params, config.severity


def rules_evaluate(
    *,
    as_of: dt.datetime | None = None,
    agreement_codes: list[str] | None = None,
    clause_ids: list[int] | None = None,
    rules: list[str] | None = None,
) -> Evaluation:
    """Run the rules over the clauses in scope and return the findings; writes nothing.

    Each rule runs one set-based query (a few at most) per distinct parameter set, whatever
    the number of clauses.
    """
    as_of = as_of or timezone.now()
    scope = Clause.objects.all()
    if agreement_codes:
        scope = scope.filter(agreement__code__in=agreement_codes)
    if clause_ids is not None:
        scope = scope.filter(pk__in=clause_ids)
    agreements = list(
        Agreement.objects.filter(pk__in=scope.values("agreement_id")).values_list("pk", flat=True)
    )
    configs = {
        (c.agreement_id, c.rule): c for c in RuleConfig.objects.filter(agreement_id__in=agreements)
    }
    in_force = clauses_in_force(scope, as_of)
    result = Evaluation(as_of=as_of, agreements=agreements)
    with transaction.atomic():
        _work_mem()
        _evaluate(result, in_force, agreements, configs, rules, as_of)
    result.clauses = scope.count()
    return result


def _work_mem() -> None:
    """Room for the sorts of the grouped rule queries, for this transaction only: with the
    default 4 MB a full evaluation's groups spill to disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")


def _evaluate(
    result: Evaluation,
    in_force: QuerySet[Clause],
    agreements: list[int],
    configs: dict[tuple[int, str], RuleConfig],
    rules: list[str] | None,
    as_of: dt.datetime,
) -> None:
    for code, rule in RULES.items():
        if rules and code not in rules:
            continue
        groups: dict[tuple, list[int]] = defaultdict(list)
        for agreement_id in agreements:
            enabled, params, severity = _effective(rule, configs.get((agreement_id, code)))
            if enabled:
                groups[(tuple(sorted(params.items())), severity)].append(agreement_id)
        result.rules.append(code)
        found = 0
        for (params, severity), agreement_ids in groups.items():
            clauses = in_force.filter(agreement_id__in=agreement_ids)
            findings = rule.find(
                clauses=clauses, as_of=as_of, params=dict(params), severity=severity
            )
            result.findings.extend(findings)
            found += len(findings)
        result.per_rule[code] = found


def _lock() -> None:
    """Serialise every transaction that writes alert transitions.

    Two reasons. Reconciliations must not race (the partial unique index is the guarantee
    underneath). And the change feed pages by transition id: ids are drawn at insert, not at
    commit, so without this a transaction that commits late could publish an id below a
    cursor a consumer already holds. With writers serialised, ids become visible in order.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('accord-monitor-reconcile'))")


@transaction.atomic
def alerts_reconcile(*, evaluation: Evaluation, clause_ids: list[int] | None = None) -> Evaluation:
    """Turn findings into alerts: open new ones, update live ones, resolve the cleared ones,
    reopen resolved ones whose condition returned; every change gets a transition row."""
    _lock()
    now = evaluation.as_of
    findings = {f.fingerprint: f for f in evaluation.findings}
    # Live alerts this evaluation speaks for: its rules, its agreements (a rule switched off
    # for an agreement clears its alerts there) and, when incremental, its clauses.
    live_q = Alert.objects.filter(
        state__in=LIVE, rule__in=evaluation.rules, agreement_id__in=evaluation.agreements
    )
    if clause_ids is not None:
        live_q = live_q.filter(clause_id__in=clause_ids)
    # Two steps, so a steady state with tens of thousands of live alerts stays cheap: first
    # a light row per alert (its digest), then full rows only for those that change.
    # last_seen is compared in SQL: reading tens of thousands of timestamps costs more.
    seen_long_ago = ExpressionWrapper(
        Q(last_seen__lte=now - LAST_SEEN_RESOLUTION), output_field=BooleanField()
    )
    light = {
        fp: (pk, digest, stale)
        for pk, fp, digest, stale in fetch_rows(
            live_q.annotate(stale=seen_long_ago).values_list("id", "fingerprint", "digest", "stale")
        )
    }
    digests = {fp: _digest(f) for fp, f in findings.items()}
    gone = set(light) - set(findings)
    moving = [light[fp][0] for fp in findings if fp in light and light[fp][1] != digests[fp]]
    live = {
        a.fingerprint: a
        for a in Alert.objects.filter(pk__in=moving + [light[fp][0] for fp in gone])
    }
    stale_seen = [
        pk
        for fp, (pk, digest, stale) in light.items()
        if stale and fp in findings and digest == digests[fp]
    ]
    reopenable = {}
    missing = [fp for fp in findings if fp not in light]
    if missing:
        for alert in Alert.objects.filter(fingerprint__in=missing, state=State.RESOLVED).order_by(
            "fingerprint", "-resolved_at", "-id"
        ):
            reopenable.setdefault(alert.fingerprint, alert)
    # Alerts a person resolved (not the engine): the resolve is a judgement on what was seen,
    # so it holds until something new is seen (new evidence, or a higher severity).
    resolved_by_person = set(
        AlertTransition.objects.filter(
            alert_id__in=[a.pk for a in reopenable.values()],
            kind=Kind.RESOLVED,
            at__gte=F("alert__resolved_at"),
        ).values_list("alert_id", flat=True)
    )
    created: list[tuple[Alert, Finding]] = []
    changed: list[Alert] = []
    transitions: list[AlertTransition] = []
    evidence_rows: list[tuple[Alert, list[int]]] = []

    def note(alert: Alert, kind: str, from_state: str, comment: str = "") -> None:
        transitions.append(
            AlertTransition(
                alert=alert,
                kind=kind,
                from_state=from_state,
                to_state=alert.state,
                severity=alert.severity,
                comment=comment,
                at=now,
            )
        )

    for fp, finding in findings.items():
        if fp in light and fp not in live:
            continue  # unchanged: at most last_seen moves, below
        alert = live.get(fp)
        if alert is None and fp in reopenable:
            alert = reopenable[fp]
            if alert.pk in resolved_by_person and not _news(alert, finding):
                continue
            _apply(alert, finding, now)
            alert.state, alert.resolved_at = State.OPEN, None
            changed.append(alert)
            note(alert, Kind.REOPENED, State.RESOLVED, "the condition returned")
            evidence_rows.append((alert, finding.evidence))
            evaluation.opened += 1
            continue
        if alert is None:
            alert = Alert(
                fingerprint=fp,
                state=State.OPEN,
                first_seen=now,
                last_seen=now,
                rule=finding.rule,
                clause_id=finding.clause_id,
                agreement_id=finding.agreement_id,
                party_id=finding.party_id,
                area_id=finding.area_id,
                severity=finding.severity,
                title=finding.title[:300],
                explanation=finding.explanation,
                details=_details(finding),
                digest=digests[fp],
            )
            created.append((alert, finding))
            evaluation.opened += 1
            continue
        before = alert.severity
        # The alert keeps the ids of its latest evidence in details; the M2M keeps them all.
        new_evidence = set(finding.evidence) - set(alert.details.get("evidence", []))
        text_changed = (alert.explanation, alert.details, alert.title) != (
            finding.explanation,
            _details(finding),
            finding.title[:300],
        )
        if not (new_evidence or text_changed or finding.severity != before):
            _apply(alert, finding, now)  # only the stored digest was out of date
            changed.append(alert)
            continue
        _apply(alert, finding, now)
        changed.append(alert)
        if finding.severity > before:
            note(alert, Kind.ESCALATED, alert.state, f"severity {before} → {finding.severity}")
        elif finding.severity < before:
            note(alert, Kind.DEESCALATED, alert.state, f"severity {before} → {finding.severity}")
        if new_evidence:
            note(alert, Kind.EVIDENCE_ADDED, alert.state, f"{len(new_evidence)} new observation(s)")
            evidence_rows.append((alert, sorted(new_evidence)))
        evaluation.updated += 1

    for fp in gone:
        alert = live[fp]
        from_state = alert.state
        # updated_at by hand: the batched UPDATE bypasses auto_now, and ?changed_since= reads it.
        alert.state, alert.resolved_at, alert.updated_at = State.RESOLVED, now, now
        changed.append(alert)
        note(alert, Kind.AUTO_RESOLVED, from_state, "the condition cleared")
        evaluation.resolved += 1

    if created:
        Alert.objects.bulk_create([a for a, _ in created], batch_size=1000)
        for alert, finding in created:
            transitions.append(
                AlertTransition(
                    alert=alert,
                    kind=Kind.OPENED,
                    from_state="",
                    to_state=State.OPEN,
                    severity=alert.severity,
                    comment="",
                    at=now,
                )
            )
            evidence_rows.append((alert, finding.evidence))
    _save_changed(changed)
    if stale_seen:
        Alert.objects.filter(pk__in=stale_seen).update(last_seen=now)
    AlertTransition.objects.bulk_create(transitions, batch_size=2000)
    through = Alert.evidence.through
    through.objects.bulk_create(
        [
            through(alert_id=alert.pk, observation_id=obs)
            for alert, ids in evidence_rows
            for obs in ids
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    transitions_recorded_on_commit([t.pk for t in transitions])
    return evaluation


def _save_changed(alerts: list[Alert]) -> None:
    """One UPDATE per changed alert, sent as a single batch (executemany).

    Django's bulk_update builds a CASE expression per field and row, which takes seconds
    for thousands of alerts; a parameterised statement run many times takes milliseconds.
    """
    if not alerts:
        return
    sql = (
        f"UPDATE {Alert._meta.db_table} SET state = %s, severity = %s, title = %s, "  # noqa: S608
        "explanation = %s, details = %s, digest = %s, last_seen = %s, resolved_at = %s, "
        "updated_at = %s WHERE id = %s"
    )
    details = Alert._meta.get_field("details")
    rows = [
        (
            a.state,
            a.severity,
            a.title,
            a.explanation,
            details.get_db_prep_value(a.details, connection),
            a.digest,
            a.last_seen,
            a.resolved_at,
            a.updated_at,
            a.pk,
        )
        for a in alerts
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _news(alert: Alert, finding: Finding) -> bool:
    """Whether a finding shows more than the alert did when it was resolved."""
    seen = set(alert.details.get("evidence", []))
    return bool(set(finding.evidence) - seen) or finding.severity > alert.severity


def _details(finding: Finding) -> dict:
    return {**finding.details, "evidence": finding.evidence}


def _digest(finding: Finding) -> str:
    """What an alert shows, hashed: equal digests mean nothing to write."""
    # repr, not JSON: the details are plain values built in a fixed order, and a digest is
    # only ever compared with one this code made (a change of code rewrites alerts once).
    content = (finding.title[:300], finding.explanation, finding.severity, finding.details)
    return hashlib.sha1(
        repr((content, finding.evidence)).encode(), usedforsecurity=False
    ).hexdigest()


def _apply(alert: Alert, finding: Finding, now: dt.datetime) -> None:
    alert.severity = finding.severity
    alert.title = finding.title[:300]
    alert.explanation = finding.explanation
    alert.details = _details(finding)
    alert.digest = _digest(finding)
    alert.last_seen = now
    alert.updated_at = now


def rules_run(
    *,
    trigger: str,
    agreement_codes: list[str] | None = None,
    clause_ids: list[int] | None = None,
    note: dict | None = None,
) -> EvaluationRun:
    """Evaluate now and reconcile alerts; recorded as an EvaluationRun (``note`` joins its
    summary).

    With ``clause_ids`` (after an ingest) the clauses that depend on them are evaluated too.
    """
    started = timezone.now()
    if clause_ids is not None:
        clause_ids = with_dependents(clause_ids)
    evaluation = rules_evaluate(
        as_of=started, agreement_codes=agreement_codes, clause_ids=clause_ids
    )
    alerts_reconcile(evaluation=evaluation, clause_ids=clause_ids)
    return EvaluationRun.objects.create(
        trigger=trigger,
        started_at=started,
        finished_at=timezone.now(),
        as_of=started,
        clauses=evaluation.clauses,
        findings=len(evaluation.findings),
        opened=evaluation.opened,
        updated=evaluation.updated,
        resolved=evaluation.resolved,
        summary={
            "per_rule": evaluation.per_rule,
            "agreements": agreement_codes or "all",
            "clause_ids": clause_ids[:100] if clause_ids else None,
            **(note or {}),
        },
    )


@transaction.atomic
def alert_set_state(*, alert: Alert, state: str, by: AbstractBaseUser, comment: str = "") -> Alert:
    """An analyst acknowledges, resolves or re-opens an alert; the move is recorded."""
    _lock()  # transitions are written one transaction at a time (the change feed relies on it)
    current = Alert.objects.select_for_update().get(pk=alert.pk)
    if state not in ALERT_TRANSITIONS[current.state]:
        raise ValidationError(f"An alert that is {current.state} cannot become {state}.")
    if state == State.RESOLVED and not comment.strip():
        raise ValidationError("Say why the alert is resolved: the comment is the record.")
    now = timezone.now()
    kind = {
        State.ACKNOWLEDGED: Kind.ACKNOWLEDGED,
        State.RESOLVED: Kind.RESOLVED,
        State.OPEN: Kind.REOPENED,
    }[state]
    Alert.objects.filter(pk=alert.pk).update(
        state=state, updated_at=now, resolved_at=now if state == State.RESOLVED else None
    )
    transition = AlertTransition.objects.create(
        alert=alert,
        kind=kind,
        from_state=current.state,
        to_state=state,
        severity=current.severity,
        by=by,
        comment=comment,
        at=now,
    )
    transitions_recorded_on_commit([transition.pk])
    alert.refresh_from_db()
    return alert
