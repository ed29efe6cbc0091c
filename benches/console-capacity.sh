#!/usr/bin/env bash
# Console capacity benchmark (issue 3): how many sensors one console with the
# embedded SQLite store takes on this machine. For each fleet size N it
# starts a fresh console in a temporary directory, runs
# `vedette dev simulate-sensors` (N virtual sensors, each ~100 processes,
# 20 containers, 200 connections, reporting every INTERVAL), samples the
# console's CPU (/proc/PID/stat) and peak RSS (VmHWM) during the run, then
# lets the simulator check with an admin login that nothing was lost.
#
#   benches/console-capacity.sh [N ...]            default: 250 1000 2500 5000
#   INTERVAL=10s DURATION=2m benches/console-capacity.sh 5000
#
# Prints a table and the largest N holding the target: p99 report latency
# < 250 ms and console RSS < 1 GB, nothing lost. The simulator runs on the
# same machine; its own CPU is printed too. Logs stay in $KEEP (if set).
set -euo pipefail
cd "$(dirname "$0")/.."
INTERVAL="${INTERVAL:-10s}"
DURATION="${DURATION:-2m}"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(250 1000 2500 5000)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/vedette/target}"
# VEDETTE_BIN=path uses an already built binary instead of building one.
BIN="${VEDETTE_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build --release --locked -p vedette >&2
  BIN="$CARGO_TARGET_DIR/release/vedette"
fi
TARGET_P99_MS=250
TARGET_RSS_MB=1024
CLK_TCK=$(getconf CLK_TCK)
PASSWORD='Amber-Falcon-Lantern-42'

WORK=$(mktemp -d)
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$WORK"/. "$KEEP"/; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cpu_ticks() { awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "each run: a fresh console (SQLite store), N virtual sensors every $INTERVAL for $DURATION, simulator on the same machine"
ROWS=()
BEST=""
for N in "${SIZES[@]}"; do
  RUN="$WORK/n$N"
  mkdir -p "$RUN"
  echo "$PASSWORD" | "$BIN" console admin create --username bench --password-stdin --data-dir "$RUN/data" >/dev/null 2>&1
  # Offline after 3 intervals + margin; registration limit per source address as by default.
  # The final check compares whole views (about 120 nodes per sensor at the
  # processes level): the node budget is raised to fit them.
  "$BIN" console --data-dir "$RUN/data" --listen 127.0.0.1:0 --metrics-listen off --log warn \
    --topology-node-budget $((N * 120 + 10000)) \
    >"$RUN/console.out" 2>"$RUN/console.err" &
  PID=$!
  for _ in $(seq 1 300); do grep -q "Start a sensor" "$RUN/console.out" 2>/dev/null && break; sleep 0.1; done
  URL=$(awk '/Console URL:/ {print $3}' "$RUN/console.out")
  FINGERPRINT=$(awk '/TLS fingerprint:/ {print $3}' "$RUN/console.out")
  KEY=$(awk '/Sensor API key:/ {print $4}' "$RUN/console.out" | grep '^vsk_' || true)
  [ -n "$KEY" ] || KEY=$("$BIN" console api-key show --data-dir "$RUN/data")
  [ -n "$URL" ] && [ -n "$FINGERPRINT" ] || { cat "$RUN/console.err"; exit 1; }

  # Sample the console while the simulator runs.
  : >"$RUN/samples"
  (
    while kill -0 "$PID" 2>/dev/null; do
      echo "$(date +%s.%N) $(cpu_ticks "$PID") $(hwm_kb "$PID")" >>"$RUN/samples"
      sleep 1
    done
  ) &
  SAMPLER=$!
  START_TICKS=$(cpu_ticks "$PID"); START=$(date +%s.%N)
  set +e
  VEDETTE_ADMIN_PASSWORD="$PASSWORD" "$BIN" dev simulate-sensors --count "$N" \
    --console-url "$URL" --api-key "$KEY" --console-fingerprint "$FINGERPRINT" \
    --interval "$INTERVAL" --duration "$DURATION" --admin-user bench --json \
    >"$RUN/sim.json" 2>"$RUN/sim.err" &
  SIM=$!
  # The load phase ends when the simulator starts verifying: take figures then.
  DURATION_S=$(python3 -c "import re,sys; d='$DURATION'; m={'s':1,'m':60,'h':3600}; print(sum(int(v)*m[u] for v,u in re.findall(r'(\d+)([smh])', d)))")
  sleep "$DURATION_S"
  END_TICKS=$(cpu_ticks "$PID"); END=$(date +%s.%N); RSS_KB=$(hwm_kb "$PID")
  wait "$SIM"; SIM_STATUS=$?
  set -e
  kill "$SAMPLER" 2>/dev/null || true
  VERIFY_RSS_KB=$(hwm_kb "$PID")
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  CORES=$(python3 -c "print(f'{($END_TICKS-$START_TICKS)/$CLK_TCK/($END-$START):.2f}')")
  ROW=$(N="$N" CORES="$CORES" RSS_KB="$RSS_KB" VERIFY_RSS_KB="$VERIFY_RSS_KB" SIM_STATUS="$SIM_STATUS" \
    TARGET_P99_MS="$TARGET_P99_MS" TARGET_RSS_MB="$TARGET_RSS_MB" python3 - "$RUN/sim.json" <<'PY'
import json, os, sys
try:
    out = json.load(open(sys.argv[1]))
except Exception:
    out = None
n = int(os.environ["N"]); rss = int(os.environ["RSS_KB"]) / 1024
if out is None:
    print(f"{n:>6} {'simulator failed, see sim.err':>60}  FAIL")
    sys.exit(0)
s = out["summary"]; v = out.get("verification") or {}
lost_ok = bool(v.get("ok")) and not out["failed_sensors"] and os.environ["SIM_STATUS"] == "0"
ok = lost_ok and s["latency_ms_p99"] < float(os.environ["TARGET_P99_MS"]) and rss < float(os.environ["TARGET_RSS_MB"])
print(f"{n:>6} {s['reports_per_sec']:>9.1f} {s['mb_per_sec']:>6.2f} {s['latency_ms_p50']:>7.1f} {s['latency_ms_p99']:>7.1f} {s['latency_ms_max']:>8.1f}"
      f" {s['need_snapshot']:>5} {s['too_many_requests']:>5} {float(os.environ['CORES']):>6.2f} {rss:>8.0f} {s['simulator_cpu_cores']:>6.2f}"
      f" {'yes' if lost_ok else 'NO':>6}  {'PASS' if ok else 'FAIL'}")
PY
)
  ROWS+=("$ROW")
  echo "N=$N done: $ROW (peak RSS incl. verification $((VERIFY_RSS_KB / 1024)) MB; load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  if [[ "$ROW" == *PASS ]]; then BEST="$N"; fi
done

printf '\n%6s %9s %6s %7s %7s %8s %5s %5s %6s %8s %6s %6s  %s\n' \
  N "reports/s" "MB/s" "p50 ms" "p99 ms" "max ms" 409s 429s "cores" "RSS MB" "simCPU" "lost=0" target
for row in "${ROWS[@]}"; do echo "$row"; done
echo "cores = console CPU (of $(nproc)); RSS = console peak RSS (VmHWM) during the load; simCPU = the simulator's own CPU"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$BEST" ]; then
  echo "largest N holding p99 < ${TARGET_P99_MS} ms and RSS < 1 GB with nothing lost: $BEST"
else
  echo "no N held p99 < ${TARGET_P99_MS} ms and RSS < 1 GB with nothing lost"
fi
