"""Structured logs: the request id (the caller's if well-formed, else a new one) is echoed,
on every JSON log line of the request, and in the headers of the tasks the request publishes;
a task run carries it on, with its own task id."""

import copy
import io
import json
import logging.config
import re

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from kombu import Connection

from reports.models import InboundPayload
from reports.tasks import payload_ingest, payloads_requeue
from tests.config.conftest import broker_at
from tests.integration.test_ingest_workers import report_body

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log():
    """The project's LOGGING with the JSON format, writing to a buffer; the lines, parsed."""
    config = copy.deepcopy(django_settings.LOGGING)
    buffer = io.StringIO()
    config["handlers"]["console"].update(formatter="json", stream=buffer)
    config["filters"]["context"]["default"] = None
    config["loggers"]["reports.ingest"] = {"level": "INFO"}
    logging.config.dictConfig(config)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    yield lines
    logging.config.dictConfig(django_settings.LOGGING)


# --- the header -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "incoming", ["abc-123", "0f8fad5b-d9cb-469f-a165-70867728950e", "lb:1.2_x", "a" * 128]
)
def test_a_well_formed_incoming_request_id_is_honoured(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "garbage",
    ["", "has space", "line\nbreak", "a" * 129, "-leading-dash", 'quote"d', "ünïcode", "a;b"],
)
def test_a_malformed_request_id_is_replaced(client, garbage):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=garbage)
    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_without_a_request_id_each_request_gets_its_own(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second)
    assert first != second


# --- the log lines ------------------------------------------------------------------------------


def test_every_log_line_of_a_request_is_json_with_its_request_id(client, json_log):
    logging.getLogger("accord.test").warning("before the request")
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-404-check")
    assert response.status_code == 404
    logging.getLogger("accord.test").warning("after the request")

    before, during, after = json_log()
    assert during["logger"] == "django.request"
    assert during["level"] == "WARNING"
    assert "Not Found" in during["message"]
    assert during["request_id"] == "req-404-check"
    assert during["time"]
    assert before["request_id"] is None and after["request_id"] is None


def test_the_text_format_names_the_request_too(client, capsys):
    config = copy.deepcopy(django_settings.LOGGING)
    buffer = io.StringIO()
    config["handlers"]["console"].update(formatter="text", stream=buffer)
    config["filters"]["context"]["default"] = "-"
    logging.config.dictConfig(config)
    try:
        client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-text")
    finally:
        logging.config.dictConfig(django_settings.LOGGING)
    assert "WARNING django.request [req-text -] Not Found: /no-such-page/" in buffer.getvalue()


def test_the_log_format_setting_fails_loudly(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import config.settings

    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        importlib.reload(config.settings)
    monkeypatch.delenv("LOG_FORMAT")
    importlib.reload(config.settings)


# --- through Celery -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the doorbell rings on commit, inside the request
def test_the_task_a_request_publishes_carries_its_request_id(client_for, observer_a):
    with broker_at("memory://"):
        response = client_for(observer_a).post(
            reverse("api:report-submit"),
            report_body("RID-1", 2),
            content_type="application/json",
            HTTP_X_REQUEST_ID="upload-req-42",
        )
        assert response.status_code == 202, response.content
        assert response["X-Request-ID"] == "upload-req-42"
        with Connection("memory://") as conn:
            message = conn.SimpleQueue("ingest").get(timeout=2)
    assert message.headers["task"] == "reports.payload_ingest"
    assert message.headers["request_id"] == "upload-req-42"
    assert message.decode()[0] == [response.json()["payload_id"]]


def test_a_task_published_outside_a_request_has_no_request_id():
    with broker_at("memory://"):
        payloads_requeue.apply_async()
        with Connection("memory://") as conn:
            message = conn.SimpleQueue("ingest").get(timeout=2)
    assert "request_id" not in message.headers


def test_a_task_run_logs_with_the_request_id_it_carries_and_its_task_id(world, json_log):
    payload = InboundPayload.objects.create(
        body=report_body("RID-2", 3),
        sha256="0" * 64,
        content_type="application/json",
        format="json",
        channel="api",
    )
    result = payload_ingest.apply(args=[payload.pk], headers={"request_id": "carried-7"})
    assert result.get() == "done"
    ingested = [line for line in json_log() if f"payload {payload.pk} ingested" in line["message"]]
    assert len(ingested) == 1
    assert ingested[0]["request_id"] == "carried-7"
    assert ingested[0]["task_id"] == result.id
    logging.getLogger("accord.test").warning("after the task")
    assert json_log()[-1]["task_id"] is None and json_log()[-1]["request_id"] is None
