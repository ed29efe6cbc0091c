#!/usr/bin/env bash
# Builds Vedette (web UI + release binary) and runs the Management Console
# with its embedded store in ./.vedette (override with VEDETTE_DATA_DIR),
# listening on 0.0.0.0:8443 (override with VEDETTE_LISTEN). Extra arguments
# go to `vedette console` (see `vedette console --help`).
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
cargo build --release --locked -p vedette || die "vedette does not build"
export VEDETTE_DATA_DIR="${VEDETTE_DATA_DIR:-$PWD/.vedette}"
export VEDETTE_LISTEN="${VEDETTE_LISTEN:-0.0.0.0:8443}"
exec "$CARGO_TARGET_DIR/release/vedette" console "$@"
