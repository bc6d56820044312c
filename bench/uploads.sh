#!/usr/bin/env bash
# Upload and download throughput of one large file, and the server's memory while it
# streams: the server must never hold the file (peak RSS stays flat as the size grows).
#
#   bench/uploads.sh [path/to/ferrochat] [size_mib] [backend]
#
# backend: FileSystem (default) or GridFS. The file is random data (nothing to compress),
# uploaded with curl to rooms.upload, then downloaded to /dev/null. RSS is sampled from
# /proc every 50 ms; VmHWM is the kernel's own high-water mark.
set -euo pipefail
BIN=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/ferrochat-target}/release/ferrochat}
SIZE_MIB=${2:-1024}
BACKEND=${3:-FileSystem}
PORT=${PORT:-39124}
WORK=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom > "$WORK/payload.bin"
DATA_DIR="$WORK/data" PORT=$PORT TEST_MODE=true RUST_LOG=warn \
    OVERWRITE_SETTING_FileUpload_Storage_Type="$BACKEND" \
    OVERWRITE_SETTING_FileUpload_MaxFileSize=-1 \
    "$BIN" serve >"$WORK/server.log" 2>&1 &
PID=$!
until curl -fs "http://127.0.0.1:$PORT/livez" >/dev/null 2>&1; do sleep 0.05; done
BASE="http://127.0.0.1:$PORT"
login=$(curl -fs "$BASE/api/v1/login" -H 'Content-Type: application/json' \
    -d '{"user":"rocketchat.internal.admin.test","password":"rocketchat.internal.admin.test"}')
UID_=$(sed -E 's/.*"userId":"([^"]+)".*/\1/' <<<"$login")
TOKEN=$(sed -E 's/.*"authToken":"([^"]+)".*/\1/' <<<"$login")
AUTH=(-H "X-User-Id: $UID_" -H "X-Auth-Token: $TOKEN")
RID=$(curl -fs "$BASE/api/v1/groups.create" "${AUTH[@]}" -H 'Content-Type: application/json' \
    -d '{"name":"bench-files"}' | sed -E 's/.*"group":\{"_id":"([^"]+)".*/\1/')
idle_kib=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")

sample() { # prints the highest VmRSS (KiB) seen until the file $1 appears
    local peak=0 rss
    while [ ! -e "$1" ]; do
        rss=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
        [ "$rss" -gt "$peak" ] && peak=$rss
        sleep 0.05
    done
    echo "$peak"
}

sample "$WORK/up.done" > "$WORK/up.peak" &
SAMPLER=$!
start=$(date +%s%N)
reply=$(curl -fs "$BASE/api/v1/rooms.upload/$RID" "${AUTH[@]}" -F "file=@$WORK/payload.bin")
up_ms=$(( ($(date +%s%N) - start) / 1000000 ))
touch "$WORK/up.done"; wait "$SAMPLER"
link=$(sed -E 's/.*"title_link":"([^"]+)".*/\1/' <<<"$reply")

sample "$WORK/down.done" > "$WORK/down.peak" &
SAMPLER=$!
start=$(date +%s%N)
curl -fs "$BASE$link" "${AUTH[@]}" -o /dev/null
down_ms=$(( ($(date +%s%N) - start) / 1000000 ))
touch "$WORK/down.done"; wait "$SAMPLER"
hwm_kib=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")

printf 'backend %s, %d MiB, load %s\n' "$BACKEND" "$SIZE_MIB" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-10s %-12s %-16s\n' step ms MiB/s peak_rss_kib
printf '%-10s %-10s %-12s %-16s\n' idle - - "$idle_kib"
printf '%-10s %-10s %-12s %-16s\n' upload "$up_ms" "$(( SIZE_MIB * 1000 / (up_ms + 1) ))" "$(cat "$WORK/up.peak")"
printf '%-10s %-10s %-12s %-16s\n' download "$down_ms" "$(( SIZE_MIB * 1000 / (down_ms + 1) ))" "$(cat "$WORK/down.peak")"
printf 'VmHWM over the whole run: %s KiB\n' "$hwm_kib"
