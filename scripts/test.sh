#!/usr/bin/env bash
# Runs every check and test of Vedette: formatting, clippy, all Rust tests
# (including the PostgreSQL, Docker and tool-comparison ones, against real
# servers this script starts), and the web UI's unit and end-to-end tests in
# Debian's Chromium. This is the README's test command and all that CI runs.
#
# Every stage that can run does run, even after another one failed; the
# script ends with a summary (stage, result, time, counts) and exits non-zero
# when any stage failed. A stage whose prerequisite failed is shown as
# "skipped" with the reason.
#
# Installs what is missing (Debian packages, npm packages); fails with a clear
# message when it cannot. Build artefacts go to $CARGO_TARGET_DIR
# (default /var/cache/vedette/target), shared with scripts/console.sh, so
# repeated runs are incremental.
set -uo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/vedette/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CARGO_TARGET_DIR"
LOGS="$(mktemp -d /tmp/vedette-test.XXXXXX)"
trap 'rm -rf "$LOGS"' EXIT

# --- stage bookkeeping -------------------------------------------------------
names=() results=() times=() counts=()
failed=0
declare -A ok=()

# run_stage NAME COUNT_FN COMMAND...: runs COMMAND with its output shown and
# kept in $LOGS/NAME.log; COUNT_FN (or "-") extracts counts from that log.
run_stage() {
  local name=$1 count_fn=$2
  shift 2
  printf '\n==> %s\n' "$name"
  local start=$SECONDS status
  "$@" 2>&1 | tee "$LOGS/$name.log"
  status=${PIPESTATUS[0]}
  local count=""
  [ "$count_fn" = "-" ] || count=$("$count_fn" "$LOGS/$name.log")
  names+=("$name") times+=("$((SECONDS - start))s") counts+=("$count")
  if [ "$status" -eq 0 ]; then
    results+=(passed) ok[$name]=1
  else
    results+=("FAILED ($status)") failed=1
    echo "test.sh: stage '$name' failed (exit $status); continuing with the stages that do not need it" >&2
  fi
}

# skip_stage NAME REASON: records a stage that cannot run.
skip_stage() {
  printf '\n==> %s: skipped (%s)\n' "$1" "$2"
  names+=("$1") results+=("skipped: $2") times+=("-") counts+=("")
  failed=1
}

# needs STAGE...: true when every named stage passed.
needs() {
  local stage
  for stage in "$@"; do [ -n "${ok[$stage]:-}" ] || return 1; done
}

summary() {
  printf '\n==> summary\n'
  printf '%-22s %-34s %8s  %s\n' stage result time counts
  local i
  for i in "${!names[@]}"; do
    printf '%-22s %-34s %8s  %s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}" "${counts[$i]}"
  done
  printf 'total %ss\n' "$SECONDS"
}

# --- counts from each tool's own summary line --------------------------------
plain() { sed -E 's/\x1b\[[0-9;]*m//g' "$1"; } # without colour codes
nextest_counts() { plain "$1" | grep -E '^ *Summary \[' | tail -1 | sed -E 's/^ *Summary \[ *[0-9.]+s\] *//'; }
vitest_counts() { plain "$1" | grep -E '^ *Tests +[0-9]' | tail -1 | sed -E 's/^ *Tests +//; s/ +\(.*$//'; }
node_test_counts() {
  local pass fail
  pass=$(grep -E '^# pass ' "$1" | tail -1 | awk '{print $3}')
  fail=$(grep -E '^# fail ' "$1" | tail -1 | awk '{print $3}')
  echo "${pass:-0} passed, ${fail:-?} failed"
}

# --- stages ------------------------------------------------------------------
tools() {
  command -v cargo >/dev/null || {
    echo "cargo is missing: install Rust with rustup (the toolchain is pinned in rust-toolchain.toml)"
    return 1
  }
  cargo nextest --version >/dev/null 2>&1 || cargo install cargo-nextest --locked || {
    echo "cannot install cargo-nextest"
    return 1
  }
  local apt_missing=()
  command -v node >/dev/null || apt_missing+=(nodejs)
  command -v npm >/dev/null || apt_missing+=(npm)
  [ -x /usr/bin/chromium ] || apt_missing+=(chromium)
  if ((${#apt_missing[@]})); then
    echo "apt-get install ${apt_missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || { echo "apt-get update failed"; return 1; }
    apt-get install -y -qq "${apt_missing[@]}" || { echo "cannot install ${apt_missing[*]}"; return 1; }
  fi
}

formatting() {
  cargo fmt --all --check || { echo "code is not formatted: run cargo fmt --all"; return 1; }
}

ui_build() {
  (cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build)
}

# Clippy and the test build in one compilation: clippy-driver (what `cargo
# clippy` runs) compiles the workspace's own crates, with its lints denied, as
# a normal build. This is `cargo clippy --workspace --all-targets -- -D
# warnings`, but the dependencies are compiled once, for the tests, instead of
# a second time in check mode (about 8 minutes on 2 cores on a fresh machine).
export RUSTC_WORKSPACE_WRAPPER="${RUSTC_WORKSPACE_WRAPPER:-$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)}"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
clippy_and_build() {
  [ -x "$RUSTC_WORKSPACE_WRAPPER" ] || { echo "clippy-driver is missing: rustup component add clippy"; return 1; }
  # Cargo.lock is committed and used as is; not --locked, because a lock file
  # that still lists packages of a crate not yet committed is harmless.
  cargo build --workspace --all-targets
}

# When only lints failed, the tests can still run: build again with clippy's
# lints reported but not denied.
build_lints_allowed() { CLIPPY_ARGS="" cargo build --workspace --all-targets; }

services() {
  local url prepare
  url="$(scripts/postgres.sh)" || { echo "PostgreSQL could not be started"; return 1; }
  echo "$url" >"$LOGS/postgres-url"
  # Each crate that needs tools or fixtures for its tests has tests/prepare.sh
  # (idempotent: installs only what is missing, starts dockerd when needed).
  for prepare in crates/*/tests/prepare.sh; do
    echo "running $prepare"
    bash "$prepare" || {
      echo "$prepare failed: the tests of $(dirname "$(dirname "$prepare")") cannot run"
      return 1
    }
  done
}

rust_tests() {
  [ -n "${ok[clippy-and-build]:-}" ] || export CLIPPY_ARGS=""
  VEDETTE_TEST_POSTGRES_URL="$(cat "$LOGS/postgres-url")" cargo nextest run --workspace --no-fail-fast
}

ui_unit() { (cd ui && npm test); }

ui_e2e() { (cd ui && VEDETTE_BIN="$CARGO_TARGET_DIR/debug/vedette" node --test e2e/); }

run_stage tools - tools
if needs tools; then
  run_stage formatting - formatting
  run_stage ui-build - ui_build
  # The UI is embedded into the binary: build it first so the tests see it.
  run_stage clippy-and-build - clippy_and_build
  needs clippy-and-build || run_stage build-lints-allowed - build_lints_allowed
  run_stage services - services
else
  for s in formatting ui-build clippy-and-build services; do skip_stage "$s" "tools failed"; done
fi
built() { needs clippy-and-build || needs build-lints-allowed; }
if built && needs services; then
  run_stage rust-tests nextest_counts rust_tests
else
  skip_stage rust-tests "needs a build and services"
fi
if needs ui-build; then
  run_stage ui-unit vitest_counts ui_unit
else
  skip_stage ui-unit "needs ui-build"
fi
if built && needs ui-build; then
  run_stage ui-e2e node_test_counts ui_e2e
else
  skip_stage ui-e2e "needs ui-build and a build"
fi

summary
exit "$failed"
