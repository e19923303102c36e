#!/usr/bin/env bash
# Production setup on one machine: gunicorn serving the app (static files
# through WhiteNoise), PostgreSQL via DATABASE_URL, and a task worker, with
# DEBUG off. Scale out by running more of either on more machines against the
# same database (see README, "Serving in production").
set -euo pipefail
py=${PY:-.venv/bin/python}
export DEBUG=False
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/crm}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
if [ -z "${SECRET_KEY:-}" ]; then
  keyfile=${SECRET_KEY_FILE:-.secret_key}
  [ -s "$keyfile" ] || "$py" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$keyfile"
  chmod 600 "$keyfile"
  SECRET_KEY=$(cat "$keyfile")
  export SECRET_KEY
fi
# Plain HTTP on loopback: no redirect to HTTPS, cookies not HTTPS-only.
# Behind a TLS-terminating proxy set both to True and SECURE_PROXY_SSL_HEADER=1.
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-False}
export SECURE_COOKIES=${SECURE_COOKIES:-False}

dbname=${DATABASE_URL##*/}
case "$DATABASE_URL" in
  postgres*://*@127.0.0.1*|postgres*://*@localhost*)
    psql "${DATABASE_URL%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$dbname'" | grep -q 1 ||
      psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE \"$dbname\"" ;;
esac

"$py" manage.py migrate --no-input
"$py" manage.py setup_roles
"$py" manage.py collectstatic --no-input -v0
workers=${WEB_WORKERS:-$(( $(nproc) * 2 + 1 ))}
"$py" manage.py db_worker --no-reload >worker.log 2>&1 &
worker=$!
PY="$py" ./scripts/scheduler.sh >scheduler.log 2>&1 &
scheduler=$!
trap 'kill $worker $scheduler 2>/dev/null || true' EXIT INT TERM
echo "Serving on http://${HOST:-127.0.0.1}:${PORT:-8000}/admin/ with $workers web processes, a task worker (pid $worker) and the digest scheduler (pid $scheduler)."
.venv/bin/gunicorn crm.wsgi:application --bind "${HOST:-127.0.0.1}:${PORT:-8000}" \
  --workers "$workers" --access-logfile - --timeout "${WEB_TIMEOUT:-120}"
