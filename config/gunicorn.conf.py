"""gunicorn's configuration: `gunicorn -c config/gunicorn.conf.py config.wsgi` (`make serve`).

gthread workers: each worker process serves GUNICORN_THREADS requests at once, and the
timeout watches the worker's heartbeat, not the request, so a long CSV export streams to the
end instead of being killed at GUNICORN_TIMEOUT seconds as a sync worker's would be.
"""

from __future__ import annotations

import os
from pathlib import Path

from config.env import env_bool, env_int, env_logging

# 127.0.0.1 by default, as gunicorn's own: in a container set GUNICORN_BIND=0.0.0.0:8000.
bind = [os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"]
worker_class = "gthread"
# A fixed default rather than one from the CPU count: in a container that count is the host's.
workers = env_int("GUNICORN_WORKERS", 2, minimum=1)
threads = env_int("GUNICORN_THREADS", 4, minimum=1)
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=0)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=0)
# How long an idle kept-alive connection stays open. Longer than the idle timeout of whatever
# holds connections to us (nginx upstream keepalive and cloud load balancers: 60 s), so it is
# always the client that closes one: a server that closes first races the client's next request
# on that connection, which then fails with a reset (gunicorn's 2 s default did, in the load
# test). gthread keeps idle connections in its poller, not in a thread, so they cost a socket.
keepalive = env_int("GUNICORN_KEEPALIVE", 75, minimum=0)
# Load the app before forking: a broken setting fails once, in the master, with the
# variable's name, instead of in every worker in a restart loop.
preload_app = True

# Nothing on the app's disk: no control socket (gunicorn 25+ creates one under $HOME by
# default; two replicas on one host would fight over it), worker heartbeats in memory.
control_socket_disable = True
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"

# gunicorn's own lines in the app's format; requests are logged by the app, with the user.
logconfig_dict = env_logging(debug=env_bool("DEBUG", default=True))
accesslog = None
