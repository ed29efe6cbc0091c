//! The SBOM library of Vedette: what software is installed in a filesystem.
//!
//! - [`source`]: read-only views of what to scan ([`source::DirSource`] for
//!   a host root, a mounted filesystem or a container's
//!   `/proc/<pid>/root`).
//! - [`cataloger`]: one module per package format (dpkg, apk, rpm, Python,
//!   Node, Java, Go, Rust, Ruby, PHP, .NET), all listed in
//!   [`cataloger::all`].
//! - [`catalog`]: walks a source once, runs the catalogers in parallel and
//!   returns an [`Sbom`]: the distro, the packages (with package URLs and
//!   where they were found) and per-file [`Diagnostic`]s.
//! - [`format`]: CycloneDX 1.6 and SPDX 2.3 JSON writers and readers.
//!
//! ```no_run
//! let source = vedette_sbom::source::DirSource::open("/")?;
//! let sbom = vedette_sbom::catalog(&source)?;
//! println!("{} packages on {:?}", sbom.packages.len(), sbom.distro);
//! # Ok::<(), vedette_sbom::Error>(())
//! ```
//!
//! Architecture invariant: no network, no database, no async runtime; every
//! input is bounded (file sizes, decompression, nesting) and malformed input
//! becomes a diagnostic, never a failed scan.

#![deny(missing_docs)]

pub mod cataloger;
mod error;
pub mod format;
pub mod purl;
mod scan;
pub mod source;

pub use error::{Diagnostic, Error};
pub use scan::{Sbom, catalog, catalog_image_stream, catalog_with};
