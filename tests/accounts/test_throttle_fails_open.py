"""The API rate limit fails open when its cache is down or hangs (issue 12)."""

import logging
import runpy
import time
from pathlib import Path

import pytest
import redis
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse

from accounts import throttling
from accounts.services import api_token_issue
from accounts.throttling import TokenRateThrottle
from tests.integration.test_ingest_workers import report_body

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


class BrokenCache:
    """Stands for a Redis cache that times out."""

    def __init__(self):
        self.calls = 0

    def get(self, *args, **kwargs):
        self.calls += 1
        raise redis.TimeoutError("Timeout reading from socket")

    set = get


@pytest.fixture
def fresh_breaker(monkeypatch):
    monkeypatch.setattr(throttling, "_cache_down_until", 0.0)


def test_a_failing_cache_lets_the_report_through_and_says_so(
    world, observer_a, client_for, monkeypatch, caplog, fresh_breaker, settings
):
    settings.REDIS_RETRY_AFTER = 10
    broken = BrokenCache()
    monkeypatch.setattr(TokenRateThrottle, "cache", broken)
    client = client_for(observer_a)
    with caplog.at_level(logging.WARNING, logger="accounts.throttling"):
        for n in range(3):
            response = client.post(
                reverse("api:report-submit"),
                report_body(f"OPEN-{n}", 2),
                content_type="application/json",
            )
            assert response.status_code == 202, response.content
    assert broken.calls == 1  # then left alone for REDIS_RETRY_AFTER seconds
    assert "API rate limit not applied: the cache failed (TimeoutError" in caplog.text


def test_the_redis_cache_gives_up_within_its_timeout(
    world, api_consumer, client, mute_redis, monkeypatch, fresh_breaker, settings
):
    # The cache exactly as settings.py builds it for CACHE_URL, against a mute Redis.
    monkeypatch.setenv("CACHE_URL", mute_redis)
    built = runpy.run_path(str(ROOT / "config" / "settings.py"))["CACHES"]["default"]
    cache = RedisCache(built["LOCATION"], {"OPTIONS": built.get("OPTIONS", {})})
    monkeypatch.setattr(TokenRateThrottle, "cache", cache)
    _, plain = api_token_issue(user=api_consumer, name="tool")
    started = time.monotonic()
    response = client.get("/api/v1/agreements/", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 200, response.content
    assert time.monotonic() - started < 2 * settings.REDIS_TIMEOUT + 1
