"""Tiny helpers that read settings from the environment and fail loudly on a bad value.

A misconfigured deployment should stop at start-up with the variable's name in the
message, not limp along on a default nobody chose.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.logs import logging_config

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
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a whole number of at least {minimum}."
        ) from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} is below the minimum of {minimum}.")
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


def _without_password(url: str) -> str:
    """The URL as an error message may show it: a password in it becomes ***. Textual, so it
    works on URLs too broken to parse, which are the ones an error message shows."""
    return re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", url)


def env_database(name: str, default: str) -> dict:
    raw = os.environ.get(name) or default
    shown = _without_password(raw)
    if not raw.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise ImproperlyConfigured(
            f"{name}={shown!r} is not supported; use sqlite:///path/to/db.sqlite3 or "
            "postgres://user:password@host:port/dbname."
        )
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except ValueError as error:
        message = str(error).replace(raw, shown)
        raise ImproperlyConfigured(f"{name}={shown!r} could not be parsed: {message}") from None
    if config["ENGINE"] == "django.db.backends.postgresql":
        if not config.get("NAME"):
            raise ImproperlyConfigured(f"{name}={shown!r} names no database; add /dbname at the end.")
        # A host that drops packets would hold every request for the system's TCP timeout
        # (minutes); give up after a few seconds and answer 503 (config/errors.py) instead.
        # `?connect_timeout=N` in the URL wins.
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
        # PostgreSQL compiles a query to machine code when its estimated cost is high; for
        # the dashboards' period scans the compilation took longer than it saved (0.5 s of
        # the 1M-incident overview, docs/benchmarks.md). `?options=...` in the URL wins.
        config["OPTIONS"].setdefault("options", "-c jit=off")
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


def env_choice(name: str, choices: list[str], default: str) -> str:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw.lower() not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r} is not one of: {', '.join(choices)}.")
    return raw.lower()


def env_mapping(name: str) -> dict[str, str]:
    """`owner/repo=system-slug,owner/other=other-slug` as {"owner/repo": "system-slug", ...};
    keys compared case-insensitively (lower-cased here)."""
    mapping: dict[str, str] = {}
    for item in env_list(name, []):
        key, _, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not key or not value:
            raise ImproperlyConfigured(
                f"{name} has {item!r}: each item is name=value, comma-separated."
            )
        if key in mapping:
            raise ImproperlyConfigured(f"{name} names {key!r} twice.")
        mapping[key] = value
    return mapping


def env_origins(name: str) -> list[str]:
    """Comma-separated origins, each with its scheme (Django compares scheme and host)."""
    origins = env_list(name, [])
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
            raise ImproperlyConfigured(
                f"{name} has {origin!r}: each origin is a scheme and a host, "
                "like https://incidents.example.com (no path)."
            )
    return [origin.rstrip("/") for origin in origins]


def env_site_url(name: str) -> str:
    """The site's public address (scheme and host, no path), for links in what the app sends
    out of band; "" when unset (the commands that need it refuse to run without it)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a scheme and a host, like https://incidents.example.com "
            "(no path)."
        )
    return raw.rstrip("/")


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """`X-Forwarded-Proto=https` becomes Django's ("HTTP_X_FORWARDED_PROTO", "https").

    Only set it behind a proxy that always sets (or strips) that header: otherwise a client
    could claim HTTPS by sending it.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    header, _, value = raw.partition("=")
    header, value = header.strip(), value.strip()
    if not value or not header or not all(c.isalnum() or c == "-" for c in header):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not Header-Name=value; behind most proxies use "
            "X-Forwarded-Proto=https."
        )
    return "HTTP_" + header.upper().replace("-", "_"), value


def env_cache(name: str) -> dict:
    """Django's RedisCache when the variable names a Redis server, else a per-process cache."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if urlsplit(raw).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"{name}={_without_password(raw)!r} is not a Redis URL; use redis://host:6379/0 "
            "(rediss:// for TLS, unix:///path/to/redis.sock)."
        )
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": raw}


# EMAIL_URL schemes: how the connection to the SMTP server is secured, and its usual port.
_EMAIL_SCHEMES = {
    "smtp": (False, False, 25),
    "smtp+tls": (True, False, 587),
    "smtps": (False, True, 465),
}
_SMTP = "django.core.mail.backends.smtp.EmailBackend"
_CONSOLE = "django.core.mail.backends.console.EmailBackend"


def env_email(*, debug: bool) -> dict[str, object]:
    """Every EMAIL_* setting, from EMAIL_URL or from EMAIL_HOST and its companions.

    EMAIL_URL: smtp://user:password@host:25 (plain), smtp+tls://...:587 (STARTTLS),
    smtps://...:465 (TLS from the start), console:// (print the mail). With neither set,
    mail is printed while DEBUG is on, and sent through an SMTP server on localhost:25
    (Django's default) when it is off.
    """
    settings: dict[str, object] = {
        "EMAIL_BACKEND": _SMTP,
        "EMAIL_HOST": "localhost",
        "EMAIL_PORT": 25,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
    }
    raw = os.environ.get("EMAIL_URL", "").strip()
    host = os.environ.get("EMAIL_HOST", "").strip()
    if raw:
        settings.update(_email_from_url(raw))
    elif host:
        use_tls = env_bool("EMAIL_USE_TLS", default=True)
        settings.update(
            EMAIL_HOST=host,
            EMAIL_PORT=env_int("EMAIL_PORT", 587 if use_tls else 25, minimum=1),
            EMAIL_HOST_USER=os.environ.get("EMAIL_HOST_USER", ""),
            EMAIL_HOST_PASSWORD=os.environ.get("EMAIL_HOST_PASSWORD", ""),
            EMAIL_USE_TLS=use_tls,
        )
    elif debug:
        settings["EMAIL_BACKEND"] = _CONSOLE
    return settings


def _email_from_url(raw: str) -> dict[str, object]:
    parts = urlsplit(raw)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": _CONSOLE}
    if parts.scheme not in _EMAIL_SCHEMES or not parts.hostname:
        # The URL may hold a password: name the variable and the scheme, not the value.
        raise ImproperlyConfigured(
            f"EMAIL_URL (scheme {parts.scheme!r}) is not supported; use "
            "smtp+tls://user:password@host:587, smtps://...:465, smtp://host:25 or console://."
        )
    use_tls, use_ssl, default_port = _EMAIL_SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has a port that is not a number.") from None
    return {
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }


def env_logging(*, debug: bool) -> dict:
    """The logging dictConfig from LOG_FORMAT (json|text) and LOG_LEVEL, for Django and gunicorn."""
    log_format = env_choice("LOG_FORMAT", ["json", "text"], "text" if debug else "json")
    level = env_choice("LOG_LEVEL", ["debug", "info", "warning", "error"], "info")
    return logging_config(log_format=log_format, level=level.upper())
