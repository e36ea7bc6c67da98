#!/usr/bin/env bash
# Create (or reuse) the test virtualenv at target/pyenv with scripts/python-test-requirements.txt,
# and print the path of its python. Reinstalls only when the requirements file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/pyenv
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s scripts/python-test-requirements.txt "$stamp"; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/python-test-requirements.txt >&2
  cp scripts/python-test-requirements.txt "$stamp"
fi
echo "$(pwd)/$venv/bin/python"
