"""A clause's status, as text and as a code: now from the engine's live alerts, as of a past
moment (or with an earlier ``known_at``) from the rules evaluated then."""

import datetime as dt
from collections import defaultdict

from django.db.models import QuerySet
from django.utils import timezone

from agreements.models import Clause
from agreements.selectors import clauses_in_force
from monitor.selectors import alerts_live
from reports.models import Observation
from reports.selectors import observations_counted

# Most telling first: a clause that is violated is shown as violated even if also stale.
STATUS_BY_RULE = [
    ("clause.violation_recorded", "violated", "Violated"),
    ("clause.violation_surge", "violated", "Violated"),
    ("clause.deadline_missed", "deadline_missed", "Deadline missed"),
    ("clause.access_restricted", "not_verifiable", "Not verifiable (access restricted)"),
    ("clause.unmonitored", "unmonitored", "Unmonitored"),
    ("clause.stale_monitoring", "stale", "Monitoring stale"),
    ("clause.prerequisite_breached", "prerequisite_breached", "Prerequisite breached"),
    ("clause.single_source", "single_source", "Violations from a single source"),
]
STATUS_LABELS = {code: label for _, code, label in STATUS_BY_RULE} | {
    "complied": "Complied",
    "no_data": "No data",
    "not_in_force": "Not in force",  # not yet, or no longer (expired, terminated)
    # No longer in force at the end of the period, but violated within it (issue 14).
    "violated_before_end": "Violated (before it ended)",
}


def live_alert_rules(clause_ids: list[int]) -> dict[int, set[str]]:
    rules: dict[int, set[str]] = defaultdict(set)
    for clause_id, rule in (
        alerts_live().filter(clause_id__in=clause_ids).values_list("clause_id", "rule")
    ):
        rules[clause_id].add(rule)
    return rules


def status_from_rules(rules: set[str], *, in_force: bool, complied: bool) -> str:
    if not in_force:
        return "not_in_force"
    for rule, code, _ in STATUS_BY_RULE:
        if rule in rules:
            return code
    return "complied" if complied else "no_data"


def status_in_period(rules: set[str], *, in_force: bool, complied: bool, violations: int) -> str:
    """The status at the end of a period, except that a clause no longer in force then but
    with violations counted in the period reads "Violated (before it ended)": a period with
    violations never shows its clause as merely "Not in force"."""
    status = status_from_rules(rules, in_force=in_force, complied=complied)
    if status == "not_in_force" and violations > 0:
        return "violated_before_end"
    return status


def clauses_current_status(clauses: QuerySet[Clause] | list[Clause]) -> dict[int, str]:
    """Status codes for the given clauses from live alerts and compliance on record."""
    ids = [c.pk for c in clauses]
    now = timezone.now()
    in_force = set(
        clauses_in_force(Clause.objects.filter(pk__in=ids), now).values_list("pk", flat=True)
    )
    complied = set(
        observations_counted(now)
        .filter(clause_id__in=ids, kind=Observation.Kind.COMPLIANCE)
        .values_list("clause_id", flat=True)
        .distinct()
    )
    rules = live_alert_rules(ids)
    return {
        pk: status_from_rules(
            rules.get(pk, set()), in_force=pk in in_force, complied=pk in complied
        )
        for pk in ids
    }


def clauses_status_at(
    clauses: QuerySet[Clause] | list[Clause],
    *,
    as_of: dt.datetime | None = None,
    known_at: dt.datetime | None = None,
) -> dict[int, str]:
    """Status codes of ``clauses``: now from the live alerts; as of a past moment (or with an
    earlier ``known_at``) from one evaluation of the rules then, with what had been filed by
    ``known_at``, "violated_before_end" for one no longer in force with violations by then."""
    if as_of is None and known_at is None:
        return clauses_current_status(clauses)
    from monitor.services import rules_evaluate  # services sit above the status reads

    ids = [c.pk for c in clauses]
    known = known_at or timezone.now()
    moment = as_of or known
    rules: dict[int, set[str]] = defaultdict(set)
    for finding in rules_evaluate(as_of=moment, known_at=known, clause_ids=ids).findings:
        rules[finding.clause_id].add(finding.rule)
    scope = Clause.objects.filter(pk__in=ids)
    in_force = set(clauses_in_force(scope, moment).values_list("pk", flat=True))
    on_record = observations_counted(known).filter(clause_id__in=ids, occurred_at__lte=moment)
    complied = set(
        on_record.filter(kind=Observation.Kind.COMPLIANCE).values_list("clause_id", flat=True)
    )
    violated = set(
        on_record.filter(kind=Observation.Kind.VIOLATION).values_list("clause_id", flat=True)
    )
    return {
        pk: status_in_period(
            rules.get(pk, set()),
            in_force=pk in in_force,
            complied=pk in complied,
            violations=1 if pk in violated else 0,
        )
        for pk in ids
    }


def clause_status(
    *, clause: Clause, as_of: dt.datetime | None = None, known_at: dt.datetime | None = None
) -> str:
    """One clause's status code (``clauses_status_at`` of that clause alone)."""
    return clauses_status_at([clause], as_of=as_of, known_at=known_at)[clause.pk]
