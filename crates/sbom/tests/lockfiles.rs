//! Lock files written by the real package managers (pnpm 9, yarn 1, yarn 4
//! "berry", from npm, run by `prepare.sh`) against what they installed, and Debian's Ruby
//! gems against `gem list`.

use std::collections::BTreeSet;
use std::path::Path;

use vedette_sbom::cataloger::Cataloger;
use vedette_sbom::cataloger::node::{NodeInstalledCataloger, NodeLockCataloger};
use vedette_sbom::cataloger::ruby::RubyCataloger;
use vedette_sbom::source::DirSource;

use crate::util::{TestResult, catalog_file, fixture, ids, run};

/// `name@version` of what one cataloger finds under `dir`.
fn installed(
    dir: &Path,
    cataloger: Box<dyn Cataloger>,
) -> Result<BTreeSet<String>, Box<dyn std::error::Error>> {
    let sbom = vedette_sbom::catalog_with(&DirSource::open(dir)?, &[cataloger])?;
    assert!(sbom.diagnostics.is_empty(), "{:?}", sbom.diagnostics);
    Ok(ids(&sbom.packages).into_iter().collect())
}

#[test]
fn pnpm_lock_v9_matches_the_pnpm_store() -> TestResult {
    let dir = fixture("pnpm");
    let lock: BTreeSet<String> =
        ids(&catalog_file(&NodeLockCataloger, &dir.join("pnpm-lock.yaml"))?.packages)
            .into_iter()
            .collect();
    // pnpm installs every package once under node_modules/.pnpm/<id>/node_modules/<name>.
    let store = installed(
        &dir.join("node_modules/.pnpm"),
        Box::new(NodeInstalledCataloger),
    )?;
    assert!(lock.len() > 20, "{lock:?}");
    assert_eq!(lock, store);
    assert!(lock.contains("@babel/code-frame@7.22.13") && lock.contains("express@4.18.2"));
    Ok(())
}

#[test]
fn yarn_lock_v1_matches_node_modules() -> TestResult {
    let dir = fixture("yarn");
    let lock: BTreeSet<String> =
        ids(&catalog_file(&NodeLockCataloger, &dir.join("yarn.lock"))?.packages)
            .into_iter()
            .collect();
    let modules = installed(&dir, Box::new(NodeInstalledCataloger))?;
    assert!(lock.len() > 20, "{lock:?}");
    assert_eq!(lock, modules);
    Ok(())
}

#[test]
fn yarn_berry_lock_matches_node_modules() -> TestResult {
    let dir = fixture("berry");
    let text = std::fs::read_to_string(dir.join("yarn.lock"))?;
    assert!(text.contains("__metadata:"), "not a berry lock file");
    let lock: BTreeSet<String> =
        ids(&catalog_file(&NodeLockCataloger, &dir.join("yarn.lock"))?.packages)
            .into_iter()
            .collect();
    let modules = installed(&dir, Box::new(NodeInstalledCataloger))?;
    assert!(lock.len() > 20, "{lock:?}");
    assert_eq!(lock, modules);
    Ok(())
}

#[test]
fn ruby_gemspecs_match_gem_list() -> TestResult {
    // `gem list --local`: `name (1.2.3, default: 1.0.0)`.
    let listed = run("gem", &["list", "--local"], None);
    let mut expected = BTreeSet::new();
    for line in listed.lines() {
        let Some((name, versions)) = line.split_once(" (") else {
            continue;
        };
        for v in versions.trim_end_matches(')').split(", ") {
            expected.insert(format!("{name}@{}", v.trim_start_matches("default: ")));
        }
    }
    assert!(expected.len() > 20, "gem list: {listed}");
    // Every directory RubyGems searches (`gem env paths`) may hold a
    // `specifications/` folder.
    let mut found = BTreeSet::new();
    for dir in run("gem", &["env", "paths"], None).trim().split(':') {
        if Path::new(dir).join("specifications").is_dir() {
            found.extend(installed(Path::new(dir), Box::new(RubyCataloger))?);
        }
    }
    assert_eq!(found, expected);
    Ok(())
}
