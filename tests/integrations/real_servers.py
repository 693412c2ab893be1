"""Real Alertmanager and Prometheus (Debian's packages) for the end-to-end tests, each on a
free loopback port with its own temporary configuration and storage, stopped afterwards.

Without the binary the tests are skipped locally; with REQUIRE_PROMETHEUS=1 (CI, which
installs `prometheus` and `prometheus-alertmanager`) a missing binary is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
# How long a real server gets to start or to do what a test waits for.
WAIT_SECONDS = 60


def require(binary: str, package: str) -> str:
    if Path(binary).exists():
        return binary
    message = f"{binary} is missing: apt-get install {package}"
    if os.environ.get("REQUIRE_PROMETHEUS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], object], what: str, seconds: float = WAIT_SECONDS):
    """check()'s first truthy answer, polled; a failure naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = check()
        except OSError:
            answer = None
        if answer:
            return answer
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds}s for {what}")
        time.sleep(0.2)


def http_json(url: str, data=None):
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"} if body else {}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
    return json.loads(text) if text else None


@contextmanager
def running(argv: list[str], config: str, ready_url: str) -> Iterator[Path]:
    """Run `argv` (given {config} and {storage}) until the block ends; its folder."""
    folder = Path(tempfile.mkdtemp(prefix="irt-real-"))
    (folder / "config.yml").write_text(config)
    (folder / "storage").mkdir()
    log = (folder / "log.txt").open("w")
    argv = [a.format(config=folder / "config.yml", storage=folder / "storage") for a in argv]
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    try:

        def ready():
            if process.poll() is not None:
                pytest.fail(f"{argv[0]} exited: {(folder / 'log.txt').read_text()[-2000:]}")
            with urllib.request.urlopen(ready_url, timeout=2) as response:
                return response.status == 200

        wait_until(ready, f"{argv[0]} to start")
        yield folder
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
