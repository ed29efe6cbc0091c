//! SBOM readers: CycloneDX 1.x and SPDX 2.x JSON documents
//! (`vedette_sbom::format::read`), and what they read written back out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vedette_sbom::format::{self, Format};

fuzz_target!(|data: &[u8]| {
    if let Ok(sbom) = format::read(data) {
        for f in [Format::CycloneDx, Format::Spdx] {
            let _ = format::read(format::to_json(&sbom, f).as_bytes());
        }
    }
});
