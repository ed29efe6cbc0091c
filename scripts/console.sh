#!/usr/bin/env bash
# Builds Vedette (web UI + release binary), runs the Management Console with
# its embedded store in ./.vedette (override with VEDETTE_DATA_DIR), listening
# on 0.0.0.0:8443 (override with VEDETTE_LISTEN), and a sensor on this host
# reporting to it. Extra arguments go to `vedette console` (see
# `vedette console --help`). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "console.sh: $*" >&2; exit 1; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/vedette/target}"
command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup"
if ! command -v npm >/dev/null; then
  echo "installing Node.js and npm (apt-get install nodejs npm)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm || die "cannot install nodejs and npm"
fi
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build) || die "the web UI does not build"
cargo build --release -p vedette || die "vedette does not build"
BIN="$CARGO_TARGET_DIR/release/vedette"

# Put `vedette` on the PATH, so that the commands the console prints work as
# printed (including under sudo, whose PATH has /usr/local/bin).
if [ -w /usr/local/bin ]; then LINK_DIR=/usr/local/bin; else LINK_DIR="$HOME/.local/bin"; fi
mkdir -p "$LINK_DIR" && ln -sf "$BIN" "$LINK_DIR/vedette" || die "cannot link vedette into $LINK_DIR"
case ":$PATH:" in
  *":$LINK_DIR:"*) ;;
  *) echo "console.sh: vedette is linked in $LINK_DIR, which is not on your PATH: add it (export PATH=\"$LINK_DIR:\$PATH\")" ;;
esac

export VEDETTE_DATA_DIR="${VEDETTE_DATA_DIR:-$PWD/.vedette}"
export VEDETTE_LISTEN="${VEDETTE_LISTEN:-0.0.0.0:8443}"
mkdir -p "$VEDETTE_DATA_DIR"
BANNER="$VEDETTE_DATA_DIR/console-banner.txt"
: >"$BANNER"

# The console prints its banner (URL, TLS and API key fingerprints, setup code) on
# standard output: show it and keep a copy to start the sensor with.
"$BIN" console "$@" > >(tee "$BANNER") &
CONSOLE_PID=$!
SENSOR_PID=""
trap 'kill $CONSOLE_PID $SENSOR_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 600); do
  grep -q "Start a sensor" "$BANNER" 2>/dev/null && break
  kill -0 "$CONSOLE_PID" 2>/dev/null || die "the console stopped; see the messages above"
  sleep 0.1
done
grep -q "Start a sensor" "$BANNER" || die "the console did not start within 60 s"
FINGERPRINT=$(awk '/TLS fingerprint:/ {print $3}' "$BANNER")
# The banner shows the API key only on a terminal (it goes through tee here):
# read it from the data dir's 0600 key file, as an operator would.
API_KEY=$("$BIN" console api-key show) || die "cannot read the sensor API key"
[ -t 1 ] && echo "console.sh: sensor API key: $API_KEY"

# The sensor on this host reaches the console over loopback; it pins the
# console's certificate by fingerprint, so the address it uses does not matter.
VEDETTE_API_KEY="$API_KEY" "$BIN" sensor --console-url "https://127.0.0.1:${VEDETTE_LISTEN##*:}" \
  --console-fingerprint "$FINGERPRINT" --state-file "$VEDETTE_DATA_DIR/sensor-state.json" &
SENSOR_PID=$!
cat <<EOF
console.sh: a sensor on this host reports to the console (pid $SENSOR_PID); Ctrl-C stops both.
console.sh: this console's store is in $VEDETTE_DATA_DIR; commands on this host need it:
    export VEDETTE_DATA_DIR=$VEDETTE_DATA_DIR
    vedette console admin create --username NAME     # the first admin, instead of the setup page
    vedette console api-key show                     # the sensor API key
EOF
wait "$CONSOLE_PID"
