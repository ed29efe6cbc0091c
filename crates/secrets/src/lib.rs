//! Vedette's secret scanning engine.
//!
//! The crate turns bytes and directory trees into redacted [`Finding`]s:
//!
//! * [`Ruleset`] holds detection rules: the built-in set ([`Ruleset::builtin`], an embedded TOML
//!   file with more than 150 rules) optionally merged with a user file
//!   ([`Ruleset::merge`], [`RuleFile::from_toml`]) that adds, overrides and disables rules.
//! * [`Scanner`] compiles a ruleset once (regex size limits, a case-insensitive Aho–Corasick
//!   keyword prefilter) and scans: [`Scanner::scan_bytes`] for one buffer,
//!   [`Scanner::scan_path`] for a file or a directory tree walked in parallel,
//!   [`Scanner::scan_source`] for the SBOM's sources (a directory, a running container's root,
//!   an image), [`Scanner::scan_image`] for every layer of a `docker save` archive or OCI layout
//!   and [`Scanner::scan_image_stream`] for `docker save` output read once. Image findings carry
//!   their [`LayerRef`]: a secret deleted by an upper layer is still in the image.
//! * [`Finding`] carries the rule, location, a masked preview and the SHA-256 of the secret.
//!   The raw secret is never stored in any type of this crate, so it cannot leak through
//!   serialization, `Debug` output, logs or errors.
//!
//! ```
//! use vedette_secrets::{Ruleset, ScanOptions, Scanner};
//!
//! let scanner = Scanner::new(Ruleset::builtin().unwrap(), ScanOptions::default()).unwrap();
//! let text = b"GITHUB_TOKEN=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\n";
//! let findings = scanner.scan_bytes("ci.env".as_ref(), text);
//! assert_eq!(findings[0].rule_id, "github-pat-classic");
//! assert_eq!(findings[0].line, 1);
//! assert!(!format!("{findings:?}").contains("BEF8m5GkOXhiY5ydVCQkdbDovo1CrPju"));
//! ```
#![deny(missing_docs)]

mod allowlist;
mod archive;
mod entropy;
mod error;
mod finding;
mod rules;
mod scanner;
mod source;
mod validate;
mod walk;

pub use allowlist::AllowlistSpec;
pub use entropy::shannon_entropy;
pub use error::{RuleError, RuleErrorKind};
pub use finding::{Confidence, Finding, LayerRef, Severity, mask_secret};
pub use rules::{Examples, RuleFile, RuleSpec, Ruleset};
pub use scanner::{ArchiveLimits, ScanOptions, Scanner};
pub use validate::Validator;
pub use walk::{
    FileError, FileErrorKind, ProgressEvent, ScanReport, ScanStats, SkipReason, SkippedFile,
};
