#!/usr/bin/env bash
# Sensor footprint benchmark (issue 3): the release `vedette sensor` process,
# at its default interval, on this host with CONTAINERS running containers,
# reporting to a real console for DURATION.
#
#   benches/sensor-footprint.sh [DURATION] [CONTAINERS]     (defaults: 10m 50)
#
# The containers (busybox-static test image, built locally with `docker
# import`), for 50: 5 nc echo servers, each with a client holding one
# connection and sending a line every 5 s; 2 httpd servers, each with a
# wget client polling it every 10 s (short connections come and go); 36
# sleeping. The sensor runs as a plain root process on the host (visibility
# auto = host, Docker socket), like `vedette sensor` on a production host.
#
# Samples every 5 s: CPU (utime+stime of /proc/PID/stat), VmRSS and VmHWM
# (/proc/PID/status), and the TCP bytes the sensor sent to the console
# (bytes_acked of its connections, `ss -ti`: TLS and HTTP included). The
# report bodies (zstd JSON) are counted from the sensor's own debug log.
# Prints: CPU as a fraction of one core (whole run, and after the first
# minute), peak and steady RSS, first-snapshot bytes, bytes per minute at
# steady state, and the machine's load.
# Targets: <= 1 % of a core, <= 30 MB RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10m}"
CONTAINERS="${2:-50}"
case "$DURATION" in
  *m) SECONDS_TOTAL=$(( ${DURATION%m} * 60 )) ;;
  *s) SECONDS_TOTAL=${DURATION%s} ;;
  *h) SECONDS_TOTAL=$(( ${DURATION%h} * 3600 )) ;;
  *) SECONDS_TOTAL=$DURATION ;;
esac
[ "$SECONDS_TOTAL" -ge 60 ] || { echo "DURATION must be at least 1m (steady state starts after the first minute)" >&2; exit 2; }
[ "$CONTAINERS" -ge 4 ] || { echo "CONTAINERS must be at least 4" >&2; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/vedette/target}"
# VEDETTE_BIN=path measures that binary instead of building the release one.
BIN="${VEDETTE_BIN:-$CARGO_TARGET_DIR/release/vedette}"
[ -n "${VEDETTE_BIN:-}" ] || cargo build --release --locked -p vedette >&2
bash crates/sensor/tests/prepare.sh >&2

IMAGE=vedette-sensor-test:busybox
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  ROOTFS=$(mktemp -d)
  mkdir -p "$ROOTFS/bin"
  cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
  for tool in sh sleep httpd; do ln -s busybox "$ROOTFS/bin/$tool"; done
  tar -C "$ROOTFS" -cf "$ROOTFS.tar" .
  docker import "$ROOTFS.tar" "$IMAGE" >/dev/null
  rm -rf "$ROOTFS" "$ROOTFS.tar"
fi

WORK=$(mktemp -d)
LABEL="vedette.bench=footprint-$$"
CONSOLE_PID=""
SENSOR_PID=""
cleanup() {
  [ -n "$SENSOR_PID" ] && kill "$SENSOR_PID" 2>/dev/null || true
  [ -n "$CONSOLE_PID" ] && kill "$CONSOLE_PID" 2>/dev/null || true
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

"$BIN" console --data-dir "$WORK/data" --listen 127.0.0.1:0 --metrics-listen off --log warn \
  >"$WORK/console.out" 2>"$WORK/console.err" &
CONSOLE_PID=$!
for _ in $(seq 1 300); do grep -q "Start a sensor" "$WORK/console.out" 2>/dev/null && break; sleep 0.2; done
URL=$(awk '/Console URL:/ {print $3}' "$WORK/console.out")
FINGERPRINT=$(awk '/TLS fingerprint:/ {print $3}' "$WORK/console.out")
KEY=$(awk '/Sensor API key:/ {print $4}' "$WORK/console.out")
[ -n "$URL" ] && [ -n "$KEY" ] || { cat "$WORK/console.err" >&2; exit 1; }
PORT=${URL##*:}

echo "starting $CONTAINERS containers…" >&2
ECHO=$(( CONTAINERS / 10 ))   # pairs: echo server + chatty client
WEB=$(( CONTAINERS / 20 ))    # pairs: httpd server + polling wget client
[ "$ECHO" -ge 1 ] || ECHO=1
[ "$WEB" -ge 1 ] || WEB=1
SLEEPERS=$(( CONTAINERS - 2 * ECHO - 2 * WEB ))
run() { docker run -d --label "$LABEL" "$IMAGE" "$@"; }
ip_of() { docker inspect --format '{{.NetworkSettings.Networks.bridge.IPAddress}}' "$1"; }
for _ in $(seq 1 "$ECHO"); do
  id=$(run /bin/busybox nc -ll -p 8080 -e /bin/busybox cat)
  ip=$(ip_of "$id")
  run /bin/sh -c "while true; do while true; do echo ping; /bin/sleep 5; done | /bin/busybox nc $ip 8080; /bin/sleep 1; done" >/dev/null
done
for _ in $(seq 1 "$WEB"); do
  id=$(run /bin/httpd -f -p 8080 -h /)
  ip=$(ip_of "$id")
  run /bin/sh -c "while true; do /bin/busybox wget -q -O /dev/null http://$ip:8080/ 2>/dev/null; /bin/sleep 10; done" >/dev/null
done
for _ in $(seq 1 "$SLEEPERS"); do run /bin/sleep 1000000 >/dev/null; done
RUNNING=$(docker ps -q --filter "label=$LABEL" --filter status=running | wc -l)
[ "$RUNNING" -eq "$CONTAINERS" ] || { echo "only $RUNNING of $CONTAINERS containers running" >&2; exit 1; }

"$BIN" --log "warn,vedette_sensor=debug" --log-format json sensor \
  --console-url "$URL" --api-key "$KEY" --console-fingerprint "$FINGERPRINT" \
  --state-file "$WORK/sensor-state.json" >/dev/null 2>"$WORK/sensor.log" &
SENSOR_PID=$!
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "sensor pid $SENSOR_PID, sampling for $DURATION…" >&2

# t, utime+stime ticks, VmRSS kB, VmHWM kB, TCP bytes acked by the console (sum over connections seen)
START=$(date +%s.%N)
declare -A ACKED=()
while :; do
  kill -0 "$SENSOR_PID" 2>/dev/null || { echo "the sensor exited:" >&2; tail -20 "$WORK/sensor.log" >&2; exit 1; }
  NOW=$(date +%s.%N)
  ELAPSED=$(awk -v a="$START" -v b="$NOW" 'BEGIN {printf "%.1f", b - a}')
  TICKS=$(awk '{print $14 + $15}' "/proc/$SENSOR_PID/stat")
  RSS=$(awk '/^VmRSS/ {print $2}' "/proc/$SENSOR_PID/status")
  HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$SENSOR_PID/status")
  # One line per sensor→console connection: local port and bytes_acked.
  while read -r port acked; do
    ACKED[$port]=$acked
  done < <(ss -tinpH state established "( dport = :$PORT )" 2>/dev/null | awk -v pid="pid=$SENSOR_PID," '
      index($0, pid) { split($3, a, ":"); port = a[length(a)]; next_is_info = 1; next }
      next_is_info { for (i = 1; i <= NF; i++) if ($i ~ /^bytes_acked:/) { split($i, b, ":"); print port, b[2] } next_is_info = 0 }')
  TCP=0
  for port in "${!ACKED[@]}"; do TCP=$(( TCP + ACKED[$port] )); done
  echo "$ELAPSED $TICKS $RSS $HWM $TCP" >>"$WORK/samples"
  awk -v e="$ELAPSED" -v t="$SECONDS_TOTAL" 'BEGIN {exit !(e >= t)}' && break
  sleep 5
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
PROCESSES=$(ps -e --no-headers | wc -l)

python3 - "$WORK/samples" "$WORK/sensor.log" "$(getconf CLK_TCK)" <<'EOF'
import json, statistics, sys
samples = [list(map(float, line.split())) for line in open(sys.argv[1])]
clk = float(sys.argv[3])
reports = []
for line in open(sys.argv[2]):
    try:
        event = json.loads(line)
    except ValueError:
        continue
    fields = event.get("fields", {})
    if fields.get("message") == "report accepted":
        reports.append((event["timestamp"], fields.get("snapshot"), int(fields["bytes"])))
    elif event.get("level") in ("WARN", "ERROR"):
        print("sensor log:", fields.get("message"), {k: v for k, v in fields.items() if k != "message"})
t_end, ticks_end = samples[-1][0], samples[-1][1]
steady = [s for s in samples if s[0] >= 60]
cpu_all = ticks_end / clk / t_end
cpu_steady = (steady[-1][1] - steady[0][1]) / clk / (steady[-1][0] - steady[0][0])
rss_steady = statistics.median(s[2] for s in samples[len(samples) // 2:])
peak = samples[-1][3]
snapshots = [r for r in reports if r[1]]
deltas = [r for r in reports if not r[1]]
# Steady state: the deltas after the first minute.
steady_deltas = deltas[6:] if len(deltas) > 6 else deltas
minutes = max(len(steady_deltas) * 10 / 60, 1e-9)
tcp_steady = (steady[-1][4] - steady[0][4]) / ((steady[-1][0] - steady[0][0]) / 60)
print(f"reports accepted: {len(reports)} ({len(snapshots)} snapshot(s), {len(deltas)} deltas) over {t_end / 60:.1f} min")
print(f"CPU: {cpu_all * 100:.2f} % of one core over the whole run ({cpu_all:.4f}), {cpu_steady * 100:.2f} % after the first minute")
print(f"RSS: peak (VmHWM) {peak / 1024:.1f} MB, steady (median of the second half) {rss_steady / 1024:.1f} MB")
if snapshots:
    print(f"first snapshot: {snapshots[0][2]} bytes (zstd JSON body)")
if steady_deltas:
    per_report = statistics.mean(r[2] for r in steady_deltas)
    print(f"steady state: {per_report:.0f} bytes per delta body, {per_report * 6:.0f} bytes/min of report bodies; "
          f"{tcp_steady:.0f} bytes/min on the wire (TCP payload to the console, TLS and HTTP included)")
EOF
echo "host: $(nproc) cores, $PROCESSES processes, $CONTAINERS bench containers ($ECHO echo pairs, $WEB web pairs, $SLEEPERS sleeping), $(docker ps -q | wc -l) running in all"
echo "load average: before $LOAD_BEFORE, after $LOAD_AFTER"
