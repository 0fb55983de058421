"""Writes of the monitor: evaluating the rules, reconciling findings with alerts, and the
analysts' acknowledge / resolve."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from agreements.models import Agreement, Clause
from agreements.selectors import clauses_in_force
from core.db import fetch_rows
from monitor.clocks import clocks_check, evaluation_is_retrospective
from monitor.models import Alert, AlertTransition, EvaluationRun, RuleConfig
from monitor.reconcile import (
    AlertPlan,
    AlertWrite,
    LiveAlert,
    StoredAlert,
    alerts_plan,
    alerts_to_read,
)
from monitor.rules import RULES, Finding, Rule
from monitor.rules.base import findings_date
from monitor.rules.queries import clause_ids_with_dependents
from monitor.selectors import alerts_live, alerts_retrospective
from monitor.signals import transitions_recorded_on_commit

State = Alert.State
# last_seen of an unchanged live alert is refreshed at most this often: rewriting every live
# alert on every evaluation costs more than the precision is worth.
LAST_SEEN_RESOLUTION = dt.timedelta(hours=1)
Kind = AlertTransition.Kind

# Analysts' moves; the engine's own (auto-resolve, reopen) are written by reconcile.
ALERT_TRANSITIONS = {
    State.OPEN: {State.ACKNOWLEDGED, State.RESOLVED},
    State.ACKNOWLEDGED: {State.RESOLVED, State.OPEN},
    State.RESOLVED: set(),
}


@dataclass
class Evaluation:
    as_of: dt.datetime  # the moment the picture describes
    known_at: dt.datetime  # which filings count
    findings: list[Finding] = field(default_factory=list)
    # Retrospective findings are dated once, in place, when their alerts are reconciled.
    dated: bool = False
    per_rule: dict[str, int] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    agreements: list[int] = field(default_factory=list)
    clauses: int = 0
    opened: int = 0
    updated: int = 0
    resolved: int = 0

    @property
    def retrospective(self) -> bool:
        """About a past moment: its findings become retrospective alerts (``describes``)."""
        return evaluation_is_retrospective(as_of=self.as_of, known_at=self.known_at)


def _effective(rule: Rule, config: RuleConfig | None) -> tuple[bool, dict[str, Any], int | None]:
    if config is None:
        return True, dict(rule.defaults), None
    params = {**rule.defaults, **{k: v for k, v in config.params.items() if k in rule.defaults}}
    return config.enabled, params, config.severity


def rules_evaluate(
    *,
    as_of: dt.datetime | None = None,
    known_at: dt.datetime | None = None,
    agreement_codes: list[str] | None = None,
    clause_ids: list[int] | None = None,
    rules: list[str] | None = None,
) -> Evaluation:
    """Run the rules over the clauses in scope and return the findings; writes nothing.

    ``as_of`` is the moment the picture describes, ``known_at`` which filings count (default
    now, so archival reports filed today count for the past they describe; docs/time.md).
    Each rule runs one set-based query (a few at most) per distinct parameter set, whatever
    the number of clauses.
    """
    known_at = known_at or timezone.now()
    as_of = as_of or known_at
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
    result = Evaluation(as_of=as_of, known_at=known_at, agreements=agreements)
    with transaction.atomic():
        _work_mem()
        _evaluate(result, in_force, agreements, configs, rules)
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
) -> None:
    for code, rule in RULES.items():
        if rules and code not in rules:
            continue
        groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for agreement_id in agreements:
            enabled, params, severity = _effective(rule, configs.get((agreement_id, code)))
            if enabled:
                groups[(tuple(sorted(params.items())), severity)].append(agreement_id)
        result.rules.append(code)
        found = 0
        for (params, severity), agreement_ids in groups.items():
            clauses = in_force.filter(agreement_id__in=agreement_ids)
            findings = rule.find(
                clauses=clauses,
                as_of=result.as_of,
                known_at=result.known_at,
                params=dict(params),
                severity=severity,
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
    reopen resolved ones whose condition returned; every change gets a transition row.

    A retrospective evaluation (``Evaluation.retrospective``) does the same with the
    retrospective alerts about its ``as_of`` only (``describes``), seen at its ``known_at``,
    and never touches a live alert; a live one never touches a retrospective alert.
    Reads what the plan needs, plans (``monitor.reconcile``), writes the plan.
    """
    _lock()
    findings = evaluation.findings
    describes: dt.datetime | None = None
    now = evaluation.as_of
    if evaluation.retrospective:
        describes, now = evaluation.as_of, evaluation.known_at
        if not evaluation.dated:
            findings_date(findings, describes)
            evaluation.dated = True
    followed = _followed_alerts(
        evaluation=evaluation, clause_ids=clause_ids, now=now, describes=describes
    )
    wanted = alerts_to_read(findings=findings, live=followed)
    plan = alerts_plan(
        findings=findings,
        live=followed,
        changing=_stored_alerts(pks=wanted.changing),
        resolved=_latest_resolved_alerts(fingerprints=wanted.returning, describes=describes),
        now=now,
    )
    transitions = _plan_write(plan=plan, now=now, describes=describes)
    transitions_recorded_on_commit([t.pk for t in transitions])
    evaluation.opened += plan.opened
    evaluation.updated += plan.updated
    evaluation.resolved += plan.resolved
    return evaluation


def _followed_alerts(
    *,
    evaluation: Evaluation,
    clause_ids: list[int] | None,
    now: dt.datetime,
    describes: dt.datetime | None,
) -> list[LiveAlert]:
    """The alerts this evaluation speaks for, not resolved: its rules, its agreements (a rule
    switched off for an agreement clears its alerts there) and, when incremental, its
    clauses; live ones, or the retrospective ones about ``describes``. A light row each."""
    if describes is None:
        followed = alerts_live()
    else:
        followed = alerts_retrospective().filter(describes=describes, state__in=Alert.LIVE_STATES)
    live_q = followed.filter(rule__in=evaluation.rules, agreement_id__in=evaluation.agreements)
    if clause_ids is not None:
        live_q = live_q.filter(clause_id__in=clause_ids)
    # last_seen is compared in SQL: reading tens of thousands of timestamps costs more.
    seen_long_ago = ExpressionWrapper(
        Q(last_seen__lte=now - LAST_SEEN_RESOLUTION), output_field=BooleanField()
    )
    return [
        LiveAlert(*row)
        for row in fetch_rows(
            live_q.annotate(stale=seen_long_ago).values_list("id", "fingerprint", "digest", "stale")
        )
    ]


STORED_FIELDS = [
    "pk",
    "fingerprint",
    "state",
    "severity",
    "title",
    "explanation",
    "details",
    "digest",
    "last_seen",
    "resolved_at",
]


def _stored_alerts(*, pks: list[int]) -> list[StoredAlert]:
    if not pks:
        return []
    return [
        StoredAlert(*row) for row in Alert.objects.filter(pk__in=pks).values_list(*STORED_FIELDS)
    ]


def _latest_resolved_alerts(
    *, fingerprints: list[str], describes: dt.datetime | None
) -> list[StoredAlert]:
    """The latest resolved alert of each fingerprint (live ones, or the retrospective ones
    about ``describes``), and whether a person resolved it."""
    if not fingerprints:
        return []
    latest: dict[str, StoredAlert] = {}
    for row in (
        Alert.objects.filter(fingerprint__in=fingerprints, state=State.RESOLVED)
        .filter(Q(describes__isnull=True) if describes is None else Q(describes=describes))
        .order_by("fingerprint", "-resolved_at", "-id")
        .values_list(*STORED_FIELDS)
    ):
        if row[1] not in latest:
            latest[row[1]] = StoredAlert(*row)
    by_person = set(
        AlertTransition.objects.filter(
            alert_id__in=[alert.pk for alert in latest.values()],
            kind=Kind.RESOLVED,
            at__gte=F("alert__resolved_at"),
        ).values_list("alert_id", flat=True)
    )
    return [replace(alert, resolved_by_person=alert.pk in by_person) for alert in latest.values()]


def _plan_write(
    *, plan: AlertPlan, now: dt.datetime, describes: dt.datetime | None
) -> list[AlertTransition]:
    """Write a reconciliation's plan (new alerts about ``describes``, None for live ones);
    returns the transitions recorded."""
    created = [
        Alert(
            fingerprint=new.finding.fingerprint,
            describes=describes,
            state=State.OPEN,
            first_seen=now,
            last_seen=now,
            rule=new.finding.rule,
            clause_id=new.finding.clause_id,
            agreement_id=new.finding.agreement_id,
            party_id=new.finding.party_id,
            area_id=new.finding.area_id,
            severity=new.finding.severity,
            title=new.title,
            explanation=new.finding.explanation,
            details=new.details,
            digest=new.digest,
        )
        for new in plan.create
    ]
    if created:
        Alert.objects.bulk_create(created, batch_size=1000)
    _save_changed(plan.update)
    if plan.seen:
        Alert.objects.filter(pk__in=plan.seen).update(last_seen=now)
    pks = {row.fingerprint: row.pk for row in plan.update} | {
        alert.fingerprint: alert.pk for alert in created
    }
    transitions = [
        AlertTransition(
            alert_id=pks[note.fingerprint],
            kind=note.kind,
            from_state=note.from_state,
            to_state=note.to_state,
            severity=note.severity,
            comment=note.comment,
            at=now,
        )
        for note in plan.transitions
    ]
    AlertTransition.objects.bulk_create(transitions, batch_size=2000)
    through = Alert.evidence.through
    through.objects.bulk_create(
        [
            through(alert_id=pks[fingerprint], observation_id=obs)
            for fingerprint, ids in plan.evidence
            for obs in ids
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    return transitions


def _save_changed(alerts: list[AlertWrite]) -> None:
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


def rules_run(
    *,
    trigger: str,
    as_of: dt.datetime | None = None,
    known_at: dt.datetime | None = None,
    agreement_codes: list[str] | None = None,
    clause_ids: list[int] | None = None,
    note: dict[str, Any] | None = None,
) -> EvaluationRun:
    """Evaluate and reconcile alerts; recorded as an EvaluationRun (``note`` joins its
    summary).

    Both clocks default to now. An ``as_of`` in the past (``evaluation_is_retrospective``)
    makes retrospective alerts about that moment, seen at ``known_at``; otherwise the live
    alerts are reconciled, which only the present may do (``known_at`` now). With
    ``clause_ids`` (after an ingest) the clauses that depend on them are evaluated too.
    """
    started = timezone.now()
    known_at = known_at or started
    as_of = as_of or known_at
    clocks_check(as_of=as_of, known_at=known_at, now=started)
    if clause_ids is not None:
        clause_ids = clause_ids_with_dependents(clause_ids=clause_ids)
    evaluation = rules_evaluate(
        as_of=as_of, known_at=known_at, agreement_codes=agreement_codes, clause_ids=clause_ids
    )
    alerts_reconcile(evaluation=evaluation, clause_ids=clause_ids)
    return evaluation_record(
        evaluation=evaluation,
        trigger=trigger,
        started=started,
        agreement_codes=agreement_codes,
        clause_ids=clause_ids,
        note=note,
    )


def evaluation_record(
    *,
    evaluation: Evaluation,
    trigger: str,
    started: dt.datetime,
    agreement_codes: list[str] | None = None,
    clause_ids: list[int] | None = None,
    queries: int | None = None,
    note: dict[str, Any] | None = None,
) -> EvaluationRun:
    """Record a reconciled evaluation: both clocks, what it found and what it changed."""
    return EvaluationRun.objects.create(
        trigger=trigger,
        started_at=started,
        finished_at=timezone.now(),
        as_of=evaluation.as_of,
        known_at=evaluation.known_at,
        retrospective=evaluation.retrospective,
        clauses=evaluation.clauses,
        findings=len(evaluation.findings),
        opened=evaluation.opened,
        updated=evaluation.updated,
        resolved=evaluation.resolved,
        queries=queries,
        summary={
            "per_rule": evaluation.per_rule,
            "agreements": agreement_codes or "all",
            "clause_ids": clause_ids[:100] if clause_ids else None,
            **(note or {}),
        },
    )


@transaction.atomic
def alert_set_state(*, alert: Alert, state: str, by: User, comment: str = "") -> Alert:
    """An analyst acknowledges, resolves or re-opens an alert; the move is recorded."""
    _lock()  # transitions are written one transaction at a time (the change feed relies on it)
    current = Alert.objects.select_for_update().get(pk=alert.pk)
    if state not in ALERT_TRANSITIONS[State(current.state)]:
        raise ValidationError(f"An alert that is {current.state} cannot become {state}.")
    if state == State.RESOLVED and not comment.strip():
        raise ValidationError("Say why the alert is resolved: the comment is the record.")
    now = timezone.now()
    kind = {
        State.ACKNOWLEDGED: Kind.ACKNOWLEDGED,
        State.RESOLVED: Kind.RESOLVED,
        State.OPEN: Kind.REOPENED,
    }[State(state)]
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


@transaction.atomic
def alert_comment(*, alert: Alert, by: User, comment: str) -> AlertTransition:
    """A note on an alert's record, its state unchanged (a COMMENTED transition, which the
    change feed and the webhooks skip: they publish changes of state)."""
    if not comment.strip():
        raise ValidationError("Write the comment: an empty one records nothing.")
    _lock()  # transitions are written one transaction at a time (the change feed relies on it)
    current = Alert.objects.select_for_update().get(pk=alert.pk)
    return AlertTransition.objects.create(
        alert=current,
        kind=Kind.COMMENTED,
        from_state=current.state,
        to_state=current.state,
        severity=current.severity,
        by=by,
        comment=comment.strip(),
        at=timezone.now(),
    )
