#!/usr/bin/env bash
# Create (or reuse) the test virtualenv at target/pyenv with scripts/python-test-requirements.txt,
# every package at the version of scripts/python-test-lock.txt, and print the path of its
# python. Reinstalls only when either file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/pyenv
stamp="$venv/.requirements"
wanted=$(cat scripts/python-test-requirements.txt scripts/python-test-lock.txt)
if [ ! -x "$venv/bin/python" ] || [ "$wanted" != "$(cat "$stamp" 2>/dev/null)" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    -r scripts/python-test-requirements.txt -c scripts/python-test-lock.txt >&2
  printf '%s' "$wanted" >"$stamp"
fi
echo "$(pwd)/$venv/bin/python"
