#!/usr/bin/env bash
# Prepares what the vedette-sbom integration tests need. Idempotent: run it
# as often as you like; it installs only what is missing.
#
#   apt:   golang-go (Go toolchain), liblog4j2-java (real jars), docker.io and
#          busybox-static (the docker import/save test), python3-pip / npm if
#          absent; rpm + db5.3-util only to regenerate testdata/rpm (not needed)
#   dockerd: started in the background if no daemon answers
#   cargo: cargo-auditable (from crates.io)
#   pip:   six==1.16.0 requests==2.31.0  --target $FIXTURES/python
#          jsonschema (schema validation of CycloneDX / SPDX output)
#          cyclonedx-bom and lib4sbom --target $FIXTURES/sbomtools: SBOMs of the
#          Python fixture written by other tools ($FIXTURES/thirdparty/bom.{cdx,spdx}.json)
#   apt:   ruby (gemspecs checked against `gem list`)
#   npm:   lodash@4.17.21 @babel/code-frame@7.22.13 express@4.18.2 in $FIXTURES/node;
#          pnpm@9, yarn@1 and @yarnpkg/cli-dist@4 (yarn berry) in $FIXTURES/tools,
#          then dependencies installed by each in $FIXTURES/{pnpm,yarn,berry}
#          (real lock files; berry uses registry.npmjs.org and the node-modules linker)
#
# FIXTURES defaults to /var/cache/vedette/sbom-fixtures (VEDETTE_SBOM_FIXTURES).
set -euo pipefail

FIXTURES="${VEDETTE_SBOM_FIXTURES:-/var/cache/vedette/sbom-fixtures}"
mkdir -p "$FIXTURES"

apt_missing=()
command -v go >/dev/null || apt_missing+=(golang-go)
ls /usr/share/java/log4j-core-*.jar >/dev/null 2>&1 || apt_missing+=(liblog4j2-java)
command -v npm >/dev/null || apt_missing+=(npm)
command -v pip3 >/dev/null || command -v pip >/dev/null || apt_missing+=(python3-pip)
command -v dockerd >/dev/null || apt_missing+=(docker.io)
[ -x /usr/bin/busybox ] || apt_missing+=(busybox-static)
command -v gem >/dev/null || apt_missing+=(ruby)
if ((${#apt_missing[@]})); then
    echo "prepare.sh: apt-get install ${apt_missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${apt_missing[@]}"
fi

if ! docker info >/dev/null 2>&1; then
    echo "prepare.sh: starting dockerd"
    (nohup dockerd >/var/log/vedette-dockerd.log 2>&1 &)
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { echo "prepare.sh: dockerd did not start, see /var/log/vedette-dockerd.log" >&2; exit 1; }
fi

if ! command -v cargo-auditable >/dev/null; then
    echo "prepare.sh: cargo install cargo-auditable"
    cargo install --locked cargo-auditable
fi

PIP="python3 -m pip"
if ! python3 -c 'import jsonschema, referencing' >/dev/null 2>&1; then
    echo "prepare.sh: pip install jsonschema"
    $PIP install --quiet jsonschema
fi

if [ ! -f "$FIXTURES/python/.done" ]; then
    echo "prepare.sh: pip install --target $FIXTURES/python six requests"
    rm -rf "$FIXTURES/python"
    $PIP install --quiet --no-compile --target "$FIXTURES/python" six==1.16.0 requests==2.31.0
    touch "$FIXTURES/python/.done"
fi

if [ ! -f "$FIXTURES/thirdparty/.done" ]; then
    echo "prepare.sh: SBOMs from cyclonedx-py and lib4sbom in $FIXTURES/thirdparty"
    rm -rf "$FIXTURES/sbomtools" "$FIXTURES/thirdparty"
    mkdir -p "$FIXTURES/thirdparty"
    $PIP install --quiet --target "$FIXTURES/sbomtools" cyclonedx-bom lib4sbom
    $PIP freeze --path "$FIXTURES/python" > "$FIXTURES/thirdparty/requirements.txt"
    PYTHONPATH="$FIXTURES/sbomtools" python3 -m cyclonedx_py requirements "$FIXTURES/thirdparty/requirements.txt" \
        --of JSON -o "$FIXTURES/thirdparty/bom.cdx.json"
    PYTHONPATH="$FIXTURES/sbomtools" python3 - "$FIXTURES/thirdparty/bom.cdx.json" "$FIXTURES/thirdparty/bom.spdx.json" <<'PY'
import sys
from lib4sbom.parser import SBOMParser
from lib4sbom.generator import SBOMGenerator
parser = SBOMParser()
parser.parse_file(sys.argv[1])
SBOMGenerator(sbom_type="spdx", format="json").generate("vedette-fixture", parser.get_sbom(), filename=sys.argv[2])
PY
    touch "$FIXTURES/thirdparty/.done"
fi

if [ ! -f "$FIXTURES/node/.done" ]; then
    echo "prepare.sh: npm install in $FIXTURES/node"
    rm -rf "$FIXTURES/node"
    mkdir -p "$FIXTURES/node"
    (cd "$FIXTURES/node" && echo '{"name":"vedette-sbom-fixture","version":"1.0.0","private":true}' > package.json \
        && npm install --no-audit --no-fund --ignore-scripts lodash@4.17.21 @babel/code-frame@7.22.13 express@4.18.2 >/dev/null)
    touch "$FIXTURES/node/.done"
fi

if [ ! -f "$FIXTURES/tools/.done" ]; then
    echo "prepare.sh: npm install pnpm@9 yarn@1 @yarnpkg/cli-dist@4 in $FIXTURES/tools"
    rm -rf "$FIXTURES/tools"
    mkdir -p "$FIXTURES/tools"
    (cd "$FIXTURES/tools" && npm install --no-audit --no-fund pnpm@9 yarn@1 @yarnpkg/cli-dist@4 >/dev/null)
    touch "$FIXTURES/tools/.done"
fi

deps='"lodash":"4.17.21","@babel/code-frame":"7.22.13","express":"4.18.2"'
for pm in pnpm yarn berry; do
    if [ ! -f "$FIXTURES/$pm/.done" ]; then
        echo "prepare.sh: $pm install in $FIXTURES/$pm"
        rm -rf "$FIXTURES/$pm"
        mkdir -p "$FIXTURES/$pm"
        echo "{\"name\":\"vedette-sbom-$pm\",\"version\":\"1.0.0\",\"private\":true,\"dependencies\":{$deps}}" > "$FIXTURES/$pm/package.json"
        case $pm in
            pnpm) (cd "$FIXTURES/pnpm" && "$FIXTURES/tools/node_modules/.bin/pnpm" install --ignore-scripts >/dev/null) ;;
            yarn) (cd "$FIXTURES/yarn" && node "$FIXTURES/tools/node_modules/yarn/bin/yarn.js" install --ignore-scripts --non-interactive >/dev/null) ;;
            berry) (cd "$FIXTURES/berry" \
                && printf 'nodeLinker: node-modules\nnpmRegistryServer: "https://registry.npmjs.org"\nenableTelemetry: false\nenableScripts: false\n' > .yarnrc.yml \
                && touch yarn.lock \
                && node "$FIXTURES/tools/node_modules/@yarnpkg/cli-dist/bin/yarn.js" install >/dev/null) ;;
        esac
        touch "$FIXTURES/$pm/.done"
    fi
done

echo "prepare.sh: ready ($FIXTURES)"
