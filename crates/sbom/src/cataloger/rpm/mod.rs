//! RPM packages from the rpm database, in its three on-disk forms:
//!
//! | file | backend | used by |
//! |---|---|---|
//! | `rpmdb.sqlite` | SQLite | RHEL/Alma/Rocky 9+, Fedora 33+ |
//! | `Packages` | Berkeley DB hash | RHEL/CentOS ≤ 8, Amazon Linux 2 |
//! | `Packages.db` | ndb (rpm's own) | SUSE / openSUSE 15.3+ |
//!
//! Every backend stores the same thing, one RPM header blob per package,
//! which [`header`] decodes. The source RPM name gives the source package.

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

use vedette_model::package::{Package, PackageType};

use super::{Cataloger, DATABASE_LIMIT, Found, is_kernel_package};
use crate::Error;
use crate::source::{FileInfo, FileInput, read_limited};

/// Cataloger for rpm databases.
pub struct RpmCataloger;

impl Cataloger for RpmCataloger {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn version(&self) -> u32 {
        1
    }

    fn required(&self, file: &FileInfo<'_>) -> bool {
        let Some((dir, name)) = file.path.rsplit_once('/') else {
            return false;
        };
        let in_rpm_dir =
            dir.ends_with("/rpm") || dir.ends_with("/rpmdb") || dir.ends_with("/rpm/rpmdb");
        in_rpm_dir && matches!(name, "rpmdb.sqlite" | "Packages" | "Packages.db")
    }

    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error> {
        let bytes = read_limited(path, input, DATABASE_LIMIT)?;
        let blobs = if bytes.starts_with(b"SQLite format 3\0") {
            sqlite::header_blobs(path, &bytes)?
        } else if ndb::is_ndb(&bytes) {
            ndb::header_blobs(path, &bytes)?
        } else if bdb::is_bdb_hash(&bytes) {
            bdb::header_blobs(path, &bytes)?
        } else {
            return Err(Error::malformed(
                path,
                "not a SQLite, Berkeley DB hash or ndb rpm database",
            ));
        };
        let mut found = Found::default();
        for (index, blob) in blobs.iter().enumerate() {
            let parsed = header::Header::parse(blob);
            if let Ok(h) = &parsed {
                found.owned_files.extend(files(h));
            }
            match parsed.and_then(|h| package(&h)) {
                Ok(Some(pkg)) => found.packages.push(pkg),
                Ok(None) => {}
                Err(reason) => found
                    .warnings
                    .push(format!("header {}: {reason}", index + 1)),
            }
        }
        Ok(found)
    }
}

/// Turns a decoded header into a package; `None` for the gpg-pubkey
/// pseudo-packages that hold imported signing keys.
fn package(h: &header::Header<'_>) -> Result<Option<Package>, String> {
    let name = h.string(header::TAG_NAME).ok_or("no name tag")?;
    if name == "gpg-pubkey" {
        return Ok(None);
    }
    let version = h.string(header::TAG_VERSION).ok_or("no version tag")?;
    let release = h.string(header::TAG_RELEASE).ok_or("no release tag")?;
    let evr = match h.int32(header::TAG_EPOCH) {
        Some(epoch) => format!("{epoch}:{version}-{release}"),
        None => format!("{version}-{release}"),
    };
    let mut pkg = Package::new(PackageType::Rpm, name, evr);
    pkg.arch = h.string(header::TAG_ARCH).map(str::to_string);
    pkg.licenses = h
        .string(header::TAG_LICENSE)
        .map(str::to_string)
        .into_iter()
        .collect();
    if let Some((source, source_version)) =
        h.string(header::TAG_SOURCERPM).and_then(split_source_rpm)
    {
        pkg.source_name = Some(source);
        pkg.source_version = Some(source_version);
    }
    pkg.kernel = is_kernel_package(&pkg.name, pkg.source_name.as_deref());
    Ok(Some(pkg))
}

/// The files a package installs: `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`.
fn files(h: &header::Header<'_>) -> Vec<String> {
    let dirs = h.strings(header::TAG_DIRNAMES);
    let indexes = h.int32s(header::TAG_DIRINDEXES);
    h.strings(header::TAG_BASENAMES)
        .iter()
        .zip(indexes)
        .filter_map(|(base, i)| Some(format!("{}{base}", dirs.get(i as usize)?)))
        .collect()
}

/// `openssl-3.0.7-27.el9.src.rpm` → (`openssl`, `3.0.7-27.el9`).
fn split_source_rpm(file: &str) -> Option<(String, String)> {
    let stem = file
        .strip_suffix(".src.rpm")
        .or_else(|| file.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    Some((name.to_string(), format!("{version}-{release}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            split_source_rpm("openssl-3.0.7-27.el9.src.rpm"),
            Some(("openssl".into(), "3.0.7-27.el9".into()))
        );
        assert_eq!(
            split_source_rpm("python-urllib3-1.26.5-3.el9.src.rpm"),
            Some(("python-urllib3".into(), "1.26.5-3.el9".into()))
        );
        assert_eq!(split_source_rpm("(none)"), None);
    }
}
