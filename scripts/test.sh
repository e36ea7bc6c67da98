#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine: installs what the tests need (tmux for the
# pseudo-terminal wizard test, setpriv for the unreadable-directory test, PostgreSQL for the
# generated server, Redis for its shared rate limits, python3-venv for the generated Python
# verifier, whose packages scripts/python-env.sh installs under target/, Node for the Better
# Auth compatibility harness, whose npm packages are installed from its lockfile), then
# rustfmt, clippy with warnings as errors, and both test tiers: the fast one (`cargo test`)
# and the e2e one (`--features e2e`: generated crates built and run), with a throwaway
# PostgreSQL (scripts/with-postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "== installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== Python test environment"
bash scripts/python-env.sh >/dev/null

# The Better Auth compatibility harness's npm packages, reinstalled only when the lockfile
# changed (the same stamp tests/better_auth_compat.rs checks).
harness=tests/better_auth_compat
stamp="$harness/node_modules/.authgen-lock-sha256"
lock_sha=$(sha256sum "$harness/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sha" ]; then
  echo "== npm ci (Better Auth compatibility harness)"
  (cd "$harness" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sha" >"$stamp"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --all-targets --all-features --locked -- -D warnings
echo "== cargo test --features e2e (both tiers, with a throwaway PostgreSQL)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bash scripts/with-postgres.sh cargo test --features e2e --locked 2>&1 | tee "$log"
# One closing line for the whole suite (cargo prints one per test binary, the last being the
# doc-tests' "0 passed").
awk '/^test result:/ { p += $4; f += $6 } END { printf "\nauthgen: %d passed, %d failed\n", p, f; exit (f > 0) }' "$log"
