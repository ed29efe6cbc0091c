#!/usr/bin/env bash
# Runs the secrets benchmark with detect-secrets (PyPI) available, for the speed ratio.
# Usage: crates/secrets/bench/compare.sh [CORPUS_DIR] [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/../../.."
if ! command -v detect-secrets >/dev/null; then
    venv="${TMPDIR:-/tmp}/vedette-detect-secrets-venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet detect-secrets
    export PATH="$venv/bin:$PATH"
fi
exec cargo run --release -p vedette-secrets --example bench_secrets -- "$@"
