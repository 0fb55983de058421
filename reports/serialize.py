"""A report in the project's JSON report format (the format the API accepts)."""

import json

from reports.models import Observation, Report


def observation_as_dict(observation: Observation) -> dict:
    clause = observation.clause
    data = {
        "kind": observation.kind,
        "clause": f"{clause.agreement.code}:{clause.reference}" if clause else None,
        "party": observation.party.code if observation.party else None,
        "occurred_at": observation.occurred_at.isoformat(),
        "place_name": observation.place_name,
        "admin_area": observation.admin_area or (observation.area.name if observation.area else ""),
        "latitude": observation.latitude,
        "longitude": observation.longitude,
        "quantity": observation.quantity,
        "severity": observation.severity,
        "description": observation.description,
        "evidence_urls": observation.evidence_urls,
        "source": observation.source,
        "source_reliability": observation.source_reliability,
        "information_credibility": observation.information_credibility,
        "verification_status": observation.verification_status,
        "attributes": observation.attributes,
    }
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def report_as_json(report: Report) -> bytes:
    observations = report.observations.select_related("clause__agreement", "party", "area")
    document = {
        "format": "accord-monitor/report/v1",
        "mission": report.mission.code,
        "external_id": report.external_id,
        "period": {"start": report.period_start.isoformat(), "end": report.period_end.isoformat()},
        "title": report.title,
        "summary": report.summary,
        "observations": [observation_as_dict(o) for o in observations.order_by("sequence", "id")],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()
