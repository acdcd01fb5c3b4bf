//! json-file log parsing (records, partial records, rotation joins) with a
//! small line limit.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = coroner::Limits {
        max_line_bytes: 4096,
        ..coroner::Limits::default()
    };
    let _ = coroner::ingest::json_log::parse("fuzz-json.log", data, &limits);
});
