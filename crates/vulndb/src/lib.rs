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
//!
//! Architecture invariant: this crate does no network I/O and needs no
//! async runtime; feeds are read from files the caller names.

#![deny(missing_docs)]

pub mod advisory;
pub mod distro;
pub mod matcher;
pub mod osv;
pub mod purl;
pub mod version;
