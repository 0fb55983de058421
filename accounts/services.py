"""Writes to accounts: issuing, using and revoking API tokens."""

import datetime as dt
import hmac

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken
from core.history import history_record_changed


def api_token_issue(
    *,
    user: User,
    name: str,
    scope: str = ApiToken.Scope.READ,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its plain text, which is never stored or shown again."""
    key_id, secret, plain = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_id=key_id,
        key_hash=ApiToken.hash_secret(secret),
        scope=scope,
        expires_at=expires_at,
    )
    return token, plain


def api_token_authenticate(*, plain: str) -> ApiToken | None:
    """The live token matching ``plain``, or None; records when it was last used."""
    if not plain.startswith(ApiToken.PREFIX) or "_" not in plain[len(ApiToken.PREFIX) :]:
        return None
    key_id, _, secret = plain[len(ApiToken.PREFIX) :].partition("_")
    token = ApiToken.objects.select_related("user").filter(key_id=key_id).first()
    if token is None or not hmac.compare_digest(token.key_hash, ApiToken.hash_secret(secret)):
        return None
    now = timezone.now()
    if token.revoked_at or (token.expires_at and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke a live token (a revoked one stays as it was); the audit trail records it."""
    now = timezone.now()
    with transaction.atomic():
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
            token.refresh_from_db()
            history_record_changed(objs=[token])
