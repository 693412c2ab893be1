"""Production settings come from the environment, and a bad value names its variable."""

from __future__ import annotations

import re
import secrets
import socket
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import env_cache, env_email, env_int, env_origins, env_proxy_ssl_header
from tests.deploy.conftest import clean_environment


def _documented_production_variables() -> dict[str, str]:
    """The NAME=value lines of the README's "Production variables" example."""
    readme = (settings.BASE_DIR / "README.md").read_text()
    section = readme.split("### Production variables", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    return dict(line.split("=", 1) for line in block.splitlines() if "=" in line)


def _manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=clean_environment(**variables),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_is_clean_with_the_documented_variables():
    documented = _documented_production_variables()
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_PROXY_SSL_HEADER"} <= set(documented)
    documented["SECRET_KEY"] = secrets.token_urlsafe(50)  # the README's is a placeholder

    result = _manage("check", "--deploy", "--fail-level", "WARNING", **documented)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_flags_a_deployment_that_turns_https_off():
    documented = _documented_production_variables()
    documented.update(SECRET_KEY=secrets.token_urlsafe(50), SECURE_SSL_REDIRECT="0")

    result = _manage("check", "--deploy", "--fail-level", "WARNING", **documented)

    assert result.returncode != 0
    assert "security.W008" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CSRF_TRUSTED_ORIGINS", "incidents.example.com", "each origin is a scheme and a host"),
        ("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto", "is not Header-Name=value"),
        ("REDIS_URL", "memcached://cache:11211", "is not a Redis URL"),
        ("EMAIL_URL", "smtp2://user:hunter2@mail", "EMAIL_URL (scheme 'smtp2') is not supported"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT='xml' is not one of: json, text"),
        ("SECURE_HSTS_SECONDS", "a year", "SECURE_HSTS_SECONDS='a year' is not a whole number"),
    ],
)
def test_a_bad_production_value_stops_start_up_with_its_name(variable, value, message):
    variables = {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), variable: value}

    result = _manage("check", **variables)

    assert result.returncode != 0
    assert message in result.stderr
    assert "hunter2" not in result.stderr  # a password in a URL stays out of the error


def test_trusted_origins_keep_their_scheme(monkeypatch):
    monkeypatch.setenv("CSRF_TRUSTED_ORIGINS", "https://incidents.example.com/, http://10.0.0.5")
    assert env_origins("CSRF_TRUSTED_ORIGINS") == [
        "https://incidents.example.com",
        "http://10.0.0.5",
    ]


def test_the_proxy_header_becomes_the_wsgi_name(monkeypatch):
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto=https")
    assert env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER") == ("HTTP_X_FORWARDED_PROTO", "https")
    monkeypatch.delenv("SECURE_PROXY_SSL_HEADER")
    assert env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER") is None


def test_the_cache_is_redis_only_when_asked(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert env_cache("REDIS_URL")["BACKEND"].endswith("LocMemCache")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/2")
    assert env_cache("REDIS_URL") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache:6379/2",
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp+tls://incidents%40example.com:p%40ss@smtp.example.com",
            ("smtp.example.com", 587, "incidents@example.com", "p@ss", True, False),
        ),
        ("smtps://mail.example.com", ("mail.example.com", 465, "", "", False, True)),
        ("smtp://relay:2525", ("relay", 2525, "", "", False, False)),
    ],
)
def test_email_url_sets_every_smtp_setting(monkeypatch, url, expected):
    monkeypatch.setenv("EMAIL_URL", url)
    email = env_email(debug=False)
    assert email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (
        email["EMAIL_HOST"],
        email["EMAIL_PORT"],
        email["EMAIL_HOST_USER"],
        email["EMAIL_HOST_PASSWORD"],
        email["EMAIL_USE_TLS"],
        email["EMAIL_USE_SSL"],
    ) == expected


def test_email_host_variables_default_to_starttls(monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    monkeypatch.setenv("EMAIL_HOST", "smtp.example.com")
    monkeypatch.setenv("EMAIL_HOST_USER", "incidents")
    monkeypatch.setenv("EMAIL_HOST_PASSWORD", "secret")
    email = env_email(debug=False)
    assert (email["EMAIL_HOST"], email["EMAIL_PORT"], email["EMAIL_USE_TLS"]) == (
        "smtp.example.com",
        587,
        True,
    )
    assert (email["EMAIL_HOST_USER"], email["EMAIL_HOST_PASSWORD"]) == ("incidents", "secret")
    monkeypatch.setenv("EMAIL_USE_TLS", "0")
    assert env_email(debug=False)["EMAIL_PORT"] == 25


def test_without_email_settings_mail_is_printed_only_in_development(monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    monkeypatch.delenv("EMAIL_HOST", raising=False)
    assert env_email(debug=True)["EMAIL_BACKEND"].endswith("console.EmailBackend")
    production = env_email(debug=False)
    assert production["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert (production["EMAIL_HOST"], production["EMAIL_PORT"]) == ("localhost", 25)


def test_a_negative_number_is_refused(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "-1")
    with pytest.raises(ImproperlyConfigured, match="GUNICORN_WORKERS='-1' is below the minimum"):
        env_int("GUNICORN_WORKERS", 2, minimum=1)


def _redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_is_up(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_url_two_processes_share_one_cache():
    key = f"deploy-test-{uuid.uuid4().hex}"
    redis = {"REDIS_URL": "redis://127.0.0.1:6379/15"}
    write = f"from django.core.cache import cache; cache.set('{key}', 'shared', 60)"
    read = f"from django.core.cache import cache; print(cache.get('{key}'))"

    written = _manage("shell", "--no-imports", "-c", write, **redis)
    assert written.returncode == 0, written.stderr
    # Another process, without REDIS_URL: a cache of its own, which has never seen the key.
    assert _manage("shell", "--no-imports", "-c", read).stdout.strip() == "None"
    # Another process on the same Redis sees it.
    shared = _manage("shell", "--no-imports", "-c", read + f"; cache.delete('{key}')", **redis)
    assert shared.stdout.strip() == "shared", shared.stderr
