#!/usr/bin/env bash
# Heavy topology reads benchmark (issue 12): a console loaded by
# `vedette dev simulate-sensors` (N virtual sensors, ~100 processes each)
# takes PARALLEL simultaneous `GET /api/v1/topology?level=LEVEL` requests
# from one read-only user. Prints the console's peak RSS (VmHWM) before and
# after the burst and each request's status and latency (p50, max).
#
#   benches/topology-reads.sh                    N=2000, 30 parallel processes-level reads
#   N=500 PARALLEL=30 LEVEL=processes benches/topology-reads.sh
#   VEDETTE_BIN=/path/to/old/vedette benches/topology-reads.sh   # figures of another build
#
# Console flags can be passed in CONSOLE_ARGS (e.g. "--topology-node-budget 1000000"
# to let the unfiltered view through and measure the shared build).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-2000}"
PARALLEL="${PARALLEL:-30}"
LEVEL="${LEVEL:-processes}"
INTERVAL="${INTERVAL:-10s}"
CONSOLE_ARGS="${CONSOLE_ARGS:-}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/vedette/target}"
BIN="${VEDETTE_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build --release --locked -p vedette >&2
  BIN="$CARGO_TARGET_DIR/release/vedette"
fi
PASSWORD='Amber-Falcon-Lantern-42'
WORK=$(mktemp -d)
PID=""
SIM=""
cleanup() {
  if [ -n "$SIM" ]; then kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true; fi
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$WORK"/. "$KEEP"/; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
hwm_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg); binary: $BIN"
echo "$PASSWORD" | "$BIN" console admin create --username bench --password-stdin --data-dir "$WORK/data" >/dev/null 2>&1
# shellcheck disable=SC2086
"$BIN" console --data-dir "$WORK/data" --listen 127.0.0.1:0 --metrics-listen off --log warn $CONSOLE_ARGS \
  >"$WORK/console.out" 2>"$WORK/console.err" &
PID=$!
for _ in $(seq 1 300); do grep -q "Start a sensor" "$WORK/console.out" 2>/dev/null && break; sleep 0.1; done
URL=$(awk '/Console URL:/ {print $3}' "$WORK/console.out")
FINGERPRINT=$(awk '/TLS fingerprint:/ {print $3}' "$WORK/console.out")
KEY=$(awk '/Sensor API key:/ {print $4}' "$WORK/console.out" | grep '^vsk_' || true)
[ -n "$KEY" ] || KEY=$("$BIN" console api-key show --data-dir "$WORK/data")
[ -n "$URL" ] && [ -n "$FINGERPRINT" ] || { cat "$WORK/console.err"; exit 1; }

# Load: the fleet keeps reporting during the burst (no final verification).
"$BIN" dev simulate-sensors --count "$N" --console-url "$URL" --api-key "$KEY" \
  --console-fingerprint "$FINGERPRINT" --interval "$INTERVAL" --duration 1h \
  >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM=$!
# Wait until every sensor is on the map (hosts view).
python3 - "$URL" "$PASSWORD" "$N" "$WORK" <<'PY'
import json, ssl, sys, time, urllib.request
url, password, n, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl._create_unverified_context()  # benchmark on loopback; the console's own cert
def call(method, path, body=None, headers={}):
    req = urllib.request.Request(url.rstrip('/') + path, method=method,
                                 data=json.dumps(body).encode() if body else None,
                                 headers={'content-type': 'application/json', **headers})
    return urllib.request.urlopen(req, context=ctx, timeout=600)
r = call('POST', '/api/v1/auth/login', {'username': 'bench', 'password': password})
cookie = r.headers['set-cookie'].split(';')[0]
csrf = json.load(r)['csrf_token']
admin = {'cookie': cookie, 'x-csrf-token': csrf}
invite = json.load(call('POST', '/api/v1/invites', {'role': 'read_only'}, admin))
r = call('POST', '/api/v1/invites/accept', {'token': invite['token'], 'username': 'reader', 'password': password})
open(f'{work}/reader', 'w').write(r.headers['set-cookie'].split(';')[0])
deadline = time.time() + 900
while time.time() < deadline:
    page = json.load(call('GET', '/api/v1/sensors?limit=1&status=online', headers=admin))
    if page['total'] >= n:
        break
    time.sleep(2)
print(f"fleet on the map: {page['total']} sensors online", flush=True)
PY
BEFORE_HWM=$(hwm_mb "$PID"); BEFORE_RSS=$(rss_mb "$PID")
echo "console before the burst: RSS $BEFORE_RSS MB, peak $BEFORE_HWM MB"
python3 - "$URL" "$WORK" "$PARALLEL" "$LEVEL" <<'PY'
import json, ssl, sys, time, urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor
url, work, parallel, level = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl._create_unverified_context()
cookie = open(f'{work}/reader').read()
def read(_):
    start = time.time()
    req = urllib.request.Request(f"{url.rstrip('/')}/api/v1/topology?level={level}", headers={'cookie': cookie})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=600) as r:
            size = len(r.read()); status = r.status
    except urllib.error.HTTPError as e:
        size = len(e.read()); status = e.code
    except Exception as e:
        size = 0; status = type(e).__name__
    return status, time.time() - start, size
with ThreadPoolExecutor(parallel) as pool:
    results = list(pool.map(read, range(parallel)))
by_status = {}
for status, secs, size in results:
    by_status.setdefault(status, []).append((secs, size))
for status, rows in sorted(by_status.items(), key=lambda kv: str(kv[0])):
    times = sorted(s for s, _ in rows)
    print(f"{len(rows):>3} × {status}: p50 {times[len(times)//2]*1000:.0f} ms, max {times[-1]*1000:.0f} ms, body {rows[0][1]/1e6:.1f} MB")
PY
AFTER_HWM=$(hwm_mb "$PID"); AFTER_RSS=$(rss_mb "$PID")
echo "console after the burst: RSS $AFTER_RSS MB, peak $AFTER_HWM MB (burst added $((AFTER_HWM - BEFORE_HWM)) MB to the peak)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
