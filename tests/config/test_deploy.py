"""``manage.py check --deploy`` is clean with production environment variables, and the
production settings are what the environment says."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path, **overrides) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "DATABASE_", "CELERY_", "CACHE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="accord.example.org",
        CSRF_TRUSTED_ORIGINS="https://accord.example.org",
        BEHIND_PROXY="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        CACHE_URL="redis://127.0.0.1:6379/1",
        SITE_URL="https://accord.example.org",
    )
    env.update(overrides)
    return env


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_issues_with_production_settings(tmp_path):
    result = run_manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


def test_check_deploy_fails_when_production_turns_https_off(tmp_path):
    env = production_env(tmp_path, SECURE_SSL_REDIRECT="0", SECURE_COOKIES="0")
    result = run_manage(env, "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "security.W008" in output  # SECURE_SSL_REDIRECT
    assert "security.W012" in output  # SESSION_COOKIE_SECURE
    assert "security.W016" in output  # CSRF_COOKIE_SECURE


def settings_in(env: dict[str, str], *names: str) -> dict:
    """Setting values as a process started with ``env`` sees them."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = run_manage(env, "shell", "--verbosity", "0", "-c", code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_follow_the_environment(tmp_path):
    env = production_env(tmp_path, LOGIN_FAILURE_LIMIT="3", LOGIN_COOLOFF_MINUTES="30")
    values = settings_in(
        env,
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "CSRF_TRUSTED_ORIGINS",
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        "STORAGES",
    )
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://accord.example.org"]
    assert values["AXES_FAILURE_LIMIT"] == 3
    assert values["AXES_COOLOFF_TIME"] == "0:30:00"
    assert values["STORAGES"]["staticfiles"]["BACKEND"].endswith(
        "CompressedManifestStaticFilesStorage"
    )


def test_proxy_header_is_not_trusted_unless_behind_a_proxy(tmp_path):
    values = settings_in(production_env(tmp_path, BEHIND_PROXY="0"), "SECURE_PROXY_SSL_HEADER")
    assert values["SECURE_PROXY_SSL_HEADER"] is None


def test_collectstatic_builds_the_compressed_manifest(tmp_path):
    """Production's storage hashes and compresses every file; a missing reference in a CSS
    file would fail here rather than at the first page view."""
    static_root = tmp_path / "static"
    code = (
        "from django.conf import settings; settings.STATIC_ROOT = " + repr(str(static_root)) + "; "
        "from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0)"
    )
    result = run_manage(production_env(tmp_path), "shell", "--verbosity", "0", "-c", code)
    assert result.returncode == 0, result.stderr
    assert (static_root / "staticfiles.json").exists()
    assert list(static_root.glob("scorecards/scorecards.*.css.gz"))
