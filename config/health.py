"""The probes: /healthz (the process answers) and /readyz (it can serve: database up, migrated).

They are answered by a middleware near the top of the stack, before the host check, the
HTTPS redirect, the login requirement and the session, so a load balancer or a kubelet can
ask any replica by its own address over plain HTTP, with no cookie and no Host header
from ALLOWED_HOSTS. They say nothing about the data, only whether to send traffic here; a
ready answer also carries the backups' status (times and flags: backups.status), which is
for monitoring only.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse

from backups.status import backup_status

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """Alive: the process answers. Touches nothing else, so a slow database does not get
    healthy replicas restarted."""
    return _answer({"status": "ok"}, 200)


def readyz(request: HttpRequest) -> JsonResponse:
    """Ready: the database answers and every migration this code knows is applied."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending = _pending_migrations()
        backup = None if pending else backup_status().as_probe()
    except DatabaseError as error:
        # The full error (host, port, driver message) goes to the log, not to the probe.
        logger.warning("readyz: database unreachable: %s", error)
        return _answer({"status": "unavailable", "detail": "database unreachable"}, 503)
    if pending:
        shown = ", ".join(pending[:3]) + (", ..." if len(pending) > 3 else "")
        detail = f"{len(pending)} migration(s) not applied: {shown}"
        return _answer({"status": "unavailable", "detail": detail}, 503)
    # A stale or unverified backup is for a monitor to alert on (`backup.stale`,
    # `backup.warnings`), not a reason to take a replica out of the load balancer.
    return _answer({"status": "ok", "backup": backup}, 200)


def _pending_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def _answer(body: dict, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    # A cached "ok" would hide the outage it is there to show.
    response["Cache-Control"] = "no-store"
    return response


PROBES = {"/healthz": healthz, "/readyz": readyz}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        if request.method not in {"GET", "HEAD"}:
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return probe(request)
