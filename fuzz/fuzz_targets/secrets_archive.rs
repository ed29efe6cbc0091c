//! Secret scanning inside archives (zip, tar, tar.gz), bounded: the input is
//! written as one archive file and the directory scanned with archive
//! scanning on and the built-in rules. The first byte chooses the kind.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use vedette_secrets::{ArchiveLimits, Ruleset, ScanOptions, Scanner};

static SCANNER: LazyLock<Scanner> = LazyLock::new(|| {
    let options = ScanOptions {
        threads: 1,
        archives: Some(ArchiveLimits {
            max_archive_size: 1 << 20,
            max_entries: 1_000,
            max_total_bytes: 16 << 20,
        }),
        ..ScanOptions::default()
    };
    Scanner::new(Ruleset::builtin().expect("built-in rules"), options).expect("scanner")
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let name = ["a.zip", "a.tar", "a.tar.gz"][usize::from(mode % 3)];
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(name), body).expect("write");
    let _ = SCANNER.scan_path(dir.path());
});
