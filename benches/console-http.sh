#!/usr/bin/env bash
# Console HTTP benchmark (issue 2): idle RSS with an empty store, then
# throughput and latency of an authenticated small GET over HTTPS with
# keep-alive, measured with wrk (Debian package), with the embedded store.
#
#   benches/console-http.sh [DURATION] [CONNECTIONS]
#
# Prints the figures and the machine state (cores, load) they were taken in.
# Targets: >= 10,000 requests/s and p99 < 10 ms; idle RSS < 40 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-20s}"
CONNECTIONS="${2:-64}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/vedette/target}"
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
cargo build --release --locked -p vedette >&2
BIN="$CARGO_TARGET_DIR/release/vedette"

WORK=$(mktemp -d)
PID=""
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PASSWORD='Amber-Falcon-Lantern-42'
echo "$PASSWORD" | "$BIN" console admin create --username loadtest --password-stdin --data-dir "$WORK/data" >/dev/null
"$BIN" console --data-dir "$WORK/data" --listen 127.0.0.1:0 --metrics-listen off --log warn >"$WORK/out" 2>"$WORK/err" &
PID=$!
for _ in $(seq 1 100); do grep -q "Console URL" "$WORK/out" 2>/dev/null && break; sleep 0.1; done
URL=$(awk '/Console URL:/ {print $3}' "$WORK/out")
[ -n "$URL" ] || { cat "$WORK/err"; exit 1; }
sleep 3
IDLE_RSS_KB=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)

CURL=(curl -sS --fail --cacert "$WORK/data/tls/cert.pem")
LOGIN=$("${CURL[@]}" -c "$WORK/jar" -H 'content-type: application/json' \
  -d "{\"username\":\"loadtest\",\"password\":\"$PASSWORD\"}" "$URL/api/v1/auth/login")
CSRF=$(echo "$LOGIN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
TOKEN=$("${CURL[@]}" -b "$WORK/jar" -H "x-csrf-token: $CSRF" -H 'content-type: application/json' \
  -d '{"name":"bench"}' "$URL/api/v1/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
"${CURL[@]}" -H "Authorization: Bearer $TOKEN" "$URL/api/v1/users/me" >/dev/null

run_wrk() {
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$URL$1" >"$WORK/wrk"
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk")
  p50=$(awk '$1=="50%" {print $2}' "$WORK/wrk")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk")
  errors=$(grep -E "Non-2xx|Socket errors" "$WORK/wrk" || echo "none")
  printf '%-22s %10s req/s   p50 %-8s p99 %-8s errors: %s\n' "$1" "$rps" "$p50" "$p99" "$errors"
}

echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg); wrk -t2 -c$CONNECTIONS -d$DURATION on the same machine"
echo "console idle RSS (empty store): $((IDLE_RSS_KB / 1024)) MB ($IDLE_RSS_KB kB)"
run_wrk /api/v1/users/me
run_wrk /healthz
echo "console RSS after load: $(( $(awk '/VmRSS/ {print $2}' /proc/$PID/status) / 1024 )) MB; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
