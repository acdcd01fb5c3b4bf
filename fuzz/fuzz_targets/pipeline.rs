//! The whole library on one input: ingest (any kind, archives included),
//! correlate, rules, report, redaction and every renderer.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let ing = coroner::ingest::ingest_bytes("fuzz", data, 0, data.len() as u64, &limits);
    common::report(ing);
});
