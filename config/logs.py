"""Logging: one JSON object a line in production, a readable line in development.

The same configuration serves Django (settings.LOGGING) and gunicorn's own messages
(config/gunicorn.conf.py), so everything a replica prints parses the same way. It needs
nothing of Django's, because gunicorn's master process loads it before Django starts.

The JSON formatter is these twenty lines rather than python-json-logger: the fields are
fixed, the standard library's json does the escaping, and one dependency fewer to keep.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

# The id of the request this thread is serving, so every line logged while serving it
# (a warning from a view, Django's traceback of an error) carries it, not only the request log.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)

# What a request log line carries beside the message (config/request_log.py sets them).
REQUEST_FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [request {request_id}]" if request_id else line


def logging_config(*, log_format: str, level: str) -> dict:
    """A dictConfig for `log_format` ("json" or "text") that everything logs through."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers (e-mail to ADMINS, the DEBUG-only console) are replaced:
            # its messages go to the root handler, in the same format as everything else.
            "django": {"handlers": [], "level": level, "propagate": True},
            # gunicorn's messages (start-up, workers booting or timing out) likewise. There is
            # no gunicorn access log: config/request_log.py logs each request with its user.
            "gunicorn.error": {"handlers": [], "level": level, "propagate": True},
            "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
