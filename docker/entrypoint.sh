#!/usr/bin/env bash
# Entrypoint of the trial tracker's image.
#
#   entrypoint.sh web    [gunicorn options]   serve trialtracker.wsgi on :8000
#   entrypoint.sh worker [celery options]     a Celery worker
#   entrypoint.sh beat   [celery options]     the Celery beat scheduler (run exactly one)
#   entrypoint.sh migrate                     apply the migrations as the owner, grant the app's role, exit
#   entrypoint.sh COMMAND [ARGS...]           anything else, e.g. python manage.py load_protocol ...
#
# Every role first waits for the database (up to WAIT_FOR_DB_SECONDS, default 60). Only the migrate
# role migrates, and compose starts web, worker and beat once it has finished, so nothing races to
# migrate and no process runs on tables older than its code.
#
# migrate connects as the owner of the tables (DATABASE_MIGRATE_URL), applies the migrations, then
# runs grant_app_role for the role of DATABASE_URL, the one every other process connects as: it may
# read and write data and append to the audit trail, and cannot alter a table, drop or disable a
# trigger, or change an event table. The password in DATABASE_URL creates that role on first run.
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
  migrate)
    if [ -z "${DATABASE_MIGRATE_URL:-}" ]; then
      echo "entrypoint: set DATABASE_MIGRATE_URL to the owner of the tables; the application's role only reads and writes data" >&2
      exit 2
    fi
    app_database_url="${DATABASE_URL:-}"
    export DATABASE_URL="$DATABASE_MIGRATE_URL"
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

if [ "$role" = migrate ]; then
  echo "entrypoint: applying migrations as the owner" >&2
  python manage.py migrate --noinput
  # The role and password the application connects with, read as the settings read them.
  { read -r app_role; read -r app_password; } < <(APP_DATABASE_URL="$app_database_url" python -c '
import os, environ
url = environ.Env.db_url_config(os.environ["APP_DATABASE_URL"])
print(url.get("USER") or "")
print(url.get("PASSWORD") or "")')
  if [ -z "$app_role" ]; then
    echo "entrypoint: DATABASE_URL names no user: the application needs a role of its own" >&2
    exit 2
  fi
  echo "entrypoint: granting $app_role what the application needs" >&2
  if [ -n "$app_password" ]; then
    printf '%s\n' "$app_password" | python manage.py grant_app_role --role "$app_role" --password-stdin
  else
    python manage.py grant_app_role --role "$app_role"  # a role that exists already, with its own login
  fi
  exit 0
fi

exec "$@"
