"""Settings parsers fail loudly, naming the variable, instead of falling back to a default."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_database, env_int, env_list

VAR = "ACCORD_TEST_SETTING"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("false", False),
        ("TRUE", True),
        (" False ", False),
        ("yes", True),
        ("off", False),
    ],
)
def test_env_bool_accepts_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv(VAR, raw)
    assert env_bool(VAR, default=not expected) is expected


def test_env_bool_falls_back_to_default_only_when_unset(monkeypatch):
    monkeypatch.delenv(VAR, raising=False)
    assert env_bool(VAR, default=True) is True


def test_env_bool_refuses_maybe_and_names_the_variable(monkeypatch):
    monkeypatch.setenv(VAR, "maybe")
    with pytest.raises(ImproperlyConfigured, match=f"{VAR}='maybe' is not a boolean"):
        env_bool(VAR, default=False)


def test_env_int_reads_a_whole_number(monkeypatch):
    monkeypatch.setenv(VAR, " 42 ")
    assert env_int(VAR, 7) == 42


def test_env_int_refuses_ten_in_words_and_names_the_variable(monkeypatch):
    monkeypatch.setenv(VAR, "ten")
    with pytest.raises(ImproperlyConfigured, match=f"{VAR}='ten' is not a whole number"):
        env_int(VAR, 10)


def test_env_int_refuses_a_value_below_the_minimum(monkeypatch):
    monkeypatch.setenv(VAR, "5")
    with pytest.raises(ImproperlyConfigured, match=f"{VAR}=5 must be at least 10"):
        env_int(VAR, 30, minimum=10)


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv(VAR, "example.org, api.example.org")
    assert env_list(VAR, []) == ["example.org", "api.example.org"]


@pytest.mark.parametrize("raw", ["a,,b", "a,b,", " , a"])
def test_env_list_refuses_empty_entries_and_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv(VAR, raw)
    with pytest.raises(ImproperlyConfigured, match=f"{VAR}=.* has an empty entry"):
        env_list(VAR, ["default"])


def test_env_database_reads_a_postgres_url(monkeypatch):
    monkeypatch.setenv(VAR, "postgres://accord:secret@db.internal:5432/accord")
    config = env_database(VAR, "sqlite:///unused.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5432, "accord")


def test_env_database_gives_postgresql_a_connect_timeout_the_url_may_override(monkeypatch):
    monkeypatch.setenv(VAR, "postgres://accord@db.internal:5432/accord")
    assert env_database(VAR, "", connect_timeout=3)["OPTIONS"]["connect_timeout"] == 3
    monkeypatch.setenv(VAR, "postgres://accord@db.internal:5432/accord?connect_timeout=9")
    assert env_database(VAR, "", connect_timeout=3)["OPTIONS"]["connect_timeout"] == 9
    monkeypatch.setenv(VAR, "sqlite:///local.sqlite3")
    assert "connect_timeout" not in env_database(VAR, "").get("OPTIONS", {})


def test_env_database_refuses_a_bogus_scheme_and_names_the_variable(monkeypatch):
    monkeypatch.setenv(VAR, "bogus://somewhere/accord")
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR} "):
        env_database(VAR, "sqlite:///unused.sqlite3")
