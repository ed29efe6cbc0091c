#!/usr/bin/env bash
# Prepares what the vedette binary's tests need. Idempotent: installs only
# what is missing.
#
#   schemathesis (PyPI, pinned) in its own venv, for tests/schemathesis.rs:
#   /var/cache/vedette/venv-schemathesis (override with VEDETTE_SCHEMATHESIS_VENV)
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
venv=${VEDETTE_SCHEMATHESIS_VENV:-/var/cache/vedette/venv-schemathesis}

installed() {
    [ -x "$venv/bin/schemathesis" ] &&
        [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" = "$SCHEMATHESIS_VERSION" ]
}

installed && exit 0

if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "prepare.sh: apt-get install python3-venv"
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv
fi

echo "prepare.sh: installing schemathesis $SCHEMATHESIS_VERSION into $venv"
mkdir -p "$(dirname "$venv")"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
installed || { echo "prepare.sh: schemathesis $SCHEMATHESIS_VERSION did not install into $venv" >&2; exit 1; }
