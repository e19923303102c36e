#!/usr/bin/env bash
# The scheduler: every DIGEST_INTERVAL seconds (default 300), plan the digests
# that are due and hand them to the task worker, and retry failed sends.
# Safe to run on several machines at once: each digest is recorded once per
# user and day (or week) under a unique constraint, and only the run that
# recorded it enqueues it (README, "E-mail digests").
set -uo pipefail
py=${PY:-.venv/bin/python}
while true; do
  "$py" manage.py send_digests || echo "send_digests failed; trying again later" >&2
  sleep "${DIGEST_INTERVAL:-300}"
done
