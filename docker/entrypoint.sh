#!/usr/bin/env bash
# Entrypoint of the trial tracker's image.
#
#   entrypoint.sh web    [gunicorn options]   serve trialtracker.wsgi on :8000
#   entrypoint.sh worker [celery options]     a Celery worker
#   entrypoint.sh beat   [celery options]     the Celery beat scheduler (run exactly one)
#   entrypoint.sh COMMAND [ARGS...]           anything else, e.g. python manage.py load_protocol ...
#
# Every role first waits for the database (up to WAIT_FOR_DB_SECONDS, default 60). Migrations run
# only in the web role and only when MIGRATE=1, so that workers and one-off commands never race
# the web container to migrate.
set -euo pipefail

role="${1:-web}"
if [ "$#" -gt 0 ]; then shift; fi

case "$role" in
  web)
    set -- gunicorn trialtracker.wsgi:application --bind 0.0.0.0:8000 \
      --no-control-socket --access-logfile - --error-logfile - "$@"
    ;;
  worker)
    # One task at a time per process: with late acknowledgement a prefetched task would wait
    # behind a long one, and would be redelivered if the worker died.
    set -- celery -A trialtracker worker --loglevel=INFO --prefetch-multiplier=1 "$@"
    ;;
  beat)
    # The schedule file lives in /tmp: the application directory is read-only to the app user.
    set -- celery -A trialtracker beat --loglevel=INFO --schedule=/tmp/celerybeat-schedule "$@"
    ;;
  *)
    set -- "$role" "$@"
    role=command
    ;;
esac

wait_for_database() {
  PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-5}" python - <<'PY'
import os
import sys
import time

import django

django.setup()
from django.db import connection  # noqa: E402

deadline = time.monotonic() + int(os.environ.get("WAIT_FOR_DB_SECONDS", "60"))
while True:
    try:
        connection.ensure_connection()
        break
    except Exception as exc:
        if time.monotonic() > deadline:
            print(f"entrypoint: the database does not answer: {exc}", file=sys.stderr)
            sys.exit(1)
        print("entrypoint: waiting for the database", file=sys.stderr)
        time.sleep(2)
PY
}

wait_for_database

if [ "$role" = web ] && [ "${MIGRATE:-0}" = 1 ]; then
  echo "entrypoint: applying migrations" >&2
  python manage.py migrate --noinput
fi

exec "$@"
