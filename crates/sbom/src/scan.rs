//! The scan: one walk of a source, every cataloger on the files it wants,
//! then package URLs, de-duplication and a stable order.

use std::collections::BTreeMap;
use std::io::SeekFrom;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use vedette_model::package::{Distro, Package};

use crate::cataloger::{self, Cataloger, os_release};
use crate::source::{FileInfo, FileInput, Source};
use crate::{Diagnostic, Error, purl};

/// Largest os-release file read.
const OS_RELEASE_LIMIT: u64 = 64 << 10;

/// What is installed in one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sbom {
    /// What was scanned (`dir:/host`, …).
    pub source: String,
    /// The operating system, when the source has an os-release file.
    pub distro: Option<Distro>,
    /// Packages, sorted by type, name and version; one entry per distinct
    /// package with every location it was found at.
    pub packages: Vec<Package>,
    /// Files that could not be (fully) read, and why.
    pub diagnostics: Vec<Diagnostic>,
}

/// Catalogs `source` with every cataloger of [`cataloger::all`].
pub fn catalog(source: &dyn Source) -> Result<Sbom, Error> {
    catalog_with(source, &cataloger::all())
}

/// Catalogs `source` with the given catalogers (at most 64).
pub fn catalog_with(source: &dyn Source, catalogers: &[Box<dyn Cataloger>]) -> Result<Sbom, Error> {
    if catalogers.len() > 64 {
        return Err(Error::Invalid("at most 64 catalogers per scan".into()));
    }
    let mut diagnostics = Vec::new();
    let distro = read_distro(source, &mut diagnostics);
    let packages = Mutex::new(Vec::new());
    let diags = Mutex::new(diagnostics);
    let report = |d: Diagnostic| {
        if let Ok(mut diags) = diags.lock() {
            diags.push(d);
        }
    };
    let want = |file: &FileInfo<'_>| {
        catalogers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.required(file))
            .fold(0u64, |mask, (i, _)| mask | (1 << i))
    };
    let visit = |path: &str, mask: u64, input: &mut dyn FileInput| {
        for (i, c) in catalogers.iter().enumerate() {
            if mask & (1 << i) == 0 {
                continue;
            }
            let result = input
                .seek(SeekFrom::Start(0))
                .map_err(|e| Error::io(path, e))
                .and_then(|_| c.catalog(path, input));
            let diagnostic = |message: String| Diagnostic {
                path: path.to_string(),
                cataloger: c.name().to_string(),
                message,
            };
            match result {
                Ok(found) => {
                    for warning in found.warnings {
                        report(diagnostic(warning));
                    }
                    let mut found_packages = found.packages;
                    for p in &mut found_packages {
                        p.cataloger = c.name().to_string();
                        if p.locations.is_empty() {
                            p.locations.push(path.to_string());
                        }
                    }
                    if let Ok(mut all) = packages.lock() {
                        all.extend(found_packages);
                    }
                }
                Err(e) => report(diagnostic(e.to_string())),
            }
        }
    };
    source.walk(&want, &visit, &report)?;
    let packages = packages.into_inner().unwrap_or_default();
    let mut diagnostics = diags.into_inner().unwrap_or_default();
    diagnostics.sort_by(|a, b| (&a.path, &a.cataloger).cmp(&(&b.path, &b.cataloger)));
    Ok(Sbom {
        source: source.describe(),
        packages: finish(packages, distro.as_ref()),
        distro,
        diagnostics,
    })
}

/// Reads os-release from its usual places.
fn read_distro(source: &dyn Source, diagnostics: &mut Vec<Diagnostic>) -> Option<Distro> {
    for path in os_release::PATHS {
        match source.read_file(path, OS_RELEASE_LIMIT) {
            Ok(bytes) => return os_release::parse(&String::from_utf8_lossy(&bytes)),
            Err(Error::Io { source: e, .. }) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => diagnostics.push(Diagnostic {
                path: path.to_string(),
                cataloger: "os-release".into(),
                message: e.to_string(),
            }),
        }
    }
    None
}

/// What makes two found packages the same: type, name, version, arch and
/// source name.
type MergeKey = (String, String, String, Option<String>, Option<String>);

/// Merges duplicates (the same package found by several files), builds
/// package URLs and sorts.
fn finish(packages: Vec<Package>, distro: Option<&Distro>) -> Vec<Package> {
    let mut merged: BTreeMap<MergeKey, Package> = BTreeMap::new();
    for p in packages {
        let key = merge_key(&p);
        match merged.get_mut(&key) {
            Some(existing) => {
                for l in p.locations {
                    if !existing.locations.contains(&l) {
                        existing.locations.push(l);
                    }
                }
            }
            None => {
                merged.insert(key, p);
            }
        }
    }
    merged
        .into_values()
        .map(|mut p| {
            p.locations.sort();
            p.purl = purl::build(&p, distro);
            p
        })
        .collect()
}

/// Sorts packages the way [`catalog`] lists them (type, name, version, arch,
/// source name).
pub(crate) fn sort_packages(packages: &mut [Package]) {
    packages.sort_by_cached_key(merge_key);
}

fn merge_key(p: &Package) -> MergeKey {
    (
        p.package_type.purl_type().to_string(),
        p.name.clone(),
        p.version.clone(),
        p.arch.clone(),
        p.source_name.clone(),
    )
}
