//! The whole library on one input: ingest (any kind, archives included),
//! correlate, rules, report, redaction and every renderer.
#![no_main]
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
    let ing = coroner::ingest::ingest_bytes("fuzz", data, 0, data.len() as u64, &limits);
    let analysis = coroner::correlate::correlate(ing);
    let findings = coroner::rules::evaluate(&analysis, &coroner::RuleOptions::default());
    let report = coroner::report::build(&analysis, findings);
    let report = coroner::redact::redact_report(&report);
    for f in [Format::Text, Format::Markdown, Format::Json] {
        let out = render(&report, f);
        if !matches!(f, Format::Json) {
            assert!(!out.contains('\u{1b}'), "raw ESC in {f:?}");
        }
    }
});
