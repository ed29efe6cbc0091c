#!/usr/bin/env bash
# Proves that the README's two commands work on a machine without anything
# this project's tests left behind: in a throwaway clone of the committed
# HEAD, with the fixture images, containers, networks, test databases,
# fixture caches and data directories removed first, it runs
#   1. scripts/console.sh in the background, waits until the sensor's host
#      (this machine) is on the console's map through the REST API, stops it;
#   2. scripts/test.sh.
# Exits non-zero, naming the step, if either fails.
#
# usage: scripts/fresh-check.sh [--fresh-build] [--keep]
#   --fresh-build  also start from an empty build cache (a new CARGO_TARGET_DIR
#                  in the throwaway directory; the shared one is left alone)
#   --keep         keep the throwaway directory (clone, logs) for inspection
#
# Removes only what carries this project's test names (vedette-test-*, and
# the names older versions used); databases still in use are left alone.
# Other work on the machine that runs Vedette's tests at the same time loses
# its fixtures: run it when nobody else is testing.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

step() { printf '\n==> fresh-check: %s\n' "$*"; }
die() { echo "fresh-check.sh: $*" >&2; exit 1; }

FRESH_BUILD=0
KEEP=0
for arg in "$@"; do
  case $arg in
    --fresh-build) FRESH_BUILD=1 ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $arg (see --help)" ;;
  esac
done

CACHE="${VEDETTE_TEST_CACHE:-/var/cache/vedette}"
WORK=$(mktemp -d /var/tmp/vedette-fresh-check.XXXXXX)
CONSOLE_PID=""
cleanup() {
  if [ -n "$CONSOLE_PID" ]; then
    kill -TERM -- "-$CONSOLE_PID" 2>/dev/null || true
    wait "$CONSOLE_PID" 2>/dev/null || true
  fi
  if ((KEEP)); then echo "fresh-check.sh: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

step "throwaway clone of $(git rev-parse --short HEAD) in $WORK/vedette"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
  echo "fresh-check.sh: note: uncommitted changes are not part of the check"
git clone --quiet --no-hardlinks "$REPO" "$WORK/vedette"
# The shared test data (real advisory feeds) lives beside the repository, in
# ../shared/testdata, outside git: the clone gets the same neighbour.
[ -d "$REPO/../shared/testdata" ] || die "$REPO/../shared/testdata (the shared test data) is missing"
ln -s "$(cd "$REPO/../shared" && pwd)" "$WORK/shared"
if ((FRESH_BUILD)); then
  export CARGO_TARGET_DIR="$WORK/target"
else
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/vedette/target}"
fi
echo "build cache: $CARGO_TARGET_DIR"

step "removing the project's test fixtures"
# Names of this version (vedette-test-…) and of older ones.
OLD_IMAGES='^vedette-(test-|[a-z-]+-test:|secrets-root:)'
OLD_OBJECTS='^vedette-(test-|sensor-test-|cli-test-|e2e-)'
if docker info >/dev/null 2>&1; then
  mapfile -t containers < <(docker ps -a --format '{{.Names}}' | grep -E "$OLD_OBJECTS" || true)
  for c in "${containers[@]}"; do echo "container $c"; docker rm -f -v "$c" >/dev/null; done
  mapfile -t networks < <(docker network ls --format '{{.Name}}' | grep -E "$OLD_OBJECTS" || true)
  for n in "${networks[@]}"; do echo "network $n"; docker network rm "$n" >/dev/null; done
  mapfile -t images < <(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "$OLD_IMAGES" || true)
  for i in "${images[@]}"; do echo "image $i"; docker rmi -f "$i" >/dev/null; done
else
  echo "Docker is not running: no images or containers to remove"
fi
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q online; then
  url=$(scripts/postgres.sh 2>/dev/null)
  mapfile -t databases < <(psql "$url" -qtAc "SELECT datname FROM pg_database WHERE datname LIKE 'vedette\_test\_%'")
  for d in "${databases[@]}"; do
    # Without FORCE: a database in use by a running test stays.
    if psql "$url" -qc "DROP DATABASE $d" >/dev/null 2>&1; then echo "database $d"; fi
  done
fi
for dir in "$CACHE"/sbom-fixtures "$CACHE"/venv "$CACHE"/venv.* "$CARGO_TARGET_DIR"/tmp/osv-py-*; do
  if [ -e "$dir" ] || [ -L "$dir" ]; then echo "cache $dir"; rm -rf "$dir"; fi
done
rm -rf /tmp/vedette-testkit-locks

step "README command 1: scripts/console.sh (until this host is on the map)"
cd "$WORK/vedette"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export VEDETTE_LISTEN="127.0.0.1:$port" VEDETTE_DATA_DIR="$WORK/vedette/.vedette"
# Its own process group, so that stopping it stops the console and the sensor.
setsid scripts/console.sh >"$WORK/console.log" 2>&1 &
CONSOLE_PID=$!
BANNER="$VEDETTE_DATA_DIR/console-banner.txt"
# The first start builds the UI and a release binary: allow an hour.
for _ in $(seq 1 3600); do
  grep -q "Start a sensor" "$BANNER" 2>/dev/null && break
  kill -0 "$CONSOLE_PID" 2>/dev/null || { tail -n 50 "$WORK/console.log" >&2; die "scripts/console.sh stopped"; }
  sleep 1
done
grep -q "Start a sensor" "$BANNER" 2>/dev/null || die "the console did not print its banner within an hour"
setup_code=$(awk '/Setup code:/ {print $3}' "$BANNER")
[ -n "$setup_code" ] || die "no setup code in the banner"
api() { curl -fsS --cacert "$VEDETTE_DATA_DIR/tls/cert.pem" -b "$WORK/cookies" -c "$WORK/cookies" "$@"; }
password="Fresh-Check-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
api -H 'content-type: application/json' \
  -d "{\"setup_code\":\"$setup_code\",\"username\":\"admin\",\"password\":\"$password\"}" \
  "https://127.0.0.1:$port/api/v1/setup" >/dev/null || die "the first administrator could not be created"
host=$(hostname)
found=0
for _ in $(seq 1 120); do
  if api "https://127.0.0.1:$port/api/v1/topology?level=hosts" 2>/dev/null | python3 -c '
import json, sys
graph = json.load(sys.stdin)
sys.exit(0 if any(n.get("kind") == "host" and n.get("label") == sys.argv[1] for n in graph.get("nodes", [])) else 1)
' "$host"; then
    found=1
    break
  fi
  sleep 1
done
((found)) || { tail -n 50 "$WORK/console.log" >&2; die "the sensor's host $host is not on the map within 2 minutes"; }
echo "host $host is on the map; stopping the console and the sensor"
kill -TERM -- "-$CONSOLE_PID"
wait "$CONSOLE_PID" 2>/dev/null || true
CONSOLE_PID=""

step "README command 2: scripts/test.sh"
started=$(date +%s)
scripts/test.sh || die "scripts/test.sh failed after $(($(date +%s) - started)) s"
step "both README commands passed from a clean start ($(($(date +%s) - started)) s of tests)"
