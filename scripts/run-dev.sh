#!/usr/bin/env bash
# Serve the admin with a background task worker and the digest scheduler
# beside it; stopping the server (Ctrl-C) stops both.
set -euo pipefail
py=${PY:-.venv/bin/python}
"$py" manage.py db_worker --queue-name default >worker.log 2>&1 &
worker=$!
PY="$py" ./scripts/scheduler.sh >scheduler.log 2>&1 &
scheduler=$!
trap 'kill $worker $scheduler 2>/dev/null || true' EXIT INT TERM
echo "Task worker started (pid $worker, log in worker.log); digest scheduler (pid $scheduler, log in scheduler.log)."
"$py" manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
