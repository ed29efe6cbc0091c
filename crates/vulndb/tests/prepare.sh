#!/bin/sh
# Test setup for vedette-vulndb. Idempotent: installs only what is missing.
#   python3-venv   the reference check (tests/osv_reference.rs) installs the `osv`
#                  Python library, pinned, into a venv of its own under the test
#                  target directory; Debian's python3 needs this package for venvs
set -eu
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "prepare.sh: apt-get install python3-venv"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq python3-venv >/dev/null
fi
