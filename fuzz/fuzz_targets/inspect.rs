//! Identification and parsing of a non-archive artifact (inspect JSON,
//! events, host facts, logs) from arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = coroner::Limits {
        max_json_bytes: 1 << 20,
        ..coroner::Limits::default()
    };
    let _ = coroner::ingest::detect::identify("fuzz.json", data, &limits);
});
