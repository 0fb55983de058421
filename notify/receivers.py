"""What notify does when monitor announces news (connected in ``NotifyConfig.ready``)."""

from typing import Any

from core.queue import enqueue
from notify.tasks import transitions_dispatch


def transitions_recorded_ring(*, transition_ids: list[int], **kwargs: Any) -> None:
    """Alert transitions committed: ring for a dispatch, which reads them after its cursor.
    A lost doorbell costs only time: beat runs the dispatch every minute."""
    enqueue(
        transitions_dispatch, what=f"webhook dispatch after {len(transition_ids)} transition(s)"
    )
