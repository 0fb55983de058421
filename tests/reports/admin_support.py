"""Helpers of the reports admin tests: admin URLs and the forms as the browser posts them."""

import datetime as dt

from django.urls import reverse

from reports.models import Observation, Report

START = dt.datetime(2025, 3, 1, 6, 0, tzinfo=dt.UTC)
END = dt.datetime(2025, 3, 1, 18, 0, tzinfo=dt.UTC)


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def change_url(report: Report) -> str:
    return admin_url("reports_report_change", report.pk)


def observation_row(index: int, *, clause, **overrides) -> dict[str, str]:
    prefix = f"observations-{index}"
    row = {
        "kind": Observation.Kind.VIOLATION,
        "clause": str(clause.pk) if clause else "",
        "party": "",
        "occurred_at_0": "2025-03-01",
        "occurred_at_1": "09:30:00",
        "severity": "2",
        "quantity": "12",
        "place_name": "Checkpoint 4",
        "admin_area": "",
        "area": "",
        "latitude": "47.1",
        "longitude": "37.5",
        "description": "Twelve explosions heard.",
        "source": "patrol",
        "source_reliability": "B",
        "information_credibility": "2",
        "verification_status": Observation.Verification.UNVERIFIED,
        "evidence_urls": "[]",
        **overrides,
    }
    return {f"{prefix}-{key}": value for key, value in row.items()}


def report_form(*, mission, external_id: str, observations=(), initial: int = 0, **overrides):
    """The add/change form as the browser posts it, with the observations inline formset."""
    data = {
        "mission": str(mission.pk),
        "external_id": external_id,
        "period_start_0": "2025-03-01",
        "period_start_1": "06:00:00",
        "period_end_0": "2025-03-01",
        "period_end_1": "18:00:00",
        "title": "Daily report",
        "summary": "",
        "observations-TOTAL_FORMS": str(len(observations)),
        "observations-INITIAL_FORMS": str(initial),
        "observations-MIN_NUM_FORMS": "0",
        "observations-MAX_NUM_FORMS": "1000",
        "_save": "Save",
        **overrides,
    }
    for row in observations:
        data.update(row)
    return data


def existing_rows(report: Report) -> list[dict[str, str]]:
    rows = []
    for index, observation in enumerate(report.observations.all()):
        row = observation_row(index, clause=observation.clause, place_name=observation.place_name)
        row[f"observations-{index}-id"] = str(observation.pk)
        row[f"observations-{index}-report"] = str(report.pk)
        rows.append(row)
    return rows


def form_errors(response) -> str:
    """Form and inline errors of a re-rendered admin form, for assertion messages."""
    context = response.context
    errors = [str(context["adminform"].form.errors)]
    errors += [str(f.formset.errors) for f in context["inline_admin_formsets"]]
    return " ".join(errors)
