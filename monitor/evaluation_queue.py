"""Evaluation requests: the database is the queue of the rules, coalesced per agreement.

An ingest records which clauses it touched (``evaluation_request``); a pending request per
agreement absorbs the others, so a burst of reports costs one evaluation per agreement, not
one task each. The task queue is only a doorbell: ``evaluation_request_run`` claims the
agreement's pending request (unless a run is in progress there), refreshes the daily figures
and runs the rules for the union of its clauses, and deletes it; what arrived meanwhile is
the next pending request, rung when the run ends (and not before, so the rules queue holds
about one doorbell per agreement). ``evaluation_requests_requeue`` (beat) re-rings requests
nobody picked up and frees claims whose lease ran out.
"""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from agreements.models import Clause
from core.queue import enqueue
from monitor.aggregates import aggregates_refresh
from monitor.models import EvaluationRequest, EvaluationRun
from monitor.services import rules_run

logger = logging.getLogger(__name__)
State = EvaluationRequest.State
# Longer than any run (a full evaluation takes seconds): after it, the worker is taken for
# dead and the request goes back to pending. A run that outlives it only repeats work.
LEASE = dt.timedelta(minutes=5)
# A pending request older than this is rung again (its doorbell may have been lost).
REQUEUE_AFTER = dt.timedelta(seconds=60)


def evaluation_request(
    *,
    clause_ids: Iterable[int],
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[int]:
    """Ask for the rules and daily figures of ``clause_ids`` (for the days ``since`` to
    ``until``; all days when None): merged into each agreement's pending request. Rings
    the doorbell (on commit) for the agreements that had none; returns every agreement id."""
    by_agreement: dict[int, set[int]] = defaultdict(set)
    for pk, agreement_id in Clause.objects.filter(pk__in=list(clause_ids)).values_list(
        "pk", "agreement_id"
    ):
        by_agreement[agreement_id].add(pk)
    for agreement_id, ids in sorted(by_agreement.items()):
        if _absorb(agreement_id, ids, since, until):
            transaction.on_commit(partial(_ring_unless_running, agreement_id=agreement_id))
    return sorted(by_agreement)


def _ring_unless_running(*, agreement_id: int) -> None:
    """Ring for a new request, unless a run is in progress for its agreement: that run rings
    when it ends. Safe without a lock: the request is committed before this looks, and a run
    deletes its row before it looks for a pending one, so at least one of the two sees the
    other."""
    running = EvaluationRequest.objects.filter(agreement_id=agreement_id, state=State.RUNNING)
    if not running.filter(lease_until__gte=timezone.now()).exists():
        evaluation_ring(agreement_id=agreement_id)


def _absorb(agreement_id: int, ids: set[int], since: dt.date | None, until: dt.date | None):
    """Merge into the pending request, or create it; True when created."""
    for _ in range(3):
        try:
            with transaction.atomic():
                pending = (
                    EvaluationRequest.objects.select_for_update()
                    .filter(agreement_id=agreement_id, state=State.PENDING)
                    .first()
                )
                if pending is None:
                    EvaluationRequest.objects.create(
                        agreement_id=agreement_id,
                        clause_ids=sorted(ids),
                        since=since if until else None,
                        until=until if since else None,
                        requested_at=timezone.now(),
                    )
                    return True
                _merge(pending, ids, since, until)
                return False
        except IntegrityError:
            continue  # another request created the pending one first: absorb into it
    raise RuntimeError(f"could not record an evaluation request for agreement {agreement_id}")


def _merge(pending: EvaluationRequest, ids: Iterable[int], since, until) -> None:
    whole = pending.since is None or since is None or until is None
    EvaluationRequest.objects.filter(pk=pending.pk).update(
        clause_ids=sorted({*pending.clause_ids, *ids}),
        since=None if whole else min(pending.since, since),
        until=None if whole else max(pending.until, until),
        requests=F("requests") + 1,
    )


def evaluation_ring(*, agreement_id: int) -> None:
    """The doorbell: a task for the agreement on the rules queue. A lost ring costs only
    time; the periodic requeue rings again."""
    from monitor import tasks

    enqueue(
        tasks.evaluation_request_run,
        args=[agreement_id],
        queue="rules",
        what=f"agreement {agreement_id}",
    )


def evaluation_request_run(*, agreement_id: int) -> EvaluationRun | None:
    """Claim the agreement's pending request and run it: daily figures, then the rules for
    its clauses (and those depending on them). None when there is nothing to claim or a run
    is already in progress there (that run rings again when it ends)."""
    request = _claim(agreement_id)
    if request is None:
        return None
    claimed_at = request.claimed_at or timezone.now()  # set by the claim
    try:
        aggregates_refresh(clause_ids=request.clause_ids, since=request.since, until=request.until)
        run = rules_run(
            trigger=EvaluationRun.Trigger.INGEST,
            clause_ids=request.clause_ids,
            note={
                "requests": request.requests,
                "waited_s": round((claimed_at - request.requested_at).total_seconds(), 3),
            },
        )
    except BaseException:
        _release(request)  # back in the queue for the retry
        raise
    finished = EvaluationRequest.objects.filter(
        pk=request.pk, state=State.RUNNING, claimed_at=request.claimed_at
    ).delete()[0]
    if not finished:
        logger.warning("evaluation of agreement %s outlived its lease", agreement_id)
    if EvaluationRequest.objects.filter(agreement_id=agreement_id, state=State.PENDING).exists():
        transaction.on_commit(partial(evaluation_ring, agreement_id=agreement_id))
    return run


def _claim(agreement_id: int) -> EvaluationRequest | None:
    now = timezone.now()
    _recover(EvaluationRequest.objects.filter(agreement_id=agreement_id), now)
    base = EvaluationRequest.objects.filter(agreement_id=agreement_id)
    if base.filter(state=State.RUNNING).exists():
        return None
    try:
        with transaction.atomic():
            # Waits for a requester merging into the row (milliseconds), then sees its merge.
            claimed = base.filter(state=State.PENDING).update(
                state=State.RUNNING, claimed_at=now, lease_until=now + LEASE
            )
    except IntegrityError:
        return None  # a run started meanwhile
    if not claimed:
        return None
    return base.get(state=State.RUNNING, claimed_at=now)


def _release(request: EvaluationRequest) -> None:
    """A claimed request back to pending, merged into the one that formed meanwhile."""
    with transaction.atomic():
        pending = (
            EvaluationRequest.objects.select_for_update()
            .filter(agreement_id=request.agreement_id, state=State.PENDING)
            .first()
        )
        mine = EvaluationRequest.objects.filter(
            pk=request.pk, state=State.RUNNING, claimed_at=request.claimed_at
        )
        if pending is None:
            mine.update(state=State.PENDING, claimed_at=None, lease_until=None)
        elif mine.delete()[0]:
            _merge(pending, request.clause_ids, request.since, request.until)
            EvaluationRequest.objects.filter(pk=pending.pk).update(
                requested_at=min(pending.requested_at, request.requested_at)
            )


def _recover(requests, now: dt.datetime) -> int:
    """Claims whose lease ran out (the worker died): back to pending."""
    expired = list(requests.filter(state=State.RUNNING, lease_until__lt=now))
    for request in expired:
        logger.warning("evaluation lease of agreement %s expired", request.agreement_id)
        _release(request)
    return len(expired)


def evaluation_requests_requeue(*, older_than: dt.timedelta | None = None) -> int:
    """Periodically: free expired claims and re-ring pending requests that waited longer
    than ``older_than`` (a lost doorbell); returns how many were rung."""
    now = timezone.now()
    older_than = older_than or REQUEUE_AFTER
    _recover(EvaluationRequest.objects.all(), now)
    waiting = list(
        EvaluationRequest.objects.filter(state=State.PENDING, requested_at__lt=now - older_than)
        .exclude(
            agreement_id__in=EvaluationRequest.objects.filter(state=State.RUNNING).values(
                "agreement_id"
            )
        )
        .values_list("agreement_id", flat=True)
    )
    for agreement_id in waiting:
        evaluation_ring(agreement_id=agreement_id)
    return len(waiting)
