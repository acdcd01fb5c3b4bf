//! The json-file log parser over real artifacts in `samples/logs/`
//! (provenance in `samples/logs/PROVENANCE.md`). Expected numbers were
//! checked by hand (and with an independent Python reading) against the files.

use coroner::archive::compress::inflate;
use coroner::ingest::json_log::{looks_like_json_log, parse, LogFile, SignatureKind, Stream};
use coroner::model::{DiagSeverity, Limits};
use coroner::time::Timestamp;

const CHATTY: &str = "3fc81dee3c0b581ff1d316dfa6ba90291b2b7caa899da6efcd69654fad9348e1";

fn read(name: &str) -> Vec<u8> {
    let path = format!("{}/samples/logs/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if name.ends_with(".gz") {
        inflate(&bytes, 1 << 30, 1000).expect("inflate")
    } else {
        bytes
    }
}

fn load(name: &str) -> LogFile {
    let data = read(name);
    assert!(
        looks_like_json_log(&data[..data.len().min(64 * 1024)]),
        "{name} not detected"
    );
    let path = format!("bundle.tar.gz!/var/lib/docker/containers/x/{name}");
    parse(&path, &data, &Limits::default())
}

fn ts(s: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(s)
}

fn sig(f: &LogFile, kind: SignatureKind) -> &coroner::ingest::json_log::Signature {
    f.signatures
        .iter()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("{}: no {kind:?} signature in {:?}", f.path, f.signatures))
}

#[test]
fn pchatty_live_file() {
    let f = load(&format!("{CHATTY}-json.log"));
    assert_eq!(f.container_id.as_deref(), Some(CHATTY));
    assert_eq!(f.rotation, 0);
    // Record 1 is the second 16 KiB partial of a 40,000-char stdout line
    // whose first partial closes rotation .1; record 3 finishes it, with a
    // stderr record interleaved between them.
    assert_eq!(
        (f.records, f.lines, f.stderr_lines, f.bad_records),
        (4, 3, 2, 0)
    );
    assert_eq!(f.first, ts("2026-11-29T03:20:02.608554515Z"));
    assert_eq!(f.last, ts("2026-11-29T03:20:02.618762074Z"));
    assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);

    assert_eq!(f.tail.len(), 3);
    let joined = &f.tail[1];
    assert_eq!(joined.stream, Stream::Stdout);
    assert_eq!(joined.evidence.line, Some(3));
    assert_eq!(joined.time, ts("2026-11-29T03:20:02.612069138Z"));
    assert_eq!(joined.evidence.excerpt.chars().count(), 513);
    assert!(joined.evidence.excerpt.ends_with('…'));

    let last = f.tail.last().unwrap();
    assert_eq!(last.stream, Stream::Stderr);
    assert_eq!(last.evidence.line, Some(4));
    assert_eq!(
        last.evidence.excerpt,
        "level=error msg=\"panic: runtime error: index out of range [3] with length 3\""
    );
    assert_eq!(last.time, ts("2026-11-29T03:20:02.618762074Z"));
    assert!(last
        .evidence
        .source
        .ends_with(&format!("{CHATTY}-json.log")));

    let crash = sig(&f, SignatureKind::Crash);
    assert_eq!(crash.count, 1);
    assert_eq!(crash.first.evidence.line, Some(4));
    assert_eq!(crash.last, crash.first);
}

#[test]
fn pchatty_all_rotations() {
    let names = [
        format!("{CHATTY}-json.log"),
        format!("{CHATTY}-json.log.1.gz"),
        format!("{CHATTY}-json.log.2.gz"),
        format!("{CHATTY}-json.log.3.gz"),
    ];
    let files: Vec<LogFile> = names.iter().map(|n| load(n)).collect();
    let per_file: Vec<_> = files
        .iter()
        .map(|f| (f.rotation, f.records, f.lines, f.stderr_lines))
        .collect();
    assert_eq!(
        per_file,
        vec![
            (0, 4, 3, 2),
            (1, 1321, 1321, 0),
            (2, 1332, 1332, 4),
            (3, 1336, 1336, 0)
        ]
    );
    // The 40,000-char line is cut by rotation: its first 16 KiB partial ends
    // rotation .1 (a final partial, one line there) and the live file
    // completes it, so summing per file counts it twice: 3991 distinct
    // logical lines in the set.
    assert_eq!(files.iter().map(|f| f.lines).sum::<u64>(), 3992);
    // 5 "upstream timeout" lines plus the panic line.
    assert_eq!(files.iter().map(|f| f.stderr_lines).sum::<u64>(), 6);
    assert!(files
        .iter()
        .all(|f| f.bad_records == 0 && f.diagnostics.is_empty()));
    let r1 = &files[1];
    let last = r1.tail.last().unwrap();
    assert_eq!(last.evidence.line, Some(1321));
    assert!(last.evidence.excerpt.starts_with("xxxx") && last.evidence.excerpt.ends_with('…'));

    // Rotations are not in time order with each other, but each file's
    // first/last are the min/max over its records.
    assert_eq!(files[1].first, ts("2026-11-29T03:20:02.601832415Z"));
    assert_eq!(files[1].last, ts("2026-11-29T03:20:02.612069138Z"));
    assert_eq!(files[2].first, ts("2026-11-29T03:20:02.57953862Z"));
    assert_eq!(files[2].last, ts("2026-11-29T03:20:02.601830833Z"));
    assert_eq!(files[3].first, ts("2026-11-29T03:20:02.577258196Z"));
    assert_eq!(files[3].last, ts("2026-11-29T03:20:02.586881953Z"));

    // "upstream timeout" errors: attempts 8..=11 in rotation .2, 12 live.
    let want = "level=error msg=\"upstream timeout\" upstream=payments attempt=<N>";
    let count = |f: &LogFile| {
        f.templates
            .iter()
            .filter(|t| t.template == want)
            .map(|t| t.count)
            .sum::<u64>()
    };
    assert_eq!(count(&files[2]), 4);
    assert_eq!(count(&files[0]), 1);
    assert_eq!(files.iter().map(count).sum::<u64>(), 5);
    let t = files[2]
        .templates
        .iter()
        .find(|t| t.template == want)
        .unwrap();
    assert_eq!(t.example.evidence.line, Some(2));
    assert_eq!(
        t.example.evidence.excerpt,
        "level=error msg=\"upstream timeout\" upstream=payments attempt=8"
    );
    assert_eq!(files[2].templates.len(), 1, "{:?}", files[2].templates);
    assert!(files[1].templates.is_empty() && files[3].templates.is_empty());
    assert!(files[1..].iter().all(|f| f.signatures.is_empty()));
}

#[test]
fn pflapper_dns() {
    let f = load("cc8c2a0cfecf7451318e6678255a7e6b705743801c901fff1d396d5f256ca817-json.log");
    assert_eq!((f.records, f.lines, f.stderr_lines), (14, 14, 7));
    let dns = sig(&f, SignatureKind::Dns);
    assert_eq!(dns.count, 7);
    assert_eq!(
        dns.first.evidence.excerpt,
        "dial tcp: lookup redis: no such host"
    );
    assert_eq!(dns.first.evidence.line, Some(2));
    assert_eq!(dns.last.evidence.line, Some(14));
    assert_eq!(dns.last.time, ts("2026-11-29T03:20:17.477025915Z"));
    assert_eq!(f.signatures.len(), 1);
    assert_eq!(f.templates.len(), 1);
    assert_eq!(f.templates[0].count, 7);
    assert_eq!(f.first, ts("2026-11-29T03:20:02.784665284Z"));
    assert_eq!(f.last, ts("2026-11-29T03:20:17.477025915Z"));
}

#[test]
fn pwriter_permission_denied() {
    let f = load("b4c05ca2b218c906fdbea715895726c9ae10bbb979dd7929b1e10df0b775f406-json.log");
    assert_eq!((f.records, f.lines, f.stderr_lines), (3, 3, 2));
    let p = sig(&f, SignatureKind::PermissionDenied);
    assert_eq!(p.count, 2);
    assert_eq!(
        p.first.evidence.excerpt,
        "sh: can't create /data/snapshot.db: Permission denied"
    );
    assert_eq!(
        p.last.evidence.excerpt,
        "ERROR: open /data/snapshot.db: permission denied"
    );
    assert_eq!(f.templates.len(), 2);
}

#[test]
fn pworker_fatal() {
    let f = load("28addf748080e3d7f0a5af4eb4d11fb9874f90b9d7f10f682e885e7eb9324015-json.log");
    assert_eq!((f.records, f.lines, f.stderr_lines), (10, 10, 5));
    let c = sig(&f, SignatureKind::Crash);
    assert_eq!(c.count, 5);
    assert_eq!(c.first.evidence.excerpt, "FATAL: QUEUE_URL is not set");
    assert_eq!(c.first.stream, Stream::Stderr);
    assert_eq!(c.first.evidence.line, Some(2));
    assert_eq!(f.templates.len(), 1);
    assert_eq!(f.templates[0].template, "FATAL: QUEUE_URL is not set");
    assert_eq!(f.templates[0].count, 5);
    // "booting worker v1.8.2" is not an error line.
    assert_eq!(
        f.tail.last().unwrap().evidence.excerpt,
        "booting worker v1.8.2"
    );
}

#[test]
fn pstubborn_quiet() {
    let f = load("7febb43404d322ff4020cb376ca21862ea747ece16763691a0e8dc23637f34fc-json.log");
    assert_eq!((f.records, f.lines, f.stderr_lines), (2, 2, 0));
    assert!(f.signatures.is_empty() && f.templates.is_empty());
    assert_eq!(f.tail[1].evidence.excerpt, "got SIGTERM, ignoring");
}

#[test]
fn filebeat_corrupted_line_is_counted_not_fatal() {
    let f = load("elastic-beats_filebeat-tests_docker_corrupted.log");
    assert_eq!((f.records, f.lines, f.bad_records), (20, 20, 1));
    assert_eq!(f.diagnostics.len(), 1);
    let d = &f.diagnostics[0];
    assert_eq!(d.severity, DiagSeverity::Warning);
    assert!(
        d.message.contains("line 7") && d.message.contains("elastic-beats_filebeat"),
        "{}",
        d.message
    );
    assert_eq!(f.first, ts("2016-03-02T22:58:51.338462311Z"));
    assert_eq!(f.last, ts("2016-03-02T23:00:15.140397826Z"));
    assert_eq!(f.tail.len(), 20);
    assert_eq!(f.tail[5].evidence.excerpt, "# linux");
    assert_eq!(f.tail[6].evidence.excerpt, "# binary");
    assert_eq!(f.tail[6].evidence.line, Some(8));
}

#[test]
fn beats_partial_split_and_attrs() {
    let f = load("elastic-beats_docker_json_test.go_partial-split-and-attrs_TESTDATA.log");
    assert_eq!((f.records, f.lines, f.bad_records), (3, 2, 0));
    let tail: Vec<_> = f
        .tail
        .iter()
        .map(|l| (l.evidence.line, l.evidence.excerpt.as_str()))
        .collect();
    assert_eq!(
        tail,
        vec![
            (
                Some(2),
                "1:M 09 Nov 13:27:36.276 # User requested shutdown..."
            ),
            (Some(3), "hello")
        ]
    );
}

#[test]
fn docker_16k_split_sample_is_one_final_partial() {
    let f = load("docker-for-linux-1321_16K-split_reported-sample.log");
    assert_eq!((f.records, f.lines, f.bad_records), (2, 1, 0));
    assert_eq!(
        f.tail[0].evidence.excerpt,
        "{\"@timestamp\":\"2021-10-18T17:35:54.263Z\",xxxxxxx 2021-10-18T17:35:54.266092638+08:00 the another parts"
    );
    assert_eq!(f.tail[0].evidence.line, Some(2));
}

#[test]
fn promtail_attrs_and_literal_backslash_n() {
    let f = load("loki-promtail-test_attrs-tag_compose.log");
    // `\\n` is a backslash and an `n`, not a newline: a final partial.
    assert_eq!((f.records, f.lines, f.stderr_lines), (1, 1, 1));
    assert_eq!(f.tail[0].evidence.excerpt, "INFO:big long info message\\n");
    assert_eq!(f.first, ts("2023-11-16T14:41:56.83122765Z"));
}

#[test]
fn nginx_escaped_quotes() {
    let f = load("jp-blog-unknown-repo_nginx-access_json-file.log");
    assert_eq!((f.records, f.lines, f.stderr_lines), (1, 1, 0));
    assert_eq!(
        f.tail[0].evidence.excerpt,
        "172.17.0.1 - - [10/Sep/2025:09:45:33 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8.5.0\" \"-\""
    );
    assert!(f.templates.is_empty());
    assert_eq!(f.container_id, None);
}

#[test]
fn detected_as_json_log_by_ingest() {
    use coroner::ingest::{detect::identify, Parsed};
    use coroner::model::ArtifactKind;
    let data = read("elastic-beats_filebeat-tests_docker_corrupted.log");
    let (kind, parsed, diags) = identify("x/docker_corrupted.log", &data, &Limits::default());
    assert_eq!(kind, ArtifactKind::JsonLog);
    assert_eq!(diags.len(), 1, "the bad-record warning is handed to ingest");
    match &parsed[..] {
        [Parsed::Log(f)] => assert_eq!((f.lines, f.bad_records), (20, 1)),
        other => panic!("{other:?}"),
    }
}
