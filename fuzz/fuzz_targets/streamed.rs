//! The streaming path for compressed tar inputs: the input is gzipped here
//! and ingested whole, so the one-pass walk runs (bundle members ingested as
//! they stream, image layouts indexed on the way, exports classified, damage
//! handed to the in-memory path), then correlation and every renderer.
#![no_main]
use std::io::Write;

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    if gz.write_all(data).is_err() {
        return;
    }
    let Ok(gz) = gz.finish() else { return };
    let ing = coroner::ingest::ingest_bytes("fuzz.tar.gz", &gz, 0, gz.len() as u64, &limits);
    common::report(ing);
});
