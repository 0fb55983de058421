"""The Procfile, docker-compose.yml, the Dockerfile and the gunicorn settings agree: the same
commands for the same processes, every queue served, and only environment variables that the
settings actually read (Docker cannot run here, so the files are checked as data)."""

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
APP_PROCESSES = {"release", "web", "worker-ingest", "worker-rules", "worker-notify", "beat"}


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_of(service: dict) -> str:
    command = service["command"]
    if isinstance(command, list):
        command = " ".join(command)
    if match := re.fullmatch(r'sh -c "(.*)"', command):
        return match.group(1)
    return command


def settings_variables() -> set[str]:
    """Every environment variable read through core.env in the settings or gunicorn."""
    sources = [ROOT / "config" / "settings.py", ROOT / "config" / "gunicorn.conf.py"]
    found = set()
    for source in sources:
        found |= set(re.findall(r'env_\w+\(\s*["\']([A-Z_]+)["\']', source.read_text()))
    return found


def test_procfile_declares_every_process():
    assert set(procfile()) == APP_PROCESSES
    assert procfile()["web"] == "gunicorn -c config/gunicorn.conf.py config.wsgi"


def test_compose_runs_the_procfile_commands():
    services = compose()["services"]
    assert set(services) == APP_PROCESSES | {"db", "redis"}
    for name, command in procfile().items():
        assert command_of(services[name]) == command, name


def test_compose_uses_postgresql_15_and_redis_7():
    services = compose()["services"]
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    for name in APP_PROCESSES:
        assert services[name]["build"] == "."


def test_every_queue_has_its_own_workers():
    routed = {route["queue"] for route in celery_app.conf.task_routes.values()}
    routed.add(celery_app.conf.task_default_queue)
    served = set()
    for name, command in procfile().items():
        if name.startswith("worker-"):
            queues = re.search(r"-Q (\S+)", command).group(1).split(",")
            assert queues == [name.removeprefix("worker-")]
            served |= set(queues)
    assert served == routed == {"ingest", "rules", "notify"}


def test_exactly_one_beat():
    beats = [name for name, command in procfile().items() if " beat" in command]
    assert beats == ["beat"]


def test_compose_sets_only_variables_the_settings_read():
    readable = settings_variables()
    services = compose()["services"]
    for name in APP_PROCESSES:
        environment = services[name]["environment"]
        assert set(environment) <= readable, (name, set(environment) - readable)
        assert environment["DEBUG"] == "0"
        assert environment["DATABASE_URL"].startswith("postgres://accord:")
        assert environment["DATABASE_URL"].endswith("@db:5432/accord")
        assert environment["CELERY_BROKER_URL"] == "redis://redis:6379/0"


def test_dockerfile_builds_one_image_for_every_process():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.splitlines()[1] == "FROM python:3.11-slim"
    assert "pip install -r requirements.txt" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert 'CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]' in dockerfile
    assert "USER accord" in dockerfile


def gunicorn_settings(monkeypatch, **env) -> dict:
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))


def test_gunicorn_defaults(monkeypatch):
    import multiprocessing

    conf = gunicorn_settings(monkeypatch)
    assert conf["bind"] == "0.0.0.0:8000"
    assert conf["workers"] == 2 * multiprocessing.cpu_count() + 1
    assert conf["accesslog"] == "-"
    assert conf["forwarded_allow_ips"] == "127.0.0.1"


def test_gunicorn_follows_the_environment(monkeypatch):
    conf = gunicorn_settings(
        monkeypatch, PORT="9000", WEB_CONCURRENCY="3", FORWARDED_ALLOW_IPS="10.0.0.2"
    )
    assert (conf["bind"], conf["workers"], conf["forwarded_allow_ips"]) == (
        "0.0.0.0:9000",
        3,
        "10.0.0.2",
    )
    with pytest.raises(ImproperlyConfigured, match="WEB_CONCURRENCY"):
        gunicorn_settings(monkeypatch, WEB_CONCURRENCY="many")


def test_gunicorn_accepts_the_configuration():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--check-config",
            "-c",
            "config/gunicorn.conf.py",
            "config.wsgi",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's ``${VAR:-default}`` and ``${VAR:?message}``, with ``given`` as the .env file."""

    def one(match: re.Match) -> str:
        name, operator, rest = match.group(1), match.group(2), match.group(3)
        if name in given:
            return given[name]
        assert operator == ":-", f"{name} is required: {rest}"
        return rest

    return re.sub(r"\$\{([A-Z_]+)(:[-?])([^}]*)\}", one, value)


def test_the_compose_environment_passes_check_deploy(tmp_path):
    import os
    import secrets

    dotenv = {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "accord.example.org",
        "POSTGRES_PASSWORD": "pw",
    }
    environment = compose()["services"]["web"]["environment"]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "DATABASE_", "CELERY_", "CACHE_"))
    }
    env.update({key: interpolate(str(value), dotenv) for key, value in environment.items()})
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr
