#!/usr/bin/env bash
# Benchmark a generated auth server: generate it (EdDSA defaults), build it in release,
# start it on loopback with a throwaway PostgreSQL, drive /me, /jwks, /signin and /refresh
# with wrk, and print requests/s with p50/p99 for each, plus this machine's argon2id rate.
# Server, PostgreSQL and load generator share the machine's cores, as in the targets.
#
#   bash scripts/bench-server.sh            # 10 s per endpoint
#   BENCH_SECONDS=30 bash scripts/bench-server.sh
#
# PostgreSQL runs on the same 2 cores, so the server gets DATABASE_POOL_SIZE=4 (about twice
# the cores; BENCH_POOL_SIZE overrides): more backends only contend for the same CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ -z "${DATABASE_URL:-}" ]; then
  exec bash scripts/with-postgres.sh bash "$0" "$@"
fi
command -v wrk >/dev/null || { echo "bench-server: wrk is needed (apt-get install wrk)" >&2; exit 2; }

seconds=${BENCH_SECONDS:-10}
threads=2
connections=${BENCH_CONNECTIONS:-32}
export CARGO_TARGET_DIR="$root/target/bench"
work=$(mktemp -d /tmp/authgen-bench.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== generating and building the server (release)"
cargo run --quiet --release --manifest-path "$root/Cargo.toml" -- init --yes "$work" >/dev/null
(cd "$work/auth-server" && cargo build --quiet --release)

echo "== building the argon2id rate probe (OWASP parameters, memory reused: the best case)"
mkdir -p "$work/hashrate/src"
cat > "$work/hashrate/Cargo.toml" <<'TOML'
[package]
name = "hashrate"
version = "0.1.0"
edition = "2021"
[dependencies]
argon2 = "0.5"
TOML
cat > "$work/hashrate/src/main.rs" <<'RUST'
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::time::{Duration, Instant};
// The best this machine can do: raw argon2id with working memory reused between hashes.
fn main() {
    let threads: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let params = Params::new(19_456, 2, 1, None).unwrap();
    let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(|| {
            let mut memory = vec![Block::default(); params.block_count()];
            let mut out = [0u8; 32];
            let mut n = 0u64;
            while start.elapsed() < Duration::from_secs(5) {
                a.hash_password_into_with_memory(b"correct horse battery", b"fixed benchmark salt", &mut out, &mut memory[..]).unwrap();
                n += 1;
            }
            n
        })).collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    println!("{:.1}", total as f64 / start.elapsed().as_secs_f64());
}
RUST
(cd "$work/hashrate" && cargo build --quiet --release)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port/api/auth"
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
env -i PATH="$PATH" DATABASE_URL="$DATABASE_URL" AUTH_SECRET="$secret" PORT="$port" RUST_LOG=warn \
  CORS_ORIGINS=http://localhost:3000 RATE_LIMIT_SIGN_IN=1000000 RATE_LIMIT_SIGN_UP=1000000 DATABASE_POOL_SIZE=${BENCH_POOL_SIZE:-4} "$CARGO_TARGET_DIR/release/auth-server" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fs "$base/health" >/dev/null 2>&1 && break; sleep 0.1; done

echo "== seeding users"
users=400
python3 - "$base" "$users" <<'PY'
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, users = sys.argv[1], int(sys.argv[2])
def signup(i):
    req = urllib.request.Request(base + "/signup", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"email": f"bench-{i}@example.com", "password": "correct horse battery", "name": f"Bench {i}"}).encode())
    urllib.request.urlopen(req).read()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(signup, range(users)))
PY
signin() {
  curl -fs -X POST "$base/signin" -H 'Content-Type: application/json' \
    -d "{\"email\":\"bench-$1@example.com\",\"password\":\"correct horse battery\"}"
}
access=$(signin 0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
tokens=$(for i in $(seq 1 $((connections * 2))); do signin "$i"; echo; done \
  | python3 -c 'import json,sys; print(",".join(json.loads(l)["refresh_token"] for l in sys.stdin if l.strip()))')


report() {
  local name=$1 out=$2
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '%-10s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo "== load: $threads threads, $connections connections, ${seconds}s each"
results=()
out=$(wrk -t$threads -c$connections -d${seconds}s --latency -H "Authorization: Bearer $access" "$base/me")
results+=("$(report /me "$out")")
out=$(wrk -t$threads -c$connections -d${seconds}s --latency "$base/jwks")
results+=("$(report /jwks "$out")")
out=$(BENCH_TOKENS="$tokens" BENCH_THREADS=$threads wrk -t$threads -c$connections -d${seconds}s --latency -s scripts/bench/refresh.lua "$base/refresh")
results+=("$(report /refresh "$out")")
# Measured right before the sign-in load, so both see the same machine state.
hash_rate=$("$CARGO_TARGET_DIR/release/hashrate" "$threads")
out=$(BENCH_USERS=$users wrk -t$threads -c8 -d${seconds}s --latency -s scripts/bench/signin.lua "$base/signin")
results+=("$(report /signin "$out")")

echo
printf '%s\n' "${results[@]}"
signin_rps=$(awk '{print $2}' <<<"${results[3]}")
echo "argon2id   $hash_rate hashes/s ($threads threads); /signin reaches $(awk -v a="$signin_rps" -v b="$hash_rate" 'BEGIN {printf "%.0f", 100 * a / b}')% of it"
