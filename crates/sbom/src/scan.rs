//! The scan: one walk of a source, every cataloger on the files it wants,
//! then package URLs, de-duplication and a stable order.

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, SeekFrom};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use vedette_model::package::{Distro, Package};

use crate::cataloger::{self, Cataloger, os_release};
use crate::source::stream::{FileKey, stream_image};
use crate::source::{FileInfo, FileInput, ImageLimits, Source};
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
    let want = |file: &FileInfo<'_>| wanted_by(catalogers, file);
    let owned = Mutex::new(HashSet::new());
    let visit = |path: &str, mask: u64, input: &mut dyn FileInput| {
        let (found, found_owned) = run_catalogers(catalogers, path, mask, input, &report);
        if let Ok(mut all) = packages.lock() {
            all.extend(found);
        }
        if !found_owned.is_empty()
            && let Ok(mut all) = owned.lock()
        {
            all.extend(found_owned);
        }
    };
    source.walk(&want, &visit, &report)?;
    let packages = packages.into_inner().unwrap_or_default();
    let owned = owned.into_inner().unwrap_or_default();
    let mut diagnostics = diags.into_inner().unwrap_or_default();
    diagnostics.sort_by(|a, b| (&a.path, &a.cataloger).cmp(&(&b.path, &b.cataloger)));
    Ok(Sbom {
        source: source.describe(),
        packages: finish(packages, distro.as_ref(), &owned),
        distro,
        diagnostics,
    })
}

/// Catalogs an image archive read once from a stream (`docker save`
/// output piped from the Docker Engine, an OCI layout tar), without seeking
/// or writing to disk: see [`crate::source::stream`].
pub fn catalog_image_stream(
    reader: &mut (dyn Read + Send),
    description: &str,
    limits: ImageLimits,
) -> Result<Sbom, Error> {
    let catalogers = cataloger::all();
    // Packages and problems per file: files deleted by an upper layer drop both.
    let mut found: Vec<StreamedFile> = Vec::new();
    let want = |file: &FileInfo<'_>| wanted_by(&catalogers, file);
    let mut visit = |key: FileKey, path: &str, mask: u64, input: &mut dyn FileInput| {
        let problems = std::cell::RefCell::new(Vec::new());
        let (packages, owned) = run_catalogers(&catalogers, path, mask, input, &|d| {
            problems.borrow_mut().push(d)
        });
        found.push(StreamedFile {
            key,
            packages,
            problems: problems.into_inner(),
            owned,
        });
    };
    let streamed = stream_image(reader, limits, &want, &mut visit)?;
    let mut diagnostics = Vec::new();
    diagnostics.extend(streamed.problems);
    let distro = streamed
        .os_release
        .as_ref()
        .and_then(|(path, bytes)| os_release::parse_any(path, &String::from_utf8_lossy(bytes)));
    // Only what was found in files visible in the final image counts.
    let mut packages = Vec::new();
    let mut owned = HashSet::new();
    for file in found {
        if streamed.survivors.contains(&file.key) {
            packages.extend(file.packages);
            diagnostics.extend(file.problems);
            owned.extend(file.owned);
        }
    }
    diagnostics.sort_by(|a, b| (&a.path, &a.cataloger).cmp(&(&b.path, &b.cataloger)));
    Ok(Sbom {
        source: description.to_string(),
        packages: finish(packages, distro.as_ref(), &owned),
        distro,
        diagnostics,
    })
}

/// What the catalogers made of one file of a streamed image.
struct StreamedFile {
    key: FileKey,
    packages: Vec<Package>,
    problems: Vec<Diagnostic>,
    owned: Vec<String>,
}

/// The bit set of the catalogers that want `file`.
fn wanted_by(catalogers: &[Box<dyn Cataloger>], file: &FileInfo<'_>) -> u64 {
    catalogers
        .iter()
        .enumerate()
        .filter(|(_, c)| c.required(file))
        .fold(0u64, |mask, (i, _)| mask | (1 << i))
}

/// Runs the catalogers of `mask` on one file; their problems go to `report`.
fn run_catalogers(
    catalogers: &[Box<dyn Cataloger>],
    path: &str,
    mask: u64,
    input: &mut dyn FileInput,
    report: &dyn Fn(Diagnostic),
) -> (Vec<Package>, Vec<String>) {
    let mut packages = Vec::new();
    let mut owned = Vec::new();
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
                owned.extend(found.owned_files);
                for mut p in found.packages {
                    p.cataloger = c.name().to_string();
                    if p.locations.is_empty() {
                        p.locations.push(path.to_string());
                    }
                    packages.push(p);
                }
            }
            Err(e) => report(diagnostic(e.to_string())),
        }
    }
    (packages, owned)
}

/// Reads os-release from its usual places.
fn read_distro(source: &dyn Source, diagnostics: &mut Vec<Diagnostic>) -> Option<Distro> {
    for path in os_release::ALL_PATHS {
        match source.read_file(path, OS_RELEASE_LIMIT) {
            Ok(bytes) => return os_release::parse_any(path, &String::from_utf8_lossy(&bytes)),
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

/// Drops language packages found only in files an OS package owns (the OS
/// package, matched against its distro's advisories with their backports,
/// already covers them), merges duplicates (the same package found by
/// several files), builds package URLs and sorts.
fn finish(
    packages: Vec<Package>,
    distro: Option<&Distro>,
    owned: &HashSet<String>,
) -> Vec<Package> {
    let mut merged: BTreeMap<MergeKey, Package> = BTreeMap::new();
    for p in packages {
        if !p.is_os_package()
            && !p.locations.is_empty()
            && p.locations.iter().all(|l| owned.contains(l))
        {
            continue;
        }
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
