#!/usr/bin/env bash
# Builds the server and the benchmark tool (release) and runs the quick profile: every
# scenario of issue 8 at a small size, on SQLite and on PostgreSQL (plus Redis for the
# two-node scenario), then prints one table. See BENCHMARKS.md.
#
#   bench/run-quick.sh                 # both stores
#   bench/run-quick.sh --store sqlite  # extra arguments go to `ferrochat-bench quick`
#
# Needs PostgreSQL (superuser, trust auth) at $BENCH_PG_URL and Redis at $BENCH_REDIS_URL;
# rows that need a missing service say so instead of failing the run.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-$HOME/.cache/ferrochat-target}
export CARGO_TARGET_DIR=$TARGET
OUT=${BENCH_OUT:-/tmp/ferrochat-bench}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379}

cargo build --release -p ferrochat -p ferrochat-bench

load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l >= 1) }'; then
    echo "warning: 1-minute load is $load: other work shares the machine, figures will be noisy" >&2
fi
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD -- crates src 2>/dev/null; then
    commit="$commit+dirty"
fi
mkdir -p "$OUT"
exec "$TARGET/release/ferrochat-bench" quick \
    --server-bin "$TARGET/release/ferrochat" \
    --pg-url "$PG_URL" \
    --redis-url "$REDIS_URL" \
    --work-dir "$OUT" \
    --markdown "$OUT/quick.md" \
    --label "commit $commit" \
    "$@"
