from django.db.models import Exists, OuterRef

from agreements.models import VerificationMechanism
from agreements.selectors import mechanism_active_q
from monitor.cadence import CadenceStatus, cadence_status
from monitor.models import Severity
from monitor.rules.base import CLAUSE_FIELDS, Finding, Rule, ago, clause_label, register
from reports.selectors import mechanisms_with_last_filed


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
    title = "Monitoring has gone quiet"
    description = (
        "Every active mechanism covering the clause has filed nothing within its "
        "expected interval plus grace."
    )
    default_severity = Severity.MODERATE
    time_based = True

    def find(self, *, clauses, as_of, known_at, params, severity):
        day = as_of.date()
        through = VerificationMechanism.clauses.through
        # Exists, not a join on the clauses: joining mechanism x clauses x reports before the
        # aggregate multiplies the rows by the number of clauses each mechanism covers.
        mechanisms = mechanisms_with_last_filed(
            mechanisms=VerificationMechanism.objects.filter(
                mechanism_active_q(day),
                Exists(
                    through.objects.filter(
                        verificationmechanism_id=OuterRef("pk"), clause__in=clauses
                    )
                ),
            ),
            as_of=as_of,
        ).values("pk", "name", "reporting_interval", "grace", "active_from", "last_filed")
        info, fresh = {}, []
        for m in mechanisms:
            status = cadence_status(
                last=m["last_filed"],
                interval=m["reporting_interval"],
                grace=m["grace"],
                now=as_of,
                since=m["active_from"],
            )
            info[m["pk"]] = m
            if status != CadenceStatus.OVERDUE:
                fresh.append(m["pk"])
        covering = through.objects.filter(
            mechanism_active_q(day, "verificationmechanism__"), clause_id=OuterRef("pk")
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
                last = (
                    f"last filed {ago(m['last_filed'], as_of)}"
                    if m["last_filed"]
                    else "has never filed a report"
                )
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
                                "last_filed": info[i]["last_filed"].isoformat()
                                if info[i]["last_filed"]
                                else None,
                            }
                            for i in links.get(row["pk"], [])
                        ]
                    },
                )
            )
        return findings
