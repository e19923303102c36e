#!/usr/bin/env bash
# Create the virtualenv with the Python named in .python-version (3.12+).
set -euo pipefail
want=$1
venv=$2
if [ -x "$venv/bin/python" ]; then exit 0; fi
for candidate in "python$want" "$HOME/.pyenv/versions/$want"*/bin/python3 \
    /root/.pyenv/versions/"$want"*/bin/python3 python3; do
  for py in $candidate; do
    if command -v "$py" >/dev/null 2>&1 &&
       "$py" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "Creating $venv with $("$py" --version)"
      "$py" -m venv "$venv"
      exit 0
    fi
  done
done
echo "Python >= 3.12 is needed (.python-version asks for $want); install it with pyenv or apt." >&2
exit 1
