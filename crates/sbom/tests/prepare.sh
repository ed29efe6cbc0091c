#!/usr/bin/env bash
# Prepares what the vedette-sbom integration tests (and the schema checks of
# vedette's) need. Idempotent: run it as often as you like; it installs only
# what is missing, and prints a line only for what it does; a tool's own
# output is shown only when it fails, so every ERROR line is a real failure.
#
#   apt:   golang-go (Go toolchain), liblog4j2-java (real jars), docker.io and
#          busybox-static (the docker import/save test), python3-venv / npm if
#          absent; rpm + db5.3-util only to regenerate testdata/rpm (not needed)
#   dockerd: started in the background if no daemon answers
#   cargo: cargo-auditable (from crates.io)
#   venv:  $CACHE/venv: jsonschema (schema validation of CycloneDX / SPDX /
#          SARIF output; the tests run this venv's python, never the system's)
#   pip:   six, requests and its dependencies, pinned, --target $FIXTURES/python
#          cyclonedx-bom and lib4sbom in their own venv $FIXTURES/sbomtools: SBOMs
#          of the Python fixture written by other tools ($FIXTURES/thirdparty/bom.{cdx,spdx}.json)
#   apt:   ruby (gemspecs checked against `gem list`)
#   npm:   lodash@4.17.21 @babel/code-frame@7.22.13 express@4.18.2 in $FIXTURES/node;
#          pnpm@9, yarn@1 and @yarnpkg/cli-dist@4 (yarn berry) in $FIXTURES/tools,
#          then dependencies installed by each in $FIXTURES/{pnpm,yarn,berry}
#          (real lock files; berry uses registry.npmjs.org and the node-modules linker);
#          no install scripts run anywhere
#
# Every fixture is keyed by what makes it: it is built in <name>.<hash of its
# spec>/ with the spec in .done (written last), and <name> is a symbolic link
# to it. A changed spec builds a new directory; a cache left by another spec,
# or half-built, is never reused. Runs of this script wait for each other.
#
# CACHE defaults to /var/cache/vedette (VEDETTE_TEST_CACHE), FIXTURES to
# $CACHE/sbom-fixtures (VEDETTE_SBOM_FIXTURES).
set -euo pipefail

CACHE="${VEDETTE_TEST_CACHE:-/var/cache/vedette}"
FIXTURES="${VEDETTE_SBOM_FIXTURES:-$CACHE/sbom-fixtures}"
mkdir -p "$CACHE" "$FIXTURES"
exec 9>"$FIXTURES/.lock"
flock 9

# quietly CMD…: runs CMD with its output kept aside; shows it only when CMD
# fails. A clean run prints only this script's own lines.
quietly() {
    local log status=0
    log=$(mktemp)
    "$@" >"$log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        cat "$log" >&2
        echo "prepare.sh: failed ($status): $*" >&2
    fi
    rm -f "$log"
    return "$status"
}

apt_missing=()
command -v go >/dev/null || apt_missing+=(golang-go)
ls /usr/share/java/log4j-core-*.jar >/dev/null 2>&1 || apt_missing+=(liblog4j2-java)
command -v npm >/dev/null || apt_missing+=(npm)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_missing+=(python3-venv)
command -v dockerd >/dev/null || apt_missing+=(docker.io)
[ -x /usr/bin/busybox ] || apt_missing+=(busybox-static)
command -v gem >/dev/null || apt_missing+=(ruby)
if ((${#apt_missing[@]})); then
    echo "prepare.sh: apt-get install ${apt_missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    quietly apt-get update -qq
    quietly apt-get install -y -qq "${apt_missing[@]}"
fi

if ! docker info >/dev/null 2>&1; then
    echo "prepare.sh: starting dockerd"
    (nohup dockerd >/var/log/vedette-dockerd.log 2>&1 &)
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { echo "prepare.sh: dockerd did not start, see /var/log/vedette-dockerd.log" >&2; exit 1; }
fi

if ! command -v cargo-auditable >/dev/null; then
    echo "prepare.sh: cargo install cargo-auditable"
    quietly cargo install --locked cargo-auditable
fi

# fixture ROOT NAME SPEC BUILD: makes ROOT/NAME a link to a directory built
# by `BUILD DIR` for exactly SPEC (a text naming everything that shapes it).
fixture() {
    local root=$1 name=$2 spec=$3 build=$4 hash dir link
    hash=$(printf '%s' "$spec" | sha256sum | cut -c1-12)
    dir="$root/$name.$hash"
    if [ ! -f "$dir/.done" ] || [ "$(cat "$dir/.done")" != "$spec" ]; then
        echo "prepare.sh: $name ($dir)"
        rm -rf "$dir"
        mkdir -p "$dir"
        "$build" "$dir"
        printf '%s' "$spec" >"$dir/.done"
    fi
    link="$root/$name"
    # A directory left by older versions of this script, not a link.
    if [ -d "$link" ] && [ ! -L "$link" ]; then rm -rf "$link"; fi
    ln -sfn "$name.$hash" "$link.tmp.$$"
    mv -T "$link.tmp.$$" "$link"
}

# pip in a venv: no system packages in the way (no "dependency resolver"
# conflicts with whatever else is installed), no root warning, no pip
# upgrade notice.
PIP_FLAGS=(--quiet --disable-pip-version-check --no-input --root-user-action=ignore)
PYTHON_VERSION=$(python3 -c 'import sys; print(sys.version)')

# venv DIR PACKAGES…: a venv in DIR with exactly these packages.
venv() {
    local dir=$1
    shift
    quietly python3 -m venv "$dir"
    quietly "$dir/bin/python" -m pip install "${PIP_FLAGS[@]}" "$@"
}

JSONSCHEMA=(jsonschema==4.26.0 rfc3339-validator==0.1.4 jsonpointer==3.12 idna==3.21)
build_venv() { venv "$1" "${JSONSCHEMA[@]}"; }
fixture "$CACHE" venv "python $PYTHON_VERSION; venv ${JSONSCHEMA[*]}" build_venv
PYTHON="$CACHE/venv/bin/python"

PYTHON_PACKAGES=(six==1.16.0 requests==2.31.0 certifi==2026.10.19.post1 charset-normalizer==3.5.3
    idna==3.21 urllib3==2.8.0)
build_python() {
    quietly "$PYTHON" -m pip install "${PIP_FLAGS[@]}" --no-compile --no-deps --target "$1" "${PYTHON_PACKAGES[@]}"
}
fixture "$FIXTURES" python "pip --target ${PYTHON_PACKAGES[*]}" build_python

SBOMTOOLS=(cyclonedx-bom==7.5.0 lib4sbom==0.10.4)
build_sbomtools() { venv "$1" "${SBOMTOOLS[@]}"; }
fixture "$FIXTURES" sbomtools "python $PYTHON_VERSION; venv ${SBOMTOOLS[*]}" build_sbomtools

build_thirdparty() {
    local out=$1 tools="$FIXTURES/sbomtools/bin/python"
    "$PYTHON" -m pip freeze --disable-pip-version-check --path "$FIXTURES/python" >"$out/requirements.txt"
    quietly "$tools" -m cyclonedx_py requirements "$out/requirements.txt" --of JSON -o "$out/bom.cdx.json"
    "$tools" - "$out/bom.cdx.json" "$out/bom.spdx.json" <<'PY'
import sys
from lib4sbom.parser import SBOMParser
from lib4sbom.generator import SBOMGenerator
parser = SBOMParser()
parser.parse_file(sys.argv[1])
SBOMGenerator(sbom_type="spdx", format="json").generate("vedette-fixture", parser.get_sbom(), filename=sys.argv[2])
PY
}
fixture "$FIXTURES" thirdparty "from python: $(readlink "$FIXTURES/python"); by $(readlink "$FIXTURES/sbomtools")" build_thirdparty

# npm: no install scripts run, so none to warn about.
NPM_FLAGS=(--no-audit --no-fund --ignore-scripts)
NODE_PACKAGES=(lodash@4.17.21 @babel/code-frame@7.22.13 express@4.18.2)
build_node() {
    echo '{"name":"vedette-sbom-fixture","version":"1.0.0","private":true}' >"$1/package.json"
    (cd "$1" && quietly npm install "${NPM_FLAGS[@]}" "${NODE_PACKAGES[@]}")
}
fixture "$FIXTURES" node "npm install ${NODE_PACKAGES[*]}" build_node

TOOLS=(pnpm@9 yarn@1 @yarnpkg/cli-dist@4)
build_tools() {
    echo '{"name":"vedette-sbom-tools","version":"1.0.0","private":true}' >"$1/package.json"
    (cd "$1" && quietly npm install "${NPM_FLAGS[@]}" "${TOOLS[@]}")
}
fixture "$FIXTURES" tools "npm install ${TOOLS[*]}" build_tools
TOOLS_DIR="$FIXTURES/$(readlink "$FIXTURES/tools")"

deps='"lodash":"4.17.21","@babel/code-frame":"7.22.13","express":"4.18.2"'
build_pm() {
    local dir=$1 pm=$2
    echo "{\"name\":\"vedette-sbom-$pm\",\"version\":\"1.0.0\",\"private\":true,\"dependencies\":{$deps}}" >"$dir/package.json"
    case $pm in
        pnpm) (cd "$dir" && quietly "$TOOLS_DIR/node_modules/.bin/pnpm" install --ignore-scripts) ;;
        yarn) (cd "$dir" && quietly node "$TOOLS_DIR/node_modules/yarn/bin/yarn.js" install --ignore-scripts --non-interactive) ;;
        berry) (cd "$dir" \
            && printf 'nodeLinker: node-modules\nnpmRegistryServer: "https://registry.npmjs.org"\nenableTelemetry: false\nenableScripts: false\n' >.yarnrc.yml \
            && touch yarn.lock \
            && quietly node "$TOOLS_DIR/node_modules/@yarnpkg/cli-dist/bin/yarn.js" install) ;;
    esac
}
for pm in pnpm yarn berry; do
    build() { build_pm "$1" "$pm"; }
    fixture "$FIXTURES" "$pm" "$pm install {$deps} with $(readlink "$FIXTURES/tools")" build
done

echo "prepare.sh: ready ($FIXTURES, $CACHE/venv)"
