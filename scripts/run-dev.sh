#!/usr/bin/env bash
# Serve the admin with a background task worker beside it; stopping the
# server (Ctrl-C) stops the worker too.
set -euo pipefail
py=${PY:-.venv/bin/python}
"$py" manage.py db_worker --queue-name default >worker.log 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
echo "Task worker started (pid $worker, log in worker.log)."
"$py" manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
