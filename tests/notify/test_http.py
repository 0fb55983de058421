"""The SSRF guard: which webhook targets are refused, whatever DNS says."""

import pytest

from notify.http import target_problem

REFUSED = [
    "http://127.0.0.1/hook",
    "http://10.20.30.40/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://[::1]:8080/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://224.0.0.1/hook",
    "http://0.0.0.0/hook",
    "http://localhost:8000/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_and_link_local_targets_are_refused(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    problem = target_problem(url)
    assert problem and "WEBHOOK_ALLOW_PRIVATE_TARGETS" in problem


@pytest.mark.parametrize("url", REFUSED)
def test_the_setting_allows_private_targets(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert target_problem(url) is None


@pytest.mark.parametrize("allow", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://93.184.216.34/x",
        "gopher://93.184.216.34/",
        "http:///no-host",
        "https://user:pass@93.184.216.34/hook",
    ],
)
def test_other_schemes_hostless_urls_and_credentials_are_refused_whatever_the_setting(
    settings, url, allow
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = allow
    assert target_problem(url)


def test_a_public_address_is_accepted(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert target_problem("https://93.184.216.34:8443/hooks?k=v") is None
