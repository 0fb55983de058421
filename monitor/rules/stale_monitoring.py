from django.db.models import Exists, OuterRef

from agreements.models import VerificationMechanism
from agreements.selectors import mechanism_active_at_q
from monitor.cadence import CadenceStatus, cadence_status
from monitor.models import Severity
from monitor.rules.base import CLAUSE_FIELDS, Finding, Rule, clause_label, long_date, register
from reports.selectors import archival_margin, mechanisms_with_last_covered


def _last(m: dict, *, as_of, known_at) -> str:
    """What the mechanism last covered, in words: "last covered up to 3 March 2026 (filed
    5 March 2026)"."""
    if m["last_covered"] is None:
        if known_at - as_of <= archival_margin():
            return "has filed no present-day report"
        return f"has no report covering any time up to {long_date(as_of)}"
    return f"last covered up to {long_date(m['last_covered'])} (filed {long_date(m['last_filed'])})"


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _every(interval) -> str:
    hours = interval.total_seconds() / 3600
    if hours % 24 == 0:
        days = int(hours // 24)
        return "every day" if days == 1 else f"every {days} days"
    return f"every {hours:g} hours"


@register
class StaleMonitoring(Rule):
    """Watched, but every mechanism covering it is overdue with its reports."""

    code = "clause.stale_monitoring"
    title = "Monitoring stale"
    description = (
        "Every active mechanism covering the clause has no report covering the time since "
        "its expected interval plus grace; archival reports count only for their own period."
    )
    default_severity = Severity.MODERATE
    time_based = True

    def find(self, *, clauses, as_of, known_at, params, severity):
        through = VerificationMechanism.clauses.through
        # Exists, not a join on the clauses: joining mechanism x clauses x reports before the
        # aggregate multiplies the rows by the number of clauses each mechanism covers.
        mechanisms = mechanisms_with_last_covered(
            mechanisms=VerificationMechanism.objects.filter(
                mechanism_active_at_q(as_of),
                Exists(
                    through.objects.filter(
                        verificationmechanism_id=OuterRef("pk"), clause__in=clauses
                    )
                ),
            ),
            as_of=as_of,
            known_at=known_at,
        ).values(
            "pk",
            "name",
            "reporting_interval",
            "grace",
            "active_from",
            "active_until",
            "last_covered",
            "last_filed",
        )
        info, fresh = {}, []
        for m in mechanisms:
            status = cadence_status(
                last=m["last_covered"],
                interval=m["reporting_interval"],
                grace=m["grace"],
                now=as_of,
                since=m["active_from"],
                until=m["active_until"],
            )
            info[m["pk"]] = m
            # An ended mechanism is not overdue: it no longer watches (clause.unmonitored's
            # business), and the active-period filters above already leave it out.
            if status != CadenceStatus.OVERDUE:
                fresh.append(m["pk"])
        covering = through.objects.filter(
            mechanism_active_at_q(as_of, "verificationmechanism__"), clause_id=OuterRef("pk")
        )
        rows = list(
            clauses.annotate(
                watched=Exists(covering),
                fresh=Exists(covering.filter(verificationmechanism_id__in=fresh)),
            )
            .filter(watched=True, fresh=False)
            .values(*CLAUSE_FIELDS)
        )
        links: dict[int, list[int]] = {}
        # Ordered, so the explanation reads the same on every run and the alert stays unchanged.
        for clause_id, mechanism_id in (
            through.objects.filter(
                clause_id__in=[r["pk"] for r in rows], verificationmechanism_id__in=list(info)
            )
            .order_by("clause_id", "verificationmechanism_id")
            .values_list("clause_id", "verificationmechanism_id")
        ):
            links.setdefault(clause_id, []).append(mechanism_id)
        findings = []
        for row in rows:
            parts = []
            for mechanism_id in links.get(row["pk"], []):
                m = info[mechanism_id]
                last = _last(m, as_of=as_of, known_at=known_at)
                parts.append(f"{m['name']} (expected {_every(m['reporting_interval'])}) {last}")
            findings.append(
                Finding(
                    rule=self.code,
                    clause_id=row["pk"],
                    agreement_id=row["agreement_id"],
                    severity=severity or self.default_severity,
                    title=f"Monitoring stale: {clause_label(row)}",
                    explanation=(
                        f"{clause_label(row)} is watched, but every mechanism covering "
                        f"it is overdue: {'; '.join(parts)}."
                    ),
                    details={
                        "mechanisms": [
                            {
                                "id": i,
                                "name": info[i]["name"],
                                "last_covered": _iso(info[i]["last_covered"]),
                                "last_filed": _iso(info[i]["last_filed"]),
                            }
                            for i in links.get(row["pk"], [])
                        ]
                    },
                )
            )
        return findings
