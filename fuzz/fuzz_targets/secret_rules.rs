//! Secret rule files: TOML parsed (`Ruleset::from_toml`), merged over the
//! built-in rules, compiled into a scanner and run over a few bytes.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vedette_secrets::{RuleFile, Ruleset, ScanOptions, Scanner};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = RuleFile::from_toml(text) else {
        return;
    };
    let mut set = Ruleset::default();
    if set.merge(file).is_err() {
        return;
    }
    if let Ok(scanner) = Scanner::new(set, ScanOptions::default()) {
        let _ = scanner.scan_bytes(Path::new("a.env"), text.as_bytes());
    }
});
