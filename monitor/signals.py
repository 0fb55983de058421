"""News monitor announces to the apps above it, which it never imports."""

import logging

from django.db import transaction
from django.dispatch import Signal

from monitor.models import AlertTransition

logger = logging.getLogger(__name__)

# Sent after the transaction that wrote alert transitions commits; ``transition_ids`` are
# theirs. Receivers treat it as a doorbell: the AlertTransition rows are the record.
alert_transitions_recorded = Signal()


def transitions_recorded_on_commit(transition_ids: list[int]) -> None:
    """After the transaction commits, announce these transitions (nothing when none)."""
    if not transition_ids:
        return

    def send() -> None:
        for receiver, result in alert_transitions_recorded.send_robust(
            sender=AlertTransition, transition_ids=transition_ids
        ):
            if isinstance(result, Exception):
                logger.error(
                    "a receiver of alert_transitions_recorded failed: %r",
                    receiver,
                    exc_info=result,
                )

    transaction.on_commit(send)
