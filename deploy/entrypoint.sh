#!/bin/sh
# The image's entrypoint. One image serves, migrates and runs scheduled commands, so the
# Deployment, the migration Job, the CronJobs and compose's services differ only in arguments:
#
#   serve              gunicorn (config/gunicorn.conf.py); the default CMD
#   serve --migrate    apply the migrations first: for a single instance with no migration Job
#   migrate            apply the migrations and exit (the Job, compose's one-shot service)
#   manage ARGS...     manage.py ARGS... (e.g. `manage clearsessions`, `manage createsuperuser`)
#   anything else      run as given (`sh` to look around)
#
# Serving never migrates unless asked: with several replicas starting at once, each would race
# to migrate; one Job does it, and /readyz keeps new replicas out of traffic until it has.
set -eu

# Run from the project folder wherever the script is called from: manage.py and
# config/gunicorn.conf.py are found relative to it (CI runs this script from a checkout).
cd "$(dirname "$0")/.."

command="${1:-serve}"
[ "$#" -gt 0 ] && shift

case "$command" in
serve)
    case "${1:-}" in
    --migrate) python manage.py migrate --no-input ;;
    "") ;;
    *)
        echo "entrypoint: serve takes only --migrate, not: $*" >&2
        exit 64
        ;;
    esac
    # exec: gunicorn becomes the process the container's SIGTERM reaches, so it stops
    # gracefully (GUNICORN_GRACEFUL_TIMEOUT) instead of being killed with the shell.
    exec gunicorn -c config/gunicorn.conf.py config.wsgi
    ;;
migrate)
    exec python manage.py migrate --no-input "$@"
    ;;
manage)
    exec python manage.py "$@"
    ;;
*)
    exec "$command" "$@"
    ;;
esac
