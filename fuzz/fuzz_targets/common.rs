//! Shared by the targets that run the whole library: small limits (a
//! fuzzer-found bomb must not exhaust memory) and the pipeline after ingest.
#![allow(dead_code)]

use coroner::report::{render, Format};

pub fn limits() -> coroner::Limits {
    coroner::Limits {
        max_decompressed_bytes: 4 << 20,
        max_ratio: 50,
        max_entries: 256,
        max_nesting: 3,
        max_json_bytes: 1 << 20,
        max_line_bytes: 64 << 10,
        max_member_bytes: 4 << 20,
        max_path_bytes: 4096,
        max_header_bytes: 64 << 10,
    }
}

/// Correlation, rules, report, redaction and every renderer; no raw ESC
/// may reach a human format.
pub fn report(ing: coroner::ingest::Ingested) {
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
}
