"""Tiny helpers that read settings from the environment and fail loudly on a bad value.

A misconfigured deployment should stop at start-up with the variable's name in the
message, not limp along on a default nobody chose.
"""

from __future__ import annotations

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off."
    )


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name: str, default: str) -> dict:
    raw = os.environ.get(name) or default
    if not raw.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not supported; use sqlite:///path/to/db.sqlite3 or "
            "postgres://user:password@host:port/dbname."
        )
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}={raw!r} could not be parsed: {error}") from error
    if config["ENGINE"] == "django.db.backends.postgresql":
        if not config.get("NAME"):
            raise ImproperlyConfigured(f"{name}={raw!r} names no database; add /dbname at the end.")
        # A host that drops packets would hold every request for the system's TCP timeout
        # (minutes); give up after a few seconds and answer 503 (config/errors.py) instead.
        # `?connect_timeout=N` in the URL wins.
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    return config


def env_secret_key(name: str, *, debug: bool, development_default: str) -> str:
    raw = os.environ.get(name, "")
    if raw:
        return raw
    if debug:
        return development_default
    raise ImproperlyConfigured(
        f"{name} is not set and DEBUG is off: set {name} to a long random string "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
