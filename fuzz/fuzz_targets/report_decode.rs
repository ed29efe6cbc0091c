//! Sensor report decoding: a zstd stream (or plain JSON), bounded to
//! `MAX_REPORT_BYTES` once decompressed, then a `wire::Report`.
//!
//! This mirrors `vedette_console::topology::ingest::decode` at the model
//! level: the console crate pulls the whole web stack into the fuzz build.
//! The first byte chooses zstd (odd) or plain JSON (even).
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use vedette_model::wire::{MAX_REPORT_BYTES, Report};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let json = if mode & 1 == 1 {
        let Ok(decoder) = zstd::stream::read::Decoder::new(body) else {
            return;
        };
        let mut json = Vec::new();
        if decoder
            .take(MAX_REPORT_BYTES as u64 + 1)
            .read_to_end(&mut json)
            .is_err()
            || json.len() > MAX_REPORT_BYTES
        {
            return;
        }
        json
    } else {
        body.to_vec()
    };
    if let Ok(report) = serde_json::from_slice::<Report>(&json) {
        // What decodes re-encodes and decodes to the same report.
        let again = serde_json::to_vec(&report).expect("a decoded report encodes");
        let back: Report = serde_json::from_slice(&again).expect("an encoded report decodes");
        assert_eq!(back, report);
    }
});
