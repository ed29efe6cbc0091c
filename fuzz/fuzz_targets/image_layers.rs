//! Image archives and layer extraction: a `docker save` / OCI archive read
//! once as a stream (`vedette_sbom::source::stream::stream_layers`: outer
//! tar, gzip/zstd/plain layers, whiteouts), then opened as a file
//! (`ImageSource::open_with`: blob store, manifests, flattening) and walked.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use vedette_sbom::source::{ImageLimits, ImageSource, stream};

const LIMITS: ImageLimits = ImageLimits {
    max_layer_bytes: 64 << 20,
    max_entries: 100_000,
};

fuzz_target!(|data: &[u8]| {
    let mut reader = Cursor::new(data);
    let _ = stream::stream_layers(&mut reader, LIMITS, &mut |_| true, &mut |_, _| {});

    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut file, data).expect("write");
    if let Ok(image) = ImageSource::open_with(file.path(), LIMITS) {
        let _ = image.layers().len();
        for path in image.files() {
            let _ = path.len();
        }
    }
});
