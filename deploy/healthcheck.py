"""The container's health check: `python deploy/healthcheck.py [/healthz|/readyz]`.

Exits 0 when the path answers 200 on the port gunicorn listens on (GUNICORN_BIND), 1
otherwise. A Python script because the slim image has no curl or wget, and installing one
only for this would put a network tool in every container.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT = 4  # seconds: below the Dockerfile's and compose's --timeout, so this reports first


def main(path: str = "/healthz") -> int:
    bind = os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"
    # host:port, and gunicorn answers on loopback whatever the host (0.0.0.0 in the image).
    port = bind.rsplit(":", 1)[-1]
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        print(f"{url}: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"{url}: {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
