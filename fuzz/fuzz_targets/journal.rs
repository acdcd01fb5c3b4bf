//! dockerd's journal (`journalctl -u docker`, short, short-iso,
//! short-precise): recognition and the typed-line reader.
#![no_main]
use coroner::ingest::journal;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = journal::looks_like_journal(data);
    let _ = journal::parse("fuzz-journal", data);
});
