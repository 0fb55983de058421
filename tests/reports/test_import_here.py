"""``import_reports --here`` when a worker claimed the file first: it waits for the outcome
and exits non-zero unless the report was accepted (issue 12)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from reports.management.commands import import_reports
from reports.models import InboundPayload
from tests.integration.test_ingest_workers import report_body

pytestmark = pytest.mark.django_db
State = InboundPayload.State


@pytest.fixture
def claimed_by_a_worker(monkeypatch):
    """The doorbell rang first: a worker holds the payload, so this process skips it; the
    worker finishes while the command waits, ending in ``outcome``."""
    outcome: dict = {}

    def skipped(*, payload_id, progress=None):
        InboundPayload.objects.filter(pk=payload_id).update(
            state=State.PROCESSING, claimed_at=timezone.now(), attempts=1
        )
        return "skipped"

    def worker_finishes(seconds):
        InboundPayload.objects.filter(state=State.PROCESSING).update(**outcome)

    monkeypatch.setattr(import_reports, "payload_ingest", skipped)
    monkeypatch.setattr(import_reports.time, "sleep", worker_finishes)
    return outcome


def _import_here(path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_reports", str(path), mission="mission-a", here=True, stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


def test_here_exits_non_zero_when_the_worker_that_claimed_it_rejects_it(
    world, tmp_path, claimed_by_a_worker
):
    claimed_by_a_worker.update(
        state=State.REJECTED, last_error="row 1, kind: unknown kind", errors=["row 1, kind: x"]
    )
    path = tmp_path / "daily.json"
    path.write_bytes(report_body("CLI-1", 2))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 file"):
        call_command("import_reports", str(path), mission="mission-a", here=True, stderr=err)
    assert f"{path}: rejected: row 1, kind: unknown kind" in err.getvalue()


def test_here_prints_the_report_when_the_worker_that_claimed_it_accepts_it(
    world, tmp_path, claimed_by_a_worker
):
    claimed_by_a_worker.update(state=State.DONE, result={"observations": 2})
    path = tmp_path / "daily.json"
    path.write_bytes(report_body("CLI-2", 2))
    out, _ = _import_here(path)
    assert out.startswith(f"{path}: 2 observations")


def test_here_gives_up_waiting_with_an_error(world, tmp_path, monkeypatch, claimed_by_a_worker):
    monkeypatch.setattr(import_reports.time, "monotonic", iter(range(0, 10_000, 100)).__next__)
    path = tmp_path / "daily.json"
    path.write_bytes(report_body("CLI-3", 2))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_reports", str(path), mission="mission-a", here=True, wait=5, stderr=err
        )
    assert "is still processing" in err.getvalue()
