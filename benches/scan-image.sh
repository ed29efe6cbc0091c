#!/usr/bin/env bash
# `vedette scan` benchmark (issue 4): a ~1 GiB `docker save` archive end to end
# (`vedette scan image ARCHIVE --format json`: open, flatten, catalog, load the DB,
# match, render) under /usr/bin/time -v, with wall time and peak RSS; then the
# largest DB we can build here (every feed of the shared test data plus the
# log4j fixture): build time, size on disk, load and match timings.
#
#   benches/scan-image.sh [ARCHIVE_MB]
#
# The archive is made once by the SBOM crate's bench generator
# (crates/sbom/examples/bench_image_sbom.rs: 3 layers of real files from this
# machine) and kept under /var/tmp/vedette-scan-bench. Prints the machine state
# (cores, load) the figures were taken in. Targets: < 10 s and < 300 MB for the
# image; DB load + match of this machine's packages < 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
MB="${1:-1024}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/vedette/target}"
ADVISORIES="$(cd .. && pwd)/shared/testdata/advisories"
[ -d "$ADVISORIES" ] || { echo "missing test data: $ADVISORIES" >&2; exit 1; }
cargo build --release --locked -p vedette >&2
cargo build --release --locked -p vedette-sbom --example bench_image_sbom >&2
BIN="$CARGO_TARGET_DIR/release/vedette"
MAKE="$CARGO_TARGET_DIR/release/examples/bench_image_sbom"

CACHE=/var/tmp/vedette-scan-bench
mkdir -p "$CACHE"
ARCHIVE="$CACHE/image-${MB}m.tar"
if [ ! -s "$ARCHIVE" ]; then
    echo "making a ${MB} MiB image archive at $ARCHIVE (not timed)" >&2
    "$MAKE" make "$ARCHIVE" "$MB" >&2
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- the DB: every feed of the test data (the list of crates/vulndb/examples/bench_db.rs) ---
link() { # kind relative-path
    mkdir -p "$WORK/feeds/$1"
    ln -s "$ADVISORIES/$2" "$WORK/feeds/$1/$(echo "$2" | tr / _)"
}
for rel in almalinux-osv-database bitnami-vulndb drupal-advisory-database \
    ghsa-advisory-database-excerpts go-vulndb homebrew-advisory-database pypa-advisory-database \
    r-advisory-database ubuntu-security-notices-excerpts vuln-list-update-testdata/osvdev/testdata \
    vunnel-provider-fixtures/tests/unit/providers/alma/test-fixtures/osv-database \
    vunnel-provider-fixtures/tests/unit/providers/bitnami/test-fixtures/vulndb \
    vunnel-provider-fixtures/tests/unit/providers/rocky/test-fixtures/osv \
    vunnel-provider-fixtures/tests/unit/providers/ubuntu/test-fixtures/osv \
    vunnel-provider-fixtures/tests/unit/providers/ubuntu/test-fixtures/osv-esm-cases; do
    link osv "$rel"
done
ln -s "$PWD/crates/vedette/tests/fixtures/osv" "$WORK/feeds/osv/vedette-fixtures"
for rel in vunnel-provider-fixtures/tests/unit/providers/alpine/test-fixtures/input/secdb \
    vuln-list-update-testdata/alpine/testdata/311-main.json \
    vuln-list-update-testdata/alpine/testdata/312-main.json \
    vuln-list-update-testdata/alpine/testdata/edge-main.json; do
    link alpine "$rel"
done
link debian vunnel-provider-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json
link debian osv.dev-vulnfeeds-testdata/vulnfeeds/test_data/debian/debian_security_tracker_mock.json
link nvd osv.dev-vulnfeeds-testdata/vulnfeeds/test_data/nvdcve-2.0
link nvd osv.dev-vulnfeeds-testdata/vulnfeeds/conversion/nvd/testdata/test.json
link nvd vunnel-provider-fixtures/tests/unit/providers/nvd/test-fixtures/full-page.json
link epss epss-excerpt/epss_scores-current.head.csv
link kev cisa-kev/known_exploited_vulnerabilities.json

"$BIN" db keygen --private-key "$WORK/db.key" --public-key "$WORK/db.pub" >/dev/null
/usr/bin/time -v -o "$WORK/build.time" "$BIN" --log warn db build --feeds "$WORK/feeds" \
    --output "$WORK/vedette.db" --signing-key "$WORK/db.key" >"$WORK/build.out"
DB=(--db "$WORK/vedette.db" --public-key "$WORK/db.pub")

wall() { awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$1"; }
rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$1"; }
# The debug log's elapsed_ms of a message.
ms() { grep "$2" "$1" | sed -n 's/.*elapsed_ms=\([0-9.]*\).*/\1/p' | head -1; }

# --- the image, twice (the first run warms the page cache), the second measured ---
"$BIN" --log warn scan image "$ARCHIVE" "${DB[@]}" --format json -o "$WORK/warm.json" 2>/dev/null
/usr/bin/time -v -o "$WORK/image.time" "$BIN" --log vedette=debug scan image "$ARCHIVE" "${DB[@]}" \
    --format json -o "$WORK/image.json" 2>"$WORK/image.log"
PACKAGES=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["summary"]["packages"], r["summary"]["total"])' "$WORK/image.json")

# --- DB load + match: this machine's SBOM (every package of /) scanned as an SBOM ---
"$BIN" --log warn sbom fs:/ -o "$WORK/host.cdx.json"
"$BIN" --log warn scan sbom "$WORK/host.cdx.json" "${DB[@]}" -f json -o "$WORK/warm-host.json" 2>/dev/null
/usr/bin/time -v -o "$WORK/host.time" "$BIN" --log vedette=debug scan sbom "$WORK/host.cdx.json" \
    "${DB[@]}" -f json -o "$WORK/host.json" 2>"$WORK/host.log"
HOST=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["summary"]["packages"], r["summary"]["total"])' "$WORK/host.json")

echo "== vedette scan image (${MB} MiB docker save archive) =="
echo "machine:            $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "archive:            $ARCHIVE ($(du -m "$ARCHIVE" | cut -f1) MB)"
echo "packages, findings: $PACKAGES"
echo "wall time:          $(wall "$WORK/image.time")"
echo "peak RSS:           $(rss_mb "$WORK/image.time") MB"
echo "  catalog:          $(ms "$WORK/image.log" cataloged) ms"
echo "  DB load:          $(ms "$WORK/image.log" 'DB loaded') ms"
echo "  match:            $(ms "$WORK/image.log" 'packages matched') ms"
echo
echo "== vulnerability DB (every feed of the test data) =="
echo "build time:         $(wall "$WORK/build.time") (peak RSS $(rss_mb "$WORK/build.time") MB)"
echo "size on disk:       $(stat -c %s "$WORK/vedette.db") bytes"
grep -E "problems|advisories" "$WORK/build.out" | head -2 | sed 's/^/                    /'
echo "load (verify, decompress, rebuild matcher): $(ms "$WORK/host.log" 'DB loaded') ms"
echo "match this host's SBOM (packages, findings: $HOST): $(ms "$WORK/host.log" 'packages matched') ms"
echo "scan sbom end to end: $(wall "$WORK/host.time"), peak RSS $(rss_mb "$WORK/host.time") MB"
