//! Distribution feeds: Alpine secdb and the Debian security tracker JSON
//! (`vedette_vulndb::distro`). The first byte chooses the parser (odd:
//! Debian).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vedette_vulndb::distro::{alpine, debian};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    if mode & 1 == 1 {
        let _ = debian::parse_tracker(body);
    } else {
        let _ = alpine::parse_secdb(body);
    }
});
