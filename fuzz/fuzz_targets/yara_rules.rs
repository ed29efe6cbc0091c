//! YARA rule loading (`vedette_malware::Rules::compile_sources`, yara-x in
//! relaxed mode) and rule bundles (`Bundle::from_bytes`). The first byte
//! chooses (odd: bundle).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vedette_malware::{Bundle, RuleSource, Rules};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    if mode & 1 == 1 {
        let _ = Bundle::from_bytes(body);
        return;
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return;
    };
    let source = RuleSource {
        namespace: "fuzz".into(),
        origin: "fuzz.yar".into(),
        text: text.into(),
    };
    if let Ok(rules) = Rules::compile_sources(&[source]) {
        let _ = rules.list();
    }
});
