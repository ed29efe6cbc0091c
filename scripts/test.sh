#!/usr/bin/env bash
# Runs every check and test of Vedette: formatting, clippy, all Rust tests
# (including the PostgreSQL, Docker and tool-comparison ones, against real
# servers this script starts), and the web UI's unit and end-to-end tests in
# Debian's Chromium. This is the README's test command and all that CI runs.
#
# Installs what is missing (Debian packages, npm packages); fails with a clear
# message when it cannot. Build artefacts go to $CARGO_TARGET_DIR
# (default /var/cache/vedette/target) so repeated runs are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
die() { echo "test.sh: $*" >&2; exit 1; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/vedette/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CARGO_TARGET_DIR"

step "tools"
command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup (the toolchain is pinned in rust-toolchain.toml)"
cargo nextest --version >/dev/null 2>&1 || cargo install cargo-nextest --locked || die "cannot install cargo-nextest"
apt_missing=()
command -v node >/dev/null || apt_missing+=(nodejs)
command -v npm >/dev/null || apt_missing+=(npm)
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
if ((${#apt_missing[@]})); then
  echo "apt-get install ${apt_missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq "${apt_missing[@]}" || die "cannot install ${apt_missing[*]}"
fi

step "formatting"
cargo fmt --all --check || die "code is not formatted: run cargo fmt --all"

step "web UI build (embedded into the binary)"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build) || die "the web UI does not build"

step "clippy"
# Cargo.lock is committed and used as is; not --locked, because a lock file that
# still lists packages of a crate not yet committed is harmless (cargo prunes them).
cargo clippy --workspace --all-targets -- -D warnings

step "services for the tests"
VEDETTE_TEST_POSTGRES_URL="$(scripts/postgres.sh)" || die "PostgreSQL could not be started"
export VEDETTE_TEST_POSTGRES_URL
# Each crate that needs tools or fixtures for its tests has tests/prepare.sh
# (idempotent: installs only what is missing, starts dockerd when needed).
for prepare in crates/*/tests/prepare.sh; do
  echo "running $prepare"
  bash "$prepare" || die "$prepare failed: the tests of $(dirname "$(dirname "$prepare")") cannot run"
done

step "Rust tests"
cargo nextest run --workspace --no-fail-fast

step "web UI tests"
export VEDETTE_BIN="$CARGO_TARGET_DIR/debug/vedette"
(cd ui && npm test && node --test e2e/)
