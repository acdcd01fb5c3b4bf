//! The streaming path for compressed tar inputs: the input is gzipped here
//! and ingested whole, so the one-pass walk runs (bundle members ingested as
//! they stream, image layouts indexed on the way, exports classified, damage
//! handed to the in-memory path), then correlation and every renderer.
#![no_main]
use std::io::Write;

use coroner::report::{render, Format};
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
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    if gz.write_all(data).is_err() {
        return;
    }
    let Ok(gz) = gz.finish() else { return };
    let ing = coroner::ingest::ingest_bytes("fuzz.tar.gz", &gz, 0, gz.len() as u64, &limits);
    let analysis = coroner::correlate::correlate(ing);
    let findings = coroner::rules::evaluate(&analysis, &coroner::RuleOptions::default());
    let report = coroner::report::build(&analysis, findings);
    let report = coroner::redact::redact_report(&report);
    for f in [Format::Text, Format::Markdown, Format::Json] {
        let _ = render(&report, f);
    }
});
