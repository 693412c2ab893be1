"""The load test: gunicorn and PostgreSQL under mixed traffic, optionally with the database
restarted in the middle (docs/benchmarks.md has the figures and the commands).

    .venv/bin/python loadtest/run.py                      # 50 users for 60 s
    .venv/bin/python loadtest/run.py --restart-db-at 20   # the same, PostgreSQL restarted at 20 s

Everything runs on this machine, on loopback, and stops by itself: a private PostgreSQL cluster
in a temporary folder (so restarting it disturbs nothing else), the demo data, gunicorn with the
production settings, and locust (headless, bounded in time). Afterwards it checks the run:

- no failed request, except 503s while the database was down when it was restarted;
- the app recovered by itself: no failure in the seconds after the database came back;
- every write the app acknowledged (201) is in the database exactly once, and no write of the
  run is there twice.

It exits non-zero when a check fails, and prints p50/p95/p99 and requests per second.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PYTHON = sys.executable
BIN = Path(PYTHON).parent
PASSWORD = "loadtest-pass"
# After the database is back, the app gets this long to reconnect before failures count again.
RECOVERY_GRACE_S = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kwargs)


class Cluster:
    """A throwaway PostgreSQL cluster owned by the postgres user, on its own port."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _pg(self, *args: str) -> None:
        run([*self.as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args],
            stdout=subprocess.DEVNULL)

    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        run([*self.as_postgres, str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust",
             "-U", "postgres", "--no-sync"], stdout=subprocess.DEVNULL)
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg("-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self._pg("-m", "fast", "-w", "stop")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


def prepare(env: dict[str, str]) -> dict[str, str]:
    """Schema, demo data, the load-test people and their tokens; what the locustfile needs."""
    manage = [PYTHON, str(ROOT / "manage.py")]
    run([*manage, "migrate", "--no-input", "-v0"], env=env)
    # DEBUG is off: pages name their static files through whitenoise's manifest.
    run([*manage, "collectstatic", "--no-input", "-v0"], env=env)
    run([*manage, "load_demo"], env=env, stdout=subprocess.DEVNULL)
    setup = f"""
import json
from django.contrib.auth.models import Group, User
from knox.models import AuthToken
from incidents.models import Incident
from reviews.models import Review
facilitators = Group.objects.get(name="Facilitators")
tokens, readers = [], []
for n in range(10):
    user = User.objects.create_user(f"load-api-{{n}}", password="{PASSWORD}")
    user.groups.add(facilitators)
    tokens.append(AuthToken.objects.create(user)[1])
    reader = User.objects.create_user(f"load-reader-{{n}}", password="{PASSWORD}")
    readers.append(reader.username)
reviews = list(Review.objects.filter(incident__is_private=False).exclude(
    status=Review.Status.PUBLISHED).values_list("pk", flat=True)[:20])
incidents = list(Incident.objects.filter(is_private=False).values_list("reference", flat=True)[:50])
print(json.dumps({{"tokens": tokens, "readers": readers, "reviews": reviews, "incidents": incidents}}))
"""
    out = run([*manage, "shell", "-c", setup], env=env, capture_output=True, text=True).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return {
        "LOADTEST_TOKENS": ",".join(data["tokens"]),
        "LOADTEST_READERS": ",".join(data["readers"]),
        "LOADTEST_REVIEWS": ",".join(map(str, data["reviews"])),
        "LOADTEST_INCIDENTS": ",".join(data["incidents"]),
        "LOADTEST_PASSWORD": PASSWORD,
    }


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url} within {seconds} s")


def ledger_check(env: dict[str, str], ledger: Path, prefix: str) -> list[str]:
    """Problems with what was written: acknowledged but missing, or written twice."""
    acknowledged: dict[str, list[str]] = {"near_miss": [], "import": []}
    if ledger.exists():
        for line in ledger.read_text().splitlines():
            row = json.loads(line)
            acknowledged[row["kind"]].append(row["key"])
    check = f"""
import json
from django.db.models import Count
from incidents.models import Incident, NearMiss
near = dict(NearMiss.objects.filter(title__startswith="{prefix} ").values_list("title")
            .annotate(n=Count("pk")).values_list("title", "n"))
imported = dict(Incident.objects.filter(external_id__startswith="{prefix}-")
                .values_list("external_id").annotate(n=Count("pk")).values_list("external_id", "n"))
print(json.dumps({{"near_miss": near, "import": imported}}))
"""
    out = run([PYTHON, str(ROOT / "manage.py"), "shell", "-c", check], env=env,
              capture_output=True, text=True).stdout
    stored = json.loads(out.strip().splitlines()[-1])
    problems = []
    for kind, keys in acknowledged.items():
        for key in keys:
            if stored[kind].get(key, 0) != 1:
                problems.append(f"{kind} {key!r} acknowledged, stored {stored[kind].get(key, 0)}x")
        problems += [f"{kind} {key!r} stored {n}x" for key, n in stored[kind].items() if n > 1]
    print(f"writes acknowledged: {len(acknowledged['near_miss'])} near misses, "
          f"{len(acknowledged['import'])} imported incidents; "
          f"stored: {len(stored['near_miss'])} and {len(stored['import'])}")
    return problems


def read_stats(prefix: Path) -> tuple[dict[str, str], list[dict[str, str]], list[dict[str, str]]]:
    with open(f"{prefix}_stats.csv") as f:
        total = next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")
    with open(f"{prefix}_failures.csv") as f:
        failures = list(csv.DictReader(f))
    with open(f"{prefix}_stats_history.csv") as f:
        history = [row for row in csv.DictReader(f) if row["Name"] == "Aggregated"]
    return total, failures, history


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--restart-db-at", type=int, default=None, metavar="S",
                        help="stop PostgreSQL S seconds into the run, start it again 5 s later")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="irt-load-"))
    os.chmod(work, 0o755)
    cluster = Cluster(work / "pg")
    cluster.create()
    gunicorn = None
    stack = contextlib.ExitStack()
    try:
        run([*cluster.as_postgres, str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p",
             str(cluster.port), "-U", "postgres", "loadtest"])
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": cluster.url("loadtest"),
            "DEBUG": "0",
            "SECRET_KEY": "load-test-" + os.urandom(16).hex(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_FORMAT": "json",
            "STATIC_ROOT": str(work / "static"),
            # Plain HTTP on loopback, no TLS proxy in front (as `make serve`).
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_SSL_REDIRECT": "0",
            # Fifty people on a few accounts: the per-user write rate is not what is measured.
            "API_WRITE_RATE": "100000/minute",
        }
        env |= prepare(env)
        prefix = f"LT{int(time.time())}"
        ledger = work / "ledger.jsonl"
        env |= {"LOADTEST_LEDGER": str(ledger), "LOADTEST_PREFIX": prefix}
        log = stack.enter_context((work / "gunicorn.log").open("w"))
        gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
             "--threads", str(args.threads), "config.wsgi"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        wait_until_up(f"http://127.0.0.1:{port}/healthz")

        outage: list[float] = []
        if args.restart_db_at is not None:
            def restart():
                time.sleep(args.restart_db_at)
                outage.append(time.time())
                cluster.stop()
                time.sleep(5)
                cluster.start()
                outage.append(time.time())
            threading.Thread(target=restart, daemon=True).start()

        stats = work / "locust"
        run([str(BIN / "locust"), "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(max(1, args.users // 5)), "-t", f"{args.seconds}s",
             "--host", f"http://127.0.0.1:{port}", "--csv", str(stats), "--csv-full-history",
             "--only-summary", "--stop-timeout", "10", "--exit-code-on-error", "0",
             "--loglevel", "WARNING"], env=env, cwd=work)

        total, failures, history = read_stats(stats)
        problems = []
        kinds = Counter()
        for row in failures:
            kinds[row["Error"]] += int(row["Occurrences"])
        if args.restart_db_at is None:
            problems += [f"{n} x {error}" for error, n in kinds.items()]
        else:
            # locust records a failure as the exception's repr, e.g.
            # "CatchResponseError('503 service unavailable')" (the locustfile's message).
            problems += [f"{n} x {error} (only 503s are expected while the database is down)"
                         for error, n in kinds.items() if "503 service unavailable" not in error]
            if len(outage) == 2:
                before = [int(row["Total Failure Count"]) for row in history
                          if float(row["Timestamp"]) < outage[0]]
                if before and before[-1] > 0:
                    problems.append(f"{before[-1]} failures before the database was stopped")
                # The history is cumulative, one row a second: compare the failure count when
                # the app had had time to reconnect with the count at the end.
                back = outage[1] + RECOVERY_GRACE_S
                after = [int(row["Total Failure Count"]) for row in history
                         if float(row["Timestamp"]) >= back]
                if after and after[-1] > after[0]:
                    problems.append(f"{after[-1] - after[0]} failures after the database came "
                                    "back: the app did not recover by itself")
            else:
                problems.append("the database was not restarted during the run")
        problems += ledger_check(env, ledger, prefix)

        requests = int(total["Request Count"])
        print(f"users {args.users}, {args.seconds} s, gunicorn {args.workers} workers x "
              f"{args.threads} threads")
        print(f"requests {requests}, failures {total['Failure Count']} "
              f"({dict(kinds) or 'none'}), {float(total['Requests/s']):.1f} req/s")
        print(f"latency ms: p50 {total['50%']}, p95 {total['95%']}, p99 {total['99%']}, "
              f"max {float(total['Max Response Time']):.0f}")
        for problem in problems:
            print("PROBLEM:", problem)
        return 1 if problems or requests == 0 else 0
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.stop()
        stack.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
