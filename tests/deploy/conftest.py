"""Real gunicorn servers on loopback, in the production configuration, for the deploy tests.

Each server runs `gunicorn -c config/gunicorn.conf.py config.wsgi` as a subprocess with
DEBUG off, on a free port, against a database of its own (a fresh SQLite file, or a fresh
PostgreSQL database beside the test database when the suite runs on PostgreSQL), with the
static files collected once per test run.
"""

from __future__ import annotations

import fcntl
import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from tests import databases

GUNICORN = Path(sys.executable).with_name("gunicorn")
SERVER_START_TIMEOUT = 60  # seconds; the machine may be busy with a parallel test run
REQUEST_TIMEOUT = 30
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# The production variables every deploy test's server starts with, beside a database, a
# static root and, per test, a host name. Behind the (simulated) TLS proxy every request says
# X-Forwarded-Proto: https, so the production defaults (HTTPS redirect, secure cookies, HSTS)
# stay on, as in a real deployment.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto=https",
    "LOG_FORMAT": "json",
    "GUNICORN_WORKERS": "1",
    "GUNICORN_THREADS": "4",
}
# What the deploy tests' processes must not inherit from the test run's environment: the
# settings they are about, and the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (which the deploy
# check rightly flags).
_NOT_INHERITED = {
    "DATABASE_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "REDIS_URL",
    "EMAIL_URL",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL",
    "STATIC_ROOT",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "FORWARDED_ALLOW_IPS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def clean_environment(**variables: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _NOT_INHERITED and not name.startswith("GUNICORN")
    }
    env.update(variables)
    return env


def manage(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-3000:]}"
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def cookies(self) -> dict[str, str]:
        found = {}
        for value in self.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            found[name.strip()] = rest.split(";", 1)[0]
        return found


@dataclass
class Server:
    """One gunicorn master with its workers, and the log it writes (stderr)."""

    port: int
    process: subprocess.Popen
    log_path: Path
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: str | None = None,
        behind_tls_proxy: bool = True,
        cookies: dict[str, str] | None = None,
    ) -> Response:
        sent = {"Host": f"127.0.0.1:{self.port}"}
        if behind_tls_proxy:
            sent["X-Forwarded-Proto"] = "https"
        jar = self.cookies if cookies is None else cookies
        if jar:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        sent.update(headers or {})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            response = Response(answer.status, answer.headers, answer.read())
        finally:
            connection.close()
        return response

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def log_lines(self) -> list[str]:
        return self.log_path.read_text().splitlines()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=REQUEST_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=REQUEST_TIMEOUT)


def start_server(env: dict[str, str], log_path: Path) -> Server:
    """Start gunicorn and wait until /healthz answers (or the process dies)."""
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    command = [str(GUNICORN), "-c", "config/gunicorn.conf.py", "config.wsgi"]
    return launch(command, env=env, port=port, log_path=log_path, name="gunicorn")


def launch(command: list[str], *, env: dict[str, str], port: int, log_path: Path, name: str):
    """Run `command` (a server on `port`) and wait until /healthz answers; fail the test,
    with the server's log, if it exits first or never answers."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(port=port, process=process, log_path=log_path)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if server.get("/healthz", behind_tls_proxy=False).status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    pytest.fail(f"{name} did not answer within {SERVER_START_TIMEOUT}s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """collectstatic, production storage, once per test run (xdist workers share it)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    root = shared / "deploy-static"
    with (shared / "deploy-static.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "staticfiles.json").exists():
            manage(
                "collectstatic",
                "--no-input",
                "-v0",
                env=clean_environment(**PRODUCTION, STATIC_ROOT=str(root)),
            )
    return root


def fresh_database(folder: Path):
    return databases.fresh_database(folder, "deploy")


@pytest.fixture
def production_env(static_root, tmp_path) -> Iterator[dict[str, str]]:
    """The production variables, on an empty (unmigrated) database of the test's own."""
    with fresh_database(tmp_path) as database_url:
        yield clean_environment(
            **PRODUCTION, STATIC_ROOT=str(static_root), DATABASE_URL=database_url
        )


@pytest.fixture(scope="module")
def migrated_env(static_root, tmp_path_factory) -> Iterator[dict[str, str]]:
    """The production variables, on a migrated database shared by the test module."""
    with fresh_database(tmp_path_factory.mktemp("db")) as database_url:
        env = clean_environment(
            **PRODUCTION, STATIC_ROOT=str(static_root), DATABASE_URL=database_url
        )
        manage("migrate", "--no-input", "-v0", env=env)
        yield env


@pytest.fixture
def start_gunicorn(tmp_path) -> Iterator[Callable[..., Server]]:
    """start_gunicorn(env) -> a running Server; every one is stopped at the end of the test."""
    started: list[Server] = []

    def start(env: dict[str, str]) -> Server:
        server = start_server(env, tmp_path / f"gunicorn-{len(started)}.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
