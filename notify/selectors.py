"""Reads of notify: which subscriptions want which transitions (bounded by what each owner may
read), which transitions wait for dispatch, which deliveries wait for a worker."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from accounts.access import reach_of
from agreements.selectors import agreements_with_figures_for
from monitor.models import AlertTransition
from notify.models import WebhookDelivery, WebhookSubscription

Status = WebhookDelivery.Status


def subscription_wants(
    subscription: WebhookSubscription,
    *,
    agreement_ids: set[int],
    agreement_id: int,
    rule: str,
    severity: int,
    retrospective: bool = False,
) -> bool:
    """The filters: empty agreements or rules mean all; severity at least the minimum;
    retrospective alerts (findings about a past date) only when the subscription asks."""
    return (
        (subscription.include_retrospective or not retrospective)
        and (not agreement_ids or agreement_id in agreement_ids)
        and severity >= subscription.min_severity
        and (not subscription.rules or rule in subscription.rules)
    )


def subscription_agreement_ids(*, subscription: WebhookSubscription) -> set[int] | None:
    """The agreements a subscription's filter names (empty: all), bounded by what its owner
    may read under the access policy; None when the owner may read no alert at all."""
    named = {a.pk for a in subscription.agreements.all()}
    if subscription.owner is None:  # set up by an administrator for a partner system
        return named
    scope = reach_of(subscription.owner).figures
    if scope == "all":
        return named
    if scope == "none":
        return None
    allowed = set(agreements_with_figures_for(user=subscription.owner).values_list("pk", flat=True))
    bounded = (named & allowed) if named else allowed
    return bounded or None


def subscriptions_listening() -> list[tuple[WebhookSubscription, set[int]]]:
    """Active subscriptions whose owner may read some alert, each with its agreements (empty:
    every agreement)."""
    subscriptions = (
        WebhookSubscription.objects.filter(is_active=True)
        .select_related("owner")
        .prefetch_related("agreements")
    )
    listening = []
    for subscription in subscriptions:
        agreement_ids = subscription_agreement_ids(subscription=subscription)
        if agreement_ids is not None:
            listening.append((subscription, agreement_ids))
    return listening


def transition_ids_after(*, after: int, limit: int) -> list[int]:
    """Up to ``limit`` ids of committed alert transitions above ``after``, in id order."""
    return list(
        AlertTransition.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def deliveries_due(*, older_than: dt.timedelta, limit: int = 1000) -> list[tuple[int, int]]:
    """(id, attempts) of deliveries due but never picked up: pending or failed, not leased,
    created and due over ``older_than`` ago, the longest-waiting first."""
    now = timezone.now()
    due = (
        WebhookDelivery.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=now - older_than),
            status__in=[Status.PENDING, Status.FAILED],
            created_at__lt=now - older_than,
        )
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:limit]
    )
    return list(due)
