"""Log lines that say which request or task they belong to.

A request id is taken from a well-formed ``X-Request-ID`` (or made up) by
``core.request_id.RequestIdMiddleware``; it rides along in the headers of every Celery task
published while it is set, so the worker's lines about a payload carry the id of the API call
that sent it. Context variables hold the ids; ``ContextFilter`` copies them onto each record.
"""

import contextvars
import logging
import logging.config
import re
import uuid
from typing import Any

from celery import signals

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
current_task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "task_id", default=None
)

HEADER = "request_id"  # the Celery message header that carries it
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id_clean(value: str | None) -> str:
    """The incoming id if it is safe to log (short, no spaces or control characters), else a
    new one."""
    if value and _WELL_FORMED.fullmatch(value):
        return value
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``task_id`` to every record (``default`` where there is none)."""

    def __init__(self, default: str | None = None):
        super().__init__()
        self.default = default

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or self.default
        record.task_id = current_task_id.get() or self.default
        return True


# --- Celery: carry the id to the worker ------------------------------------------------------


@signals.before_task_publish.connect
def _publish_with_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    current = current_request_id.get()
    if current and headers is not None:
        headers.setdefault(HEADER, current)


_tokens: dict[str, tuple[contextvars.Token[str | None], contextvars.Token[str | None]]] = {}


@signals.task_prerun.connect
def _task_started(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    carried = getattr(task.request, HEADER, None)  # a header of a message from the broker
    if carried is None:  # an eager task: apply() keeps custom headers apart
        carried = (getattr(task.request, "headers", None) or {}).get(HEADER)
    _tokens[task_id] = (
        current_request_id.set(request_id_clean(carried) if carried else current_request_id.get()),
        current_task_id.set(task_id),
    )


@signals.task_postrun.connect
def _task_finished(task_id: str = "", **kwargs: Any) -> None:
    tokens = _tokens.pop(task_id, None)
    if tokens:
        current_task_id.reset(tokens[1])
        current_request_id.reset(tokens[0])


@signals.setup_logging.connect
def _worker_logging(**kwargs: Any) -> None:
    """Workers log through Django's LOGGING too, instead of Celery's own format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
