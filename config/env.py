"""Tiny helpers that read settings from the environment and fail loudly on a bad value.

A misconfigured deployment should stop at start-up with the variable's name in the
message, not limp along on a default nobody chose.
"""

from __future__ import annotations

import os
import re

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


def env_int(name: str, default: int, *, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number of at least {minimum}.")
    return value


# DRF's rate syntax: a count per second, minute, hour or day (only the unit's first letter
# counts for DRF, so "10/min" and "10/minute" are the same rate).
_RATE = re.compile(r"(\d+)/(s|sec|second|m|min|minute|h|hour|d|day)")


def env_rate(name: str, default: str) -> str:
    raw = os.environ.get(name)
    if raw is None:
        return default
    match = _RATE.fullmatch(raw.replace(" ", "").lower())
    if match is None or int(match[1]) < 1:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate; use a count per second, minute, hour or day, "
            "e.g. 10/minute or 1000/day."
        )
    return f"{int(match[1])}/{match[2]}"


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
    if config["ENGINE"] == "django.db.backends.postgresql" and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}={raw!r} names no database; add /dbname at the end.")
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
