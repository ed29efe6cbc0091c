//! Helpers shared by the integration tests.

use std::path::PathBuf;

use vedette_vulndb::osv::{Limits, Loaded, load_dir};

/// The shared advisory test data (read-only).
pub fn advisories() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/advisories")
}

/// The folders of the test data that hold OSV records (see its MANIFEST.md),
/// relative to [`advisories`].
pub const OSV_FOLDERS: [&str; 18] = [
    "almalinux-osv-database",
    "bitnami-vulndb",
    "drupal-advisory-database",
    "ghsa-advisory-database-excerpts",
    "go-vulndb",
    "homebrew-advisory-database",
    "pypa-advisory-database",
    "r-advisory-database",
    "ubuntu-security-notices-excerpts",
    "ossf-osv-schema/tools/ghsa/testdata",
    "ossf-osv-schema/tools/osv-linter/testdata",
    "ossf-osv-schema/tools/redhat/testdata/OSV",
    "vuln-list-update-testdata/osvdev/testdata",
    "vunnel-provider-fixtures/tests/unit/providers/alma/test-fixtures/osv-database",
    "vunnel-provider-fixtures/tests/unit/providers/bitnami/test-fixtures/vulndb",
    "vunnel-provider-fixtures/tests/unit/providers/rocky/test-fixtures/osv",
    "vunnel-provider-fixtures/tests/unit/providers/ubuntu/test-fixtures/osv",
    "vunnel-provider-fixtures/tests/unit/providers/ubuntu/test-fixtures/osv-esm-cases",
];

/// Loads one OSV folder, failing the test if the folder is missing.
pub fn load_folder(folder: &str) -> Loaded {
    let dir = advisories().join(folder);
    assert!(
        dir.is_dir(),
        "test data folder {} is missing",
        dir.display()
    );
    load_dir(&dir, &Limits::default())
}

/// Loads every record under `dir`, failing the test on any problem.
pub fn load_dir_records(dir: &std::path::Path) -> Vec<vedette_vulndb::osv::Record> {
    let loaded = load_dir(dir, &Limits::default());
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    loaded.records.into_iter().map(|(_, r)| r).collect()
}
