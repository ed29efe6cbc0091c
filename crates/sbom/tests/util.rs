//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use vedette_model::package::Package;
use vedette_sbom::cataloger::Cataloger;
use vedette_sbom::source::FileInput;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Where `prepare.sh` put the installed fixtures: `VEDETTE_SBOM_FIXTURES`,
/// else `sbom-fixtures` in the test cache (`VEDETTE_TEST_CACHE`, else
/// /var/cache/vedette).
pub fn fixtures() -> PathBuf {
    std::env::var_os("VEDETTE_SBOM_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| vedette_testkit::cache_dir().join("sbom-fixtures"))
}

/// A fixture path that must exist, or a clear failure.
pub fn fixture(relative: &str) -> PathBuf {
    let path = fixtures().join(relative);
    assert!(
        path.exists(),
        "missing test fixture {}: run crates/sbom/tests/prepare.sh first",
        path.display()
    );
    path
}

/// The crate's testdata folder.
pub fn testdata(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(relative)
}

/// Runs a command and returns its stdout; fails clearly if the tool is
/// missing or fails.
pub fn run(program: &str, args: &[&str], dir: Option<&Path>) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {program} ({e}): run crates/sbom/tests/prepare.sh first")
    });
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs one cataloger on one real file.
pub fn catalog_file(
    cataloger: &dyn Cataloger,
    path: &Path,
) -> Result<vedette_sbom::cataloger::Found, vedette_sbom::Error> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| vedette_sbom::Error::io(&path.display().to_string(), e))?;
    let input: &mut dyn FileInput = &mut file;
    cataloger.catalog(&path.display().to_string(), input)
}

/// `name@version` strings, sorted, for comparisons.
pub fn ids(packages: &[Package]) -> Vec<String> {
    let mut ids: Vec<String> = packages
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}
