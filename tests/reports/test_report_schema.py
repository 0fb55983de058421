"""The published JSON Schema describes what the pipeline accepts."""

import json
import re
from pathlib import Path

import jsonschema
import pytest

from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.parsers.json_report import HEADER_FIELDS, ROW_FIELDS
from reports.serialize import report_as_json
from tests.factories import ObservationFactory, ReportFactory

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCHEMA = json.loads((DOCS / "report.schema.json").read_text())


def test_schema_names_exactly_the_fields_the_parser_accepts():
    assert set(SCHEMA["properties"]) == HEADER_FIELDS
    assert set(SCHEMA["$defs"]["observation"]["properties"]) == ROW_FIELDS


def test_documented_example_is_valid_and_is_ingested(world, observer_a):
    example = re.search(r"```json\n(.*?)```", (DOCS / "report-format.md").read_text(), re.S)
    document = json.loads(example.group(1))
    jsonschema.validate(document, SCHEMA)
    document.update(mission="mission-a", agreement="test-ceasefire")
    document["observations"][0]["party"] = None
    payload = payload_receive(
        body=json.dumps(document).encode(),
        content_type="application/json",
        format="json",
        channel="api",
        sender=observer_a,
    ).payload
    assert payload_ingest(payload_id=payload.pk) == "done"


@pytest.mark.django_db
def test_admin_draft_serialisation_validates_against_the_schema(world):
    report = ReportFactory(mission=world.mission_a)
    ObservationFactory(report=report, clause=world.clause_a, latitude=47.1, longitude=37.8)
    jsonschema.validate(json.loads(report_as_json(report)), SCHEMA)
