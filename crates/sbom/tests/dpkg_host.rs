//! This machine's `/var/lib/dpkg/status`, checked against `dpkg-query`.

use std::collections::BTreeMap;
use std::path::Path;

use vedette_sbom::cataloger::dpkg::DpkgCataloger;

use crate::util::{TestResult, catalog_file, run};

#[test]
fn every_installed_package_matches_dpkg_query() -> TestResult {
    let reference = run(
        "dpkg-query",
        &[
            "-W",
            "-f",
            "${Package}\t${Version}\t${source:Package}\t${db:Status-Abbrev}\n",
        ],
        None,
    );
    let mut expected = BTreeMap::new();
    for line in reference.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        if let [name, version, source, status] = fields.as_slice()
            && status.starts_with("ii")
        {
            expected.insert(name.to_string(), (version.to_string(), source.to_string()));
        }
    }
    assert!(
        expected.len() > 50,
        "dpkg-query listed only {} packages",
        expected.len()
    );

    let found = catalog_file(&DpkgCataloger, Path::new("/var/lib/dpkg/status"))?;
    let mut got = BTreeMap::new();
    for p in &found.packages {
        got.insert(
            p.name.clone(),
            (p.version.clone(), p.source_or_name().to_string()),
        );
    }
    assert_eq!(got, expected);
    for name in ["bash", "libc6"] {
        assert!(got.contains_key(name), "{name} not found");
    }
    assert_eq!(got.get("libc6").map(|(_, s)| s.as_str()), Some("glibc"));
    Ok(())
}
