#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time and prints, per
# target, the executions, executions per second and the new crashes (with
# the artifact path). Exits 1 when a target found a crash.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default: 60 s, every target)
#
# Needs the nightly toolchain (`rustup toolchain install nightly`); installs
# cargo-fuzz when it is missing. Builds without a sanitizer (`-s none`: the
# code denies `unsafe`; coverage-guided fuzzing still finds panics, overflows
# (debug assertions are on), out-of-memory and hangs), one process per target.
# Environment:
#   FUZZ_TARGET_DIR  cargo target dir (default: fuzz/target)
#   FUZZ_RSS_MB      memory limit per run in MB (default 2048: more is a finding)
#   FUZZ_TIMEOUT     seconds one input may take (default 10: more is a finding)
#   FUZZ_NO_MALWARE  set to 1 to leave out the malware targets (yara-x and
#                    wasmtime make most of the first build's time)
# Seeds (committed) are in fuzz/seeds/<target>; what libFuzzer adds goes to
# fuzz/corpus/<target> and crashes to fuzz/artifacts/<target> (both ignored
# by git). Reproduce a crash: cargo +nightly fuzz run -s none TARGET FILE
set -euo pipefail

seconds=${1:-60}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/fuzz"
target_dir=${FUZZ_TARGET_DIR:-$fuzz/target}
rss_mb=${FUZZ_RSS_MB:-2048}
timeout=${FUZZ_TIMEOUT:-10}
features=()
malware_targets='^(yara_rules|malware_archive)$'
[ "${FUZZ_NO_MALWARE:-0}" = 1 ] && features=(--no-default-features)

log() { echo "fuzz.sh: $*" >&2; }

[[ $seconds =~ ^[0-9]+$ ]] && ((seconds > 0)) || { log "SECONDS must be a positive whole number, not '$seconds'"; exit 2; }
rustup run nightly rustc --version >/dev/null 2>&1 || {
  log "the nightly toolchain is missing: rustup toolchain install nightly"
  exit 1
}
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz (cargo install cargo-fuzz --locked)"
  cargo install cargo-fuzz --locked >&2 || { log "cannot install cargo-fuzz"; exit 1; }
fi

cd "$fuzz"
if (($# > 0)); then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
if ((${#features[@]})); then
  mapfile -t targets < <(printf '%s\n' "${targets[@]}" | grep -Ev "$malware_targets")
fi

# Largest input per target: archives and images need room, text formats less.
max_len() {
  case $1 in
    image_layers | secrets_archive | malware_archive) echo 131072 ;;
    report_decode | sbom_read | osv_record | distro_feed) echo 65536 ;;
    *) echo 16384 ;;
  esac
}

log "building ${#targets[@]} targets (target dir $target_dir)"
cargo +nightly fuzz build -s none --codegen-units 16 "${features[@]}" --target-dir "$target_dir" >&2 || {
  log "the fuzz targets do not build"
  exit 1
}

summary=()
found=0
for target in "${targets[@]}"; do
  corpus="$fuzz/corpus/$target"
  artifacts="$fuzz/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  before=$(find "$artifacts" -type f | sort)
  output="$fuzz/artifacts/$target.log"
  log "running $target for ${seconds}s"
  set +e
  cargo +nightly fuzz run -s none --codegen-units 16 "${features[@]}" --target-dir "$target_dir" "$target" \
    "$corpus" "$fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb="$rss_mb" \
    -timeout="$timeout" -max_len="$(max_len "$target")" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$output" 2>&1
  status=$?
  set -e
  runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$output" | grep -oE '[0-9]+$' | tail -1)
  rate=$(grep -oE '^stat::average_exec_per_sec: *[0-9]+' "$output" | grep -oE '[0-9]+$' | tail -1)
  if [ -z "$runs" ]; then
    # A crash ends the run before the final statistics: take the last status line.
    runs=$(grep -oE '^#[0-9]+' "$output" | tail -1 | tr -d '#')
    rate=$(grep -oE 'exec/s: [0-9]+' "$output" | tail -1 | grep -oE '[0-9]+$')
  fi
  new=$(comm -13 <(echo "$before") <(find "$artifacts" -type f | sort) | grep -v '^$' || true)
  crashes=$(printf '%s' "$new" | grep -c . || true)
  line=$(printf '%-16s executions %10s  exec/s %6s  new crashes %s' "$target" "${runs:-?}" "${rate:-?}" "$crashes")
  if ((crashes > 0)) || { ((status != 0)) && [ -z "$new" ]; }; then
    found=1
    if [ -n "$new" ]; then
      line+=$(printf '\n%18s%s' '' $new)
    else
      line+=" (libFuzzer exited with $status; see $output)"
    fi
  fi
  summary+=("$line")
  echo "$line"
done

echo
echo "fuzzed ${#targets[@]} targets for ${seconds}s each:"
printf '%s\n' "${summary[@]}"
exit "$found"
