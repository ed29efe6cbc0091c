//! Integration tests of `vedette-vulndb` on the real advisory data in
//! `../shared/testdata/advisories` (one test binary, ripgrep style).

// Shared helpers: where the test data is, loading the OSV folders.
mod common;
// OSV records load from every OSV folder, zip dump and format of the test data.
mod osv_testdata;
// Verdicts agree with the reference `osv` Python library.
mod osv_reference;
// Alpine secdb and Debian tracker importers.
mod distro_feeds;
// The matcher on real advisories: ecosystems, distros, source packages, states.
mod matcher;
// The DB file: build from the real feeds, round trip, enrichment, tampering.
mod db;
// Version orderings agree with the reference library on real versions.
mod version_reference;
