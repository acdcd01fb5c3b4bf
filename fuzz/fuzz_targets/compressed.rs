//! gzip/zstd inflation with small caps, then identification of whatever
//! came out. Caps keep a fuzzer-found bomb from exhausting memory.
#![no_main]
use coroner::archive::compress;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    if let Ok(inner) = compress::inflate(data, 4 << 20, 50) {
        assert!(inner.len() <= 4 << 20);
        let _ = coroner::ingest::ingest_bytes("fuzz", &inner, 1, data.len() as u64, &limits);
    }
});
