//! Package catalogers: one module per package format, Trivy-style.
//!
//! Each cataloger says which files it wants from their path alone
//! ([`Cataloger::required`]) and turns one such file into packages
//! ([`Cataloger::catalog`]). They are listed, explicitly, in [`all`]; the
//! [`version`](Cataloger::version) of each is part of any cache key so that a
//! fixed cataloger invalidates cached results.
//!
//! Malformed input is data: a cataloger returns an [`Error`] for a file it
//! cannot read at all, and [`Found::warnings`] for parts it had to skip; the
//! scan goes on either way.

pub mod apk;
pub mod dotnet;
pub mod dpkg;
pub mod golang;
pub mod java;
pub mod node;
pub mod os_release;
pub mod php;
pub mod python;
pub mod rpm;
pub mod ruby;
pub mod rust;

use vedette_model::package::Package;

use crate::Error;
use crate::source::{FileInfo, FileInput};

/// Largest manifest or lock file read (text formats).
pub const MANIFEST_LIMIT: u64 = 64 << 20;
/// Largest package database read (dpkg status, rpmdb).
pub const DATABASE_LIMIT: u64 = 512 << 20;

/// What a cataloger found in one file.
#[derive(Debug, Default)]
pub struct Found {
    /// Packages, with `locations` set where the cataloger knows better than
    /// the file path (nested jars); `purl` and `cataloger` are filled in by
    /// the scan.
    pub packages: Vec<Package>,
    /// Parts of the file that were skipped, and why.
    pub warnings: Vec<String>,
    /// Files that an OS package database says belong to OS packages
    /// (absolute paths). Language packages found only in such files are
    /// dropped by the scan: the OS package and its distro's advisories
    /// already cover them.
    pub owned_files: Vec<String>,
}

impl From<Vec<Package>> for Found {
    fn from(packages: Vec<Package>) -> Found {
        Found {
            packages,
            ..Found::default()
        }
    }
}

/// One package format.
pub trait Cataloger: Send + Sync {
    /// Stable name, e.g. `dpkg`, shown in SBOMs as the finder of a package.
    fn name(&self) -> &'static str;
    /// Bumped whenever the cataloger's output for the same input changes.
    fn version(&self) -> u32;
    /// Whether the file at `file.path` is for this cataloger. Decide on the
    /// path first: metadata costs a `stat`.
    fn required(&self, file: &FileInfo<'_>) -> bool;
    /// Reads the packages in one file.
    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error>;
}

/// Every cataloger, in the order their results are listed.
pub fn all() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(dpkg::DpkgCataloger),
        Box::new(apk::ApkCataloger),
        Box::new(rpm::RpmCataloger),
        Box::new(python::PythonCataloger),
        Box::new(node::NodeInstalledCataloger),
        Box::new(node::NodeLockCataloger),
        Box::new(java::JavaCataloger),
        Box::new(golang::GoBinaryCataloger),
        Box::new(rust::CargoLockCataloger),
        Box::new(rust::AuditableBinaryCataloger),
        Box::new(ruby::RubyCataloger),
        Box::new(php::ComposerCataloger),
        Box::new(dotnet::DotnetCataloger),
    ]
}

/// Splits `path` into its directory and file name.
pub(crate) fn split_path(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// Reads the whole input as UTF-8 text (lossily) within [`MANIFEST_LIMIT`].
pub(crate) fn read_text(path: &str, input: &mut dyn FileInput) -> Result<String, Error> {
    let bytes = crate::source::read_limited(path, input, MANIFEST_LIMIT)?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Whether a binary package name or source name denotes a Linux kernel
/// package, whose advisories apply only to the running kernel.
pub(crate) fn is_kernel_package(name: &str, source: Option<&str>) -> bool {
    const DEB_PREFIXES: [&str; 3] = ["linux-image-", "linux-modules-", "linux-headers-"];
    const RPM_NAMES: [&str; 6] = [
        "kernel",
        "kernel-core",
        "kernel-modules",
        "kernel-modules-core",
        "kernel-modules-extra",
        "kernel-default",
    ];
    const APK_ORIGINS: [&str; 5] = [
        "linux-lts",
        "linux-virt",
        "linux-edge",
        "linux-rpi",
        "linux-stable",
    ];
    let source = source.unwrap_or("");
    DEB_PREFIXES.iter().any(|p| name.starts_with(p))
        || source == "linux"
        || source.starts_with("linux-signed")
        || RPM_NAMES.contains(&name)
        || name.starts_with("kernel-uek")
        || source == "kernel"
        || APK_ORIGINS.contains(&source)
        || APK_ORIGINS.contains(&name)
}

/// Extensions of executable files that are never compiled binaries
/// (scripts, data): skipping them spares a `stat` and an `open` per file.
const NOT_BINARY: [&str; 24] = [
    "sh", "bash", "py", "pyc", "pl", "pm", "rb", "js", "mjs", "cjs", "ts", "json", "txt", "md",
    "html", "xml", "yml", "yaml", "conf", "cfg", "h", "c", "jar", "so",
];

/// Whether a file may be a compiled executable worth opening: the execute
/// bit is set and the extension is not a script or data one. Shared
/// libraries (`.so`) are skipped: Go and Rust metadata lives in executables.
pub(crate) fn maybe_executable(file: &FileInfo<'_>) -> bool {
    let name = file.file_name();
    if let Some((_, ext)) = name.rsplit_once('.')
        && NOT_BINARY.contains(&ext)
    {
        return false;
    }
    if name.contains(".so.") {
        return false;
    }
    file.is_executable()
}

/// Reads the first bytes of `input` and tells whether it is an ELF, Mach-O
/// or PE file; rewinds either way.
pub(crate) fn is_object_file(input: &mut dyn FileInput) -> bool {
    use std::io::SeekFrom;
    let mut magic = [0u8; 4];
    let ok = input.read_exact(&mut magic).is_ok();
    let _ = input.seek(SeekFrom::Start(0));
    ok && (magic == *b"\x7fELF"
        || magic[..2] == *b"MZ"
        || [0xfeedface_u32, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe]
            .contains(&u32::from_be_bytes(magic)))
}

/// Reads one section of an executable, without reading the rest of the file,
/// bounded by `limit`. `Ok(None)` when the file has no such section.
pub(crate) fn read_section(
    path: &str,
    input: &mut dyn FileInput,
    names: &[&str],
    limit: u64,
) -> Result<Option<Vec<u8>>, Error> {
    use object::{Object, ObjectSection};
    let cache = object::ReadCache::new(input);
    let file = object::File::parse(&cache).map_err(|e| Error::malformed(path, e))?;
    let Some(section) = names.iter().find_map(|n| file.section_by_name(n)) else {
        return Ok(None);
    };
    if section.size() > limit {
        return Err(Error::TooLarge {
            path: format!("{path} (section {})", section.name().unwrap_or("?")),
            limit,
        });
    }
    let data = section.data().map_err(|e| Error::malformed(path, e))?;
    Ok(Some(data.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_packages() {
        assert!(is_kernel_package(
            "linux-image-6.1.0-18-amd64",
            Some("linux-signed-amd64")
        ));
        assert!(is_kernel_package("linux-kbuild-6.1", Some("linux")));
        assert!(is_kernel_package("kernel-core", Some("kernel")));
        assert!(is_kernel_package("linux-lts", Some("linux-lts")));
        assert!(!is_kernel_package("linux-firmware", Some("linux-firmware")));
        assert!(!is_kernel_package("libc6", Some("glibc")));
        assert!(!is_kernel_package("util-linux", Some("util-linux")));
    }

    #[test]
    fn catalogers_have_unique_names() {
        let mut names: Vec<_> = all().iter().map(|c| c.name()).collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
    }
}
