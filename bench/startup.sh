#!/usr/bin/env bash
# Time from process start to a successful /livez, and the server's RSS once idle, on an
# empty SQLite store (first start: migrations and seeding) and on the same store again.
#
#   bench/startup.sh [path/to/ferrochat] [runs]
set -euo pipefail
BIN=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/ferrochat-target}/release/ferrochat}
RUNS=${2:-5}
PORT=${PORT:-39123}

measure() {
    local dir=$1 start now pid ms rss
    start=$(date +%s%N)
    DATA_DIR="$dir" PORT=$PORT RUST_LOG=warn "$BIN" serve >/dev/null 2>&1 &
    pid=$!
    until curl -fs "http://127.0.0.1:$PORT/livez" >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null; then echo "server exited" >&2; exit 1; fi
        sleep 0.005
    done
    now=$(date +%s%N)
    ms=$(( (now - start) / 1000000 ))
    sleep 1
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$ms $rss"
}

printf '%-10s %-14s %-12s\n' run ready_ms idle_rss_kib
for i in $(seq 1 "$RUNS"); do
    dir=$(mktemp -d)
    read -r ms rss < <(measure "$dir")
    printf '%-10s %-14s %-12s\n' "fresh-$i" "$ms" "$rss"
    read -r ms rss < <(measure "$dir")
    printf '%-10s %-14s %-12s\n' "again-$i" "$ms" "$rss"
    rm -rf "$dir"
done
