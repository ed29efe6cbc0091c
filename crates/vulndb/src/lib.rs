//! Vulnerability data for Vedette: ecosystem version ordering, OSV
//! records and their affected-range evaluation.
//!
//! * [`version`]: parse and order versions natively for every
//!   [`vedette_model::package::VersionScheme`] (dpkg, RPM, apk, PEP 440,
//!   npm, Cargo SemVer, Go, Maven, RubyGems, NuGet, Composer).
//! * [`osv`]: OSV records (JSON, YAML, directories, zip dumps), the mapping
//!   of OSV ecosystems to package types and distro releases, and the
//!   schema's affected-range evaluation.
//! * [`distro`]: Alpine secdb and Debian security tracker importers.
//! * [`matcher`]: the in-memory [`matcher::Matcher`] that finds the
//!   advisories affecting a package, distro- and source-package-aware.
//! * [`purl`]: package URLs (from SBOMs of other tools) to matcher queries.
//! * [`enrich`]: NVD CVE 2.0, FIRST EPSS and CISA KEV readers.
//! * [`db`]: the signed, versioned DB file: building it from a feed
//!   directory, reading and verifying it, installing it atomically, and the
//!   loaded [`db::VulnDb`] (matcher plus merged problems with enrichment).
//!
//! Architecture invariant: this crate does no network I/O and needs no
//! async runtime; feeds and DB files are read from (and written to) paths
//! the caller names. Downloading a published DB is the binary's job.

#![deny(missing_docs)]

pub mod advisory;
pub mod db;
pub mod distro;
pub mod enrich;
pub mod matcher;
pub mod osv;
pub mod purl;
pub mod version;
