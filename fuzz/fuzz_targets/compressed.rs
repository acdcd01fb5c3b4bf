//! gzip/zstd inflation with small caps, then identification of whatever
//! came out. Caps keep a fuzzer-found bomb from exhausting memory.
#![no_main]
use coroner::archive::compress;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = coroner::Limits {
        max_decompressed_bytes: 4 << 20,
        max_ratio: 50,
        max_entries: 256,
        max_nesting: 3,
        max_json_bytes: 1 << 20,
        max_line_bytes: 64 << 10,
        max_member_bytes: 4 << 20,
        max_path_bytes: 4096,
        max_header_bytes: 64 << 10,
    };
    if let Ok(inner) = compress::inflate(data, 4 << 20, 50) {
        assert!(inner.len() <= 4 << 20);
        let _ = coroner::ingest::ingest_bytes("fuzz", &inner, 1, data.len() as u64, &limits);
    }
});
