//! Integration tests of vedette-sbom on real package databases and real
//! packages (prepared by `tests/prepare.sh`), SBOM schema validation, and
//! hostile inputs.
//!
//! Tests needing a tool or fixture that is missing fail with a message
//! naming `crates/sbom/tests/prepare.sh`; none is skipped silently.

// Shared helpers: fixture paths, running tools, mini roots.
mod util;

// This machine's dpkg database against `dpkg-query`.
mod dpkg_host;
// Python, Node, Java, Go and Rust packages installed or built for real.
mod languages;
// rpm databases in the three backends (testdata/rpm).
mod rpm;
// CycloneDX and SPDX output: official schemas, and reading back.
mod formats;
// Malformed databases, bombs, deep nesting, huge files, symlink escapes.
mod hostile;
// docker save archives and OCI layouts: flattening, whiteouts, hostile layers.
mod images;
// A real image: docker import + docker build + docker save.
mod docker;
// pnpm and yarn lock files from the real tools; Ruby gems against `gem list`.
mod lockfiles;
