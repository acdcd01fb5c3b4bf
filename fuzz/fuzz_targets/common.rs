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

/// True for a character no human format may write raw (issue #10): C0
/// controls but line feed and tab, DEL, C1, bidi controls, line and
/// paragraph separators, zero-width and invisible format characters. Kept
/// apart from `coroner::report::escape` on purpose: the property must not
/// trust the code it checks.
pub fn forbidden(c: char) -> bool {
    matches!(c as u32,
        0x00..=0x08 | 0x0b..=0x1f | 0x7f..=0x9f
        | 0x061c | 0x180e | 0x200b..=0x200f | 0x2028..=0x202e
        | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb
        | 0xe0000..=0xe007f)
}

/// Correlation, rules, report, redaction and every renderer: no raw
/// control, C1, bidi or zero-width character may reach text, Markdown or
/// HTML, and the JSON report must parse.
pub fn report(ing: coroner::ingest::Ingested) {
    let analysis = coroner::correlate::correlate(ing);
    let findings = coroner::rules::evaluate(&analysis, &coroner::RuleOptions::default());
    let report = coroner::report::build(&analysis, findings);
    let report = coroner::redact::redact_report(&report);
    for f in [Format::Text, Format::Markdown, Format::Html] {
        let out = render(&report, f);
        if let Some((i, c)) = out.char_indices().find(|&(_, c)| forbidden(c)) {
            let lo = (0..=i.saturating_sub(40))
                .rev()
                .find(|&j| out.is_char_boundary(j))
                .unwrap_or(0);
            let hi = (i + 1..=(i + 40).min(out.len()))
                .rev()
                .find(|&j| out.is_char_boundary(j))
                .unwrap_or(out.len());
            panic!(
                "raw U+{:04X} in {f:?} at byte {i}: {:?}",
                c as u32,
                &out[lo..hi]
            );
        }
    }
    let json = render(&report, Format::Json);
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&json) {
        panic!("JSON report does not parse: {e}");
    }
    assert!(
        !json.chars().any(|c| (c as u32) < 0x20 && c != '\n'),
        "raw C0 control in the JSON report"
    );
}
