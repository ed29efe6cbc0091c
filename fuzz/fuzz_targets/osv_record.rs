//! OSV records as JSON or YAML (`vedette_vulndb::osv::parse_record`), then
//! every `affected` entry compiled and evaluated against a few versions
//! (ecosystem version parsing and range ordering). The first byte chooses
//! the format (odd: YAML).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vedette_vulndb::osv::load::Format;
use vedette_vulndb::osv::{CompiledAffected, parse_record};

const VERSIONS: [&str; 6] = [
    "0",
    "1.0.0",
    "1:2.3-4ubuntu1",
    "2.0.0-rc.1",
    "v1.2.3",
    "1.0.0.post1",
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let format = if mode & 1 == 1 {
        Format::Yaml
    } else {
        Format::Json
    };
    let Ok(record) = parse_record(body, format, "fuzz") else {
        return;
    };
    for affected in &record.affected {
        let Ok(compiled) = CompiledAffected::compile(affected) else {
            continue;
        };
        for version in VERSIONS {
            let _ = compiled.is_affected(version);
            let _ = compiled.fixed_version(version);
        }
    }
});
