"""Settings refuse bad configuration at start-up, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_cache, env_database, env_int, env_mapping, env_rate
from tests.databases import ON_POSTGRES


def _start(*command: str, **environment) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"}}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", *(command or ["check"])],
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


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user:s3cret-pw@db.example/x",  # unsupported scheme
        "postgres://user:s3cret-pw@db.example:5432",  # no database name
        "postgres://user:s3cret-pw@db.example:port/x",  # unparsable port
    ],
)
def test_a_bad_database_url_is_named_without_its_password(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ImproperlyConfigured) as refused:
        env_database("DATABASE_URL", "sqlite:///x")
    message = str(refused.value)
    assert "DATABASE_URL='" in message
    assert "s3cret-pw" not in message
    assert "user:***@db.example" in message


def test_a_bad_redis_url_is_named_without_its_password(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "http://:s3cret-pw@cache.example:6379/0")
    with pytest.raises(ImproperlyConfigured) as refused:
        env_cache("REDIS_URL")
    assert "s3cret-pw" not in str(refused.value)
    assert "REDIS_URL=" in str(refused.value)


def test_postgres_url_is_parsed(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.example:5433/reviews")
    config = env_database("DATABASE_URL", "sqlite:///x")
    assert (config["ENGINE"], config["NAME"], config["PORT"]) == (
        "django.db.backends.postgresql",
        "reviews",
        5433,
    )


def test_abuse_limits_come_from_the_environment():
    printed = "from django.conf import settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], s.REST_FRAMEWORK['NUM_PROXIES'])"
    result = _start(
        "shell",
        "--no-imports",
        "-c",
        printed,
        LOGIN_FAILURE_LIMIT="3",
        LOGIN_COOLOFF_MINUTES="60",
        API_LOGIN_RATE="5/hour",
        API_WRITE_RATE="1000/day",
        TRUSTED_PROXY_COUNT="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3 1:00:00 {'login': '5/hour', 'write': '1000/day'} 1"


def test_a_bad_login_limit_stops_start_up_with_its_name():
    result = _start(LOGIN_FAILURE_LIMIT="five")
    assert result.returncode != 0
    assert "LOGIN_FAILURE_LIMIT='five' is not a whole number of at least 1" in result.stderr


@pytest.mark.parametrize("raw", ["0", "-2", "1.5", ""])
def test_whole_numbers_below_the_minimum_or_not_whole_are_refused(monkeypatch, raw):
    monkeypatch.setenv("LOGIN_COOLOFF_MINUTES", raw)
    with pytest.raises(ImproperlyConfigured, match="LOGIN_COOLOFF_MINUTES="):
        env_int("LOGIN_COOLOFF_MINUTES", 15)


def test_a_proxy_count_may_be_zero(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "0")
    assert env_int("TRUSTED_PROXY_COUNT", 0, minimum=0) == 0


@pytest.mark.parametrize(
    ("raw", "rate"),
    [("10/minute", "10/minute"), ("10/min", "10/min"), (" 5 / Hour ", "5/hour"), ("7/s", "7/s")],
)
def test_rates_are_read_in_drf_syntax(monkeypatch, raw, rate):
    monkeypatch.setenv("API_WRITE_RATE", raw)
    assert env_rate("API_WRITE_RATE", "120/minute") == rate


@pytest.mark.parametrize("raw", ["10", "10/week", "0/minute", "ten/minute", "10 per minute"])
def test_a_bad_rate_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("API_WRITE_RATE", raw)
    with pytest.raises(ImproperlyConfigured, match=r"API_WRITE_RATE=.* is not a rate"):
        env_rate("API_WRITE_RATE", "120/minute")
def test_a_postgres_connection_gives_up_after_five_seconds_unless_told_otherwise(monkeypatch):
    # A database host that drops packets would otherwise hold each request for the operating
    # system's TCP timeout (minutes) before the 503.
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.example:5433/reviews")
    assert env_database("DATABASE_URL", "sqlite:///x")["OPTIONS"]["connect_timeout"] == 5
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.example/reviews?connect_timeout=20")
    assert env_database("DATABASE_URL", "sqlite:///x")["OPTIONS"]["connect_timeout"] == 20


def test_repository_systems_are_read_as_a_mapping_with_lower_case_keys(monkeypatch):
    monkeypatch.setenv("GITHUB_REPOSITORY_SYSTEMS", " Acme/Shop = storefront-web ,acme/pay=ledger")
    assert env_mapping("GITHUB_REPOSITORY_SYSTEMS") == {
        "acme/shop": "storefront-web",
        "acme/pay": "ledger",
    }
    monkeypatch.delenv("GITHUB_REPOSITORY_SYSTEMS")
    assert env_mapping("GITHUB_REPOSITORY_SYSTEMS") == {}


@pytest.mark.parametrize("raw", ["acme/shop", "acme/shop=", "=ledger", "a/b=x,A/B=y"])
def test_a_bad_repository_mapping_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("GITHUB_REPOSITORY_SYSTEMS", raw)
    with pytest.raises(ImproperlyConfigured, match="GITHUB_REPOSITORY_SYSTEMS"):
        env_mapping("GITHUB_REPOSITORY_SYSTEMS")


def test_postgres_connections_do_not_compile_queries_unless_told_otherwise(monkeypatch):
    # JIT compilation cost more than it saved on the dashboards' period scans.
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.example:5433/reviews")
    assert env_database("DATABASE_URL", "sqlite:///x")["OPTIONS"]["options"] == "-c jit=off"
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.example/reviews?options=-c%20jit%3Don")
    assert env_database("DATABASE_URL", "sqlite:///x")["OPTIONS"]["options"] == "-c jit=on"


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL setting")
def test_the_app_connection_runs_without_jit_on_postgres(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
