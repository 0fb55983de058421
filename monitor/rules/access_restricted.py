import datetime as dt

from django.db.models import Count, F, Max

from agreements.models import Clause
from monitor.models import Severity
from monitor.rules.base import CLAUSE_FIELDS, Finding, Rule, ago, clause_label, register
from monitor.rules.queries import latest_observation_ids
from reports.models import Observation
from reports.selectors import observations_counted


@register
class AccessRestricted(Rule):
    """Monitors were denied access on the clause or in its area within the window."""

    code = "clause.access_restricted"
    title = "Not verifiable, access restricted"
    description = (
        "Monitors reported restrictions of their access on the clause, or in one "
        "of its areas, within the last {window_days}: compliance cannot be verified there."
    )
    default_severity = Severity.MODERATE
    defaults = {"window_days": 14}
    time_based = True

    def find(self, *, clauses, as_of, known_at, params, severity):
        window = as_of - dt.timedelta(days=params["window_days"])
        restricted = observations_counted(known_at).filter(
            kind=Observation.Kind.ACCESS_RESTRICTED, occurred_at__gt=window, occurred_at__lte=as_of
        )
        on_clause = restricted.filter(clause__in=clauses)
        hits: dict[int, dict] = {}
        for c in (
            on_clause.values("clause_id")
            .annotate(n=Count("id"), last=Max("occurred_at"))
            .order_by()
        ):
            hits[c["clause_id"]] = {"n": c["n"], "last": c["last"], "areas": []}
        in_areas = {
            a["area_id"]: a
            for a in restricted.filter(area__isnull=False)
            .values("area_id", "area__name")
            .annotate(n=Count("id"), last=Max("occurred_at"))
            .order_by()
        }
        if in_areas:
            for clause_id, area_id in Clause.areas.through.objects.filter(
                clause__in=clauses, area_id__in=list(in_areas)
            ).values_list("clause_id", "area_id"):
                area = in_areas[area_id]
                hit = hits.setdefault(clause_id, {"n": 0, "last": area["last"], "areas": []})
                hit["n"] += area["n"]
                hit["last"] = max(hit["last"], area["last"])
                hit["areas"].append(area["area__name"])
            # A restriction recorded on the clause and in one of its areas was counted twice.
            for c in (
                on_clause.filter(area_id__in=list(in_areas), area__clauses=F("clause_id"))
                .values("clause_id")
                .annotate(n=Count("id"))
                .order_by()
            ):
                hits[c["clause_id"]]["n"] -= c["n"]
        if not hits:
            return []
        # Every clause of on_clause is in hits: no id list to send (it would be thousands long).
        evidence = latest_observation_ids(on_clause, per=["clause_id"])
        area_evidence = latest_observation_ids(
            restricted.filter(area_id__in=list(in_areas)), per=["area_id"]
        )
        area_ids = {a["area__name"]: i for i, a in in_areas.items()}
        findings = []
        for row in clauses.values(*CLAUSE_FIELDS):
            hit = hits.get(row["pk"])
            if hit is None:
                continue
            ids = list(evidence.get((row["pk"],), []))
            for name in hit["areas"]:
                ids += area_evidence.get((area_ids[name],), [])
            where = f" in {', '.join(sorted(set(hit['areas'])))}" if hit["areas"] else ""
            findings.append(
                Finding(
                    rule=self.code,
                    clause_id=row["pk"],
                    agreement_id=row["agreement_id"],
                    severity=severity or self.default_severity,
                    title=f"Not verifiable, access restricted: {clause_label(row)}",
                    explanation=(
                        f"Monitors reported {hit['n']} restriction(s) of access{where} bearing on "
                        f"{clause_label(row)} in the last {params['window_days']} days, the latest "
                        f"{ago(hit['last'], as_of)}: compliance cannot be verified there."
                    ),
                    evidence=sorted(set(ids), reverse=True)[:20],
                    details={"count": hit["n"], "areas": sorted(set(hit["areas"]))},
                )
            )
        return findings
