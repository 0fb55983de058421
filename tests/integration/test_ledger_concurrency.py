"""Acceptances of one mission's reports at the same moment on PostgreSQL: one unforked chain."""

import threading

import pytest
from django.db import connection

from reports.ledger import ledger_verify
from reports.models import Report, ReportStatus
from reports.services import report_set_status
from tests.factories import ObservationFactory, ReportFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

THREADS = 4
ROUNDS = 3


def accept_together(reports: list[Report], by) -> list[BaseException]:
    """Accept each report in its own thread (own connection), all released at one instant."""
    barrier = threading.Barrier(len(reports))
    errors: list[BaseException] = []

    def accept(report: Report) -> None:
        try:
            barrier.wait(timeout=30)
            report_set_status(report=report, status=ReportStatus.ACCEPTED, by=by)
        except BaseException as exc:  # noqa: BLE001 - reported by the test, whatever it is
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(r,)) for r in reports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "an acceptance did not finish"
    return errors


def test_concurrent_acceptances_take_consecutive_links_of_one_chain(world, observer_a):
    for round_ in range(1, ROUNDS + 1):
        reports = []
        for n in range(THREADS):
            report = ReportFactory(
                mission=world.mission_a,
                external_id=f"A-{round_}-{n}",
                status=ReportStatus.SUBMITTED,
            )
            ObservationFactory.create_batch(3, report=report, clause=world.clause_a)
            reports.append(report)

        assert accept_together(reports, observer_a) == []

        links = list(
            Report.objects.filter(mission=world.mission_a)
            .order_by("ledger_seq")
            .values_list("ledger_seq", "ledger_prev_hash", "ledger_hash")
        )
        assert [seq for seq, _, _ in links] == list(range(1, round_ * THREADS + 1))
        previous = [""] + [hash_ for _, _, hash_ in links[:-1]]
        assert [prev for _, prev, _ in links] == previous  # no two links share a parent
        assert ledger_verify() == []
