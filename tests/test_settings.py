"""Settings refuse bad configuration at start-up, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_database


def _start(**environment) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"}}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_missing_secret_key_with_debug_off_stops_start_up():
    result = _start(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set and DEBUG is off" in result.stderr


def test_bad_database_url_stops_start_up_with_its_name():
    result = _start(DATABASE_URL="mysql//nope")
    assert result.returncode != 0
    assert "DATABASE_URL='mysql//nope' is not supported" in result.stderr


def test_debug_off_with_a_secret_key_starts():
    result = _start(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.com")
    assert result.returncode == 0, result.stderr


def test_bad_boolean_names_the_variable(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe' is not a boolean"):
        env_bool("DEBUG", default=True)


def test_postgres_url_without_a_database_name_is_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://user@localhost:5432")
    with pytest.raises(ImproperlyConfigured, match="names no database"):
        env_database("DATABASE_URL", "sqlite:///x")


def test_postgres_url_is_parsed(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.example:5433/reviews")
    config = env_database("DATABASE_URL", "sqlite:///x")
    assert (config["ENGINE"], config["NAME"], config["PORT"]) == (
        "django.db.backends.postgresql",
        "reviews",
        5433,
    )


def test_a_postgres_connection_gives_up_after_five_seconds_unless_told_otherwise(monkeypatch):
    # A database host that drops packets would otherwise hold each request for the operating
    # system's TCP timeout (minutes) before the 503.
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.example:5433/reviews")
    assert env_database("DATABASE_URL", "sqlite:///x")["OPTIONS"]["connect_timeout"] == 5
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.example/reviews?connect_timeout=20")
    assert env_database("DATABASE_URL", "sqlite:///x")["OPTIONS"]["connect_timeout"] == 20
