use std::cmp::Ordering;

use super::acc::cmp_docker_time;
use super::patterns::patterns;
use super::*;
use crate::model::Limits;

const P: &str = "b.tar.gz!/var/lib/docker/containers/x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-json.log.2.gz";

fn rec(log: &str, stream: &str, time: &str) -> String {
    format!(
        "{{\"log\":{},\"stream\":\"{stream}\",\"time\":\"{time}\"}}\n",
        serde_json::to_string(log).unwrap()
    )
}

fn run(data: &str) -> LogFile {
    parse(P, data.as_bytes(), &Limits::default())
}

#[test]
fn names() {
    let id = "3fc81dee3c0b581ff1d316dfa6ba90291b2b7caa899da6efcd69654fad9348e1";
    assert_eq!(
        name_info(&format!("/d/{id}/{id}-json.log")),
        (Some(id.to_string()), 0)
    );
    assert_eq!(
        name_info(&format!("{id}-json.log.3")),
        (Some(id.to_string()), 3)
    );
    assert_eq!(
        name_info(&format!("x.tgz!/c/{id}/{id}-json.log.2.gz")),
        (Some(id.to_string()), 2)
    );
    assert_eq!(name_info("app.log"), (None, 0));
    assert_eq!(run("").container_id.as_deref(), Some(&"a".repeat(64)[..]));
    assert_eq!(run("").rotation, 2);
}

#[test]
fn partials_interleaved_across_streams() {
    let data = [
        rec("part one ", "stdout", "2026-01-01T00:00:01Z"),
        rec("boom error\n", "stderr", "2026-01-01T00:00:02Z"),
        rec("part two\n", "stdout", "2026-01-01T00:00:03.5Z"),
        rec("single\n", "stdout", "2026-01-01T00:00:03.25Z"),
    ]
    .concat();
    let f = run(&data);
    assert_eq!(
        (f.records, f.lines, f.stderr_lines, f.bad_records),
        (4, 3, 1, 0)
    );
    let tail: Vec<_> = f
        .tail
        .iter()
        .map(|l| (l.evidence.line, l.evidence.excerpt.as_str()))
        .collect();
    assert_eq!(
        tail,
        vec![
            (Some(2), "boom error"),
            (Some(3), "part one part two"),
            (Some(4), "single")
        ]
    );
    assert_eq!(
        f.tail[1].time,
        Timestamp::parse_rfc3339("2026-01-01T00:00:03.5Z")
    );
    assert_eq!(f.first, Timestamp::parse_rfc3339("2026-01-01T00:00:01Z"));
    assert_eq!(f.last, Timestamp::parse_rfc3339("2026-01-01T00:00:03.5Z"));
    assert_eq!(f.templates.len(), 1);
    assert_eq!(f.templates[0].template, "boom error");
}

#[test]
fn final_partial_at_eof_is_a_line() {
    let data = [rec("a\n", "stdout", "T"), rec("unfinished", "stderr", "T")].concat();
    let f = run(&data);
    assert_eq!((f.records, f.lines, f.stderr_lines), (2, 2, 1));
    assert_eq!(f.tail[1].evidence.excerpt, "unfinished");
    assert_eq!(f.tail[1].evidence.line, Some(2));
    assert_eq!(f.tail[1].time, None);
}

#[test]
fn endless_partial_chain_is_capped() {
    let limits = Limits {
        max_line_bytes: 1000,
        ..Limits::default()
    };
    let chunk = rec(&"y".repeat(300), "stdout", "2026-01-01T00:00:00Z");
    let mut data = chunk.repeat(5000);
    data.push_str(&rec("error end\n", "stdout", "2026-01-01T00:00:00Z"));
    data.push_str(&rec("next\n", "stdout", "2026-01-01T00:00:00Z"));
    let f = parse(P, data.as_bytes(), &limits);
    assert_eq!((f.records, f.lines), (5002, 2));
    assert_eq!(f.diagnostics.len(), 1);
    assert!(f.diagnostics[0].message.contains("longer than 1000 bytes"));
    assert!(f.diagnostics[0].message.contains("line 5001"));
    assert_eq!(f.tail[0].evidence.line, Some(5001));
    assert!(f.tail[0].evidence.excerpt.ends_with('…'));
    // The capped text lost its "error" tail: no template.
    assert!(f.templates.is_empty());
}

#[test]
fn escaped_backslash_n_is_not_a_line_end() {
    let data = concat!(
        r#"{"log":"a literal \\n","stream":"stdout","time":"T"}"#,
        "\n",
        r#"{"log":"more\n","stream":"stdout","time":"T"}"#,
        "\n"
    );
    let f = run(data);
    assert_eq!((f.records, f.lines), (2, 1));
    assert_eq!(f.tail[0].evidence.excerpt, "a literal \\nmore");
}

#[test]
fn invalid_utf8_and_escapes() {
    let mut data =
        br#"{"log":"\u001b[31mred\u001b[0m \ud83d\ude00 \"q\"\n","stream":"stdout","time":"T"}"#
            .to_vec();
    data.push(b'\n');
    data.extend_from_slice(
        b"{\"log\":\"bad \xff\xfe bytes error\\n\",\"stream\":\"stdout\",\"time\":\"T\"}\n",
    );
    data.extend_from_slice(b"{\"stream\":\"stdout\",\"log\":\"slow \xff error\\n\"}\n");
    let f = parse(P, &data, &Limits::default());
    assert_eq!((f.records, f.lines, f.bad_records), (3, 3, 0));
    assert_eq!(
        f.tail[0].evidence.excerpt,
        "\u{1b}[31mred\u{1b}[0m 😀 \"q\""
    );
    // Stray bytes are read as Latin-1 (#11 item 10), never replaced.
    assert_eq!(f.tail[1].evidence.excerpt, "bad \u{FF}\u{FE} bytes error");
    assert_eq!(f.tail[2].evidence.excerpt, "slow \u{FF} error");
    assert_eq!(f.templates.len(), 2);
}

#[test]
fn crlf_and_blank_lines() {
    let data = "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:00Z\"}\r\n\r\n{\"log\":\"b\\r\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:01Z\"}\r\n";
    let f = run(data);
    assert_eq!((f.records, f.lines, f.bad_records), (2, 2, 0));
    assert_eq!(f.tail[1].evidence.excerpt, "b");
    assert_eq!(f.tail[1].evidence.line, Some(3));
}

#[test]
fn empty_file() {
    let f = run("");
    assert_eq!((f.records, f.lines, f.bad_records), (0, 0, 0));
    assert!(f.tail.is_empty() && f.diagnostics.is_empty() && f.first.is_none());
}

#[test]
fn bad_records_counted_once() {
    let data = [
        rec("a\n", "stdout", "T"),
        "not json\n".to_string(),
        rec("b\n", "stdout", "T"),
        "{\"log\":\"x\"\n".to_string(),
    ]
    .concat();
    let f = run(&data);
    assert_eq!((f.records, f.lines, f.bad_records), (2, 2, 2));
    assert_eq!(f.diagnostics.len(), 1);
    assert!(
        f.diagnostics[0].message.contains("line 2"),
        "{}",
        f.diagnostics[0].message
    );
}

#[test]
fn signatures_and_templates() {
    let mut data = String::new();
    for i in 0..3 {
        data.push_str(&rec(
            &format!("dial tcp: lookup redis (try {i}): no such host\n"),
            "stdout",
            "T",
        ));
    }
    data.push_str(&rec(
        "listen tcp :8080: bind: address already in use\n",
        "stderr",
        "T",
    ));
    data.push_str(&rec(
        "exec /app/run.sh: no such file or directory\n",
        "stderr",
        "T",
    ));
    data.push_str(&rec("/bin/sh: 1: gunicorn: not found\n", "stderr", "T"));
    data.push_str(&rec(
        "Error: EACCES: permission denied, open '/x'\n",
        "stderr",
        "T",
    ));
    data.push_str(&rec("Segmentation fault (core dumped)\n", "stderr", "T"));
    data.push_str(&rec("all good, 0 problems\n", "stdout", "T"));
    let f = run(&data);
    let kinds: Vec<_> = f.signatures.iter().map(|s| (s.kind, s.count)).collect();
    assert_eq!(
        kinds,
        vec![
            (SignatureKind::Crash, 1),
            (SignatureKind::Dns, 3),
            (SignatureKind::PermissionDenied, 1),
            (SignatureKind::NotFound, 2),
            (SignatureKind::AddressInUse, 1),
        ]
    );
    let dns = &f.signatures[1];
    assert_eq!(dns.first.evidence.line, Some(1));
    assert_eq!(dns.last.evidence.line, Some(3));
    assert_eq!(f.templates[0].count, 3);
    assert_eq!(
        f.templates[0].template,
        "dial tcp: lookup redis (try <N>): no such host"
    );
    assert_eq!(f.templates.len(), 6);
}

#[test]
fn prefilter_covers_every_trigger() {
    let pats = patterns();
    let words = [
        "error",
        "fatal",
        "panic",
        "exception",
        "traceback",
        "failed",
        "failure",
        "denied",
        "refused",
        "timeout",
        "timed out",
        "cannot",
        "unable",
        "no such",
    ];
    for w in words {
        let cap = format!("{}{}", w[..1].to_uppercase(), &w[1..]);
        let mut forms = vec![w.to_string(), cap];
        if ["error", "fatal", "panic", "failed", "failure"].contains(&w) {
            forms.push(w.to_uppercase());
        }
        for v in forms {
            assert!(pats.prefilter.is_match(v.as_bytes()), "{v}");
            assert!(pats.error.is_match(v.as_bytes()), "{v}");
        }
    }
    let triggers = [
        "panic: x",
        "fatal error: x",
        "Traceback (most recent call last):",
        "Uncaught TypeError",
        "unhandled exception",
        "Exception in thread \"main\"",
        "SIGSEGV",
        "Segmentation fault",
        "(core dumped)",
        "FATAL: x",
        "no such host",
        "Name or service not known",
        "Temporary failure in name resolution",
        "Could not resolve host",
        "getaddrinfo ENOTFOUND db",
        "getaddrinfo EAI_AGAIN redis",
        "server misbehaving",
        "Permission denied",
        "EACCES",
        "Operation not permitted",
        "exec format error",
        "sh: foo: not found",
        "executable file not found in $PATH",
        "exec /app: no such file or directory",
        "address already in use",
        "EADDRINUSE",
    ];
    for t in triggers {
        assert!(pats.prefilter.is_match(t.as_bytes()), "{t}");
        assert!(
            pats.signatures
                .iter()
                .any(|(_, re)| re.is_match(t.as_bytes())),
            "{t}"
        );
    }
}

#[test]
fn prefilter_hits_are_found_on_every_stdout_line() {
    let mut data = String::new();
    let mut want = 0;
    for i in 0..200 {
        let (text, stream) = match i % 7 {
            0 => ("connection refused by peer\n", "stdout"),
            1 => ("all fine\n", "stdout"),
            2 => ("stderr chatter\n", "stderr"),
            3 => ("ERROR two hits: timeout, Failed\n", "stdout"),
            4 => ("bad line", "junk"),
            _ => ("ok\n", "stdout"),
        };
        if stream == "junk" {
            data.push_str("{\"log\": nope}\n");
            continue;
        }
        if i % 7 != 1 && i % 7 < 4 {
            want += 1;
        }
        data.push_str(&rec(text, stream, "T"));
    }
    let f = run(&data);
    assert_eq!(f.templates.iter().map(|t| t.count).sum::<u64>(), want);
    assert_eq!(f.templates.len(), 3);
}

#[test]
fn huge_physical_lines_stay_linear() {
    let mut data = Vec::new();
    // A 4 MB record, a 4 MB unterminated string full of escapes, and a
    // 4 MB line that ends like a record but has no opening.
    data.extend_from_slice(
        rec(&"é\"x".repeat(1 << 20), "stdout", "2026-01-01T00:00:00Z").as_bytes(),
    );
    data.extend_from_slice(b"{\"log\":\"");
    data.extend(std::iter::repeat(b"\\\"").take(1 << 20).flatten());
    data.push(b'\n');
    data.extend(std::iter::repeat(b'"').take(4 << 20));
    data.extend_from_slice(b",\"stream\":\"stdout\",\"time\":\"T\"}\n");
    let t = std::time::Instant::now();
    let f = parse(P, &data, &Limits::default());
    assert!(t.elapsed().as_secs() < 20);
    assert_eq!((f.records, f.lines, f.bad_records), (1, 1, 2));
    assert_eq!(f.tail[0].evidence.excerpt.chars().count(), 513);
}

#[test]
fn detection() {
    assert!(looks_like_json_log(rec("x\n", "stdout", "T").as_bytes()));
    let long = rec(&"z".repeat(70_000), "stdout", "T");
    assert!(looks_like_json_log(&long.as_bytes()[..64 * 1024]));
    assert!(!looks_like_json_log(
        br#"[{"Id":"abc","State":{"Status":"exited"}}]"#
    ));
    assert!(!looks_like_json_log(
        br#"{"status":"die","id":"abc","from":"nginx","time":1700000000,"timeNano":1700000000000000000}"#
    ));
    assert!(!looks_like_json_log(
        b"{\n  \"log\": \"x\",\n  \"stream\": \"stdout\"\n}\n"
    ));
    assert!(!looks_like_json_log(b""));
}

#[test]
fn time_ordering_with_trimmed_fractions() {
    assert_eq!(
        cmp_docker_time(
            b"2026-11-29T03:20:04.0996247Z",
            b"2026-11-29T03:20:04.09962471Z"
        ),
        Ordering::Less
    );
    assert_eq!(
        cmp_docker_time(b"2026-11-29T03:20:04Z", b"2026-11-29T03:20:04.1Z"),
        Ordering::Less
    );
    assert_eq!(
        cmp_docker_time(b"2026-11-29T03:20:05Z", b"2026-11-29T03:20:04.9Z"),
        Ordering::Greater
    );
}

#[test]
fn stderr_lines_that_state_a_lower_level_are_not_errors() {
    // Python's logging, glog, logfmt and JSON loggers write every level to
    // stderr (loki's promtail test log holds `INFO:big long info message`).
    let lines = [
        ("INFO:root:big long info message", false),
        ("2026-12-01 10:00:00,123 INFO worker started", false),
        ("[DEBUG] cache warm", false),
        ("I1202 10:00:00.000000       1 main.go:42] serving", false),
        (
            "ts=2026-12-01T10:00:00Z level=info msg=\\\"ready\\\"",
            false,
        ),
        ("WARN: disk 91% full", false),
        ("WARNING: request failed, retrying", true),
        ("something broke", true),
        ("INFO: panic: nil map", true),
    ];
    for (text, error) in lines {
        let data = format!(
            "{{\"log\":\"{text}\\n\",\"stream\":\"stderr\",\"time\":\"2026-12-01T10:00:00Z\"}}\n"
        );
        let f = parse(P, data.as_bytes(), &Limits::default());
        assert_eq!(f.lines, 1, "{text}");
        assert_eq!(!f.templates.is_empty(), error, "{text}: {:?}", f.templates);
    }
}
