//! Stray Latin-1 bytes in container logs (issue #11, item 10), over what a
//! real Docker Engine 20.10.24 wrote (`samples/latin1/`, provenance in
//! `samples/PROVENANCE.md`): a line with invalid UTF-8 is read, matched by
//! the log rules and shown decoded, never dropped, at its own line number.
//!
//! What reaches disk differs by path: the json-file driver encodes the text
//! as Go's JSON writer does, each invalid byte becoming `\ufffd` (moby
//! `jsonlog.ffjsonWriteJSONBytesAsString`), so the byte is already lost
//! there; the `local` driver keeps raw bytes, and `docker logs -t` of such a
//! container carries them (`caf\xe9`), which coroner reads as Latin-1.

use std::sync::OnceLock;

use coroner::ingest::docker_logs::{self, DockerLogs, Shape};
use coroner::ingest::json_log::{self, LogFile, SignatureKind};
use coroner::ingest::{ingest, Ingested, Parsed};
use coroner::model::Limits;
use coroner::report::schema::Report;
use coroner::{run, Config};

mod common;

const TEXT: &str = "latin1/docker-logs/docker_logs_-t_ca72def78cbd";
const JSON: &str =
    "latin1/json-file/bdebd9a05a0ebf2f3c5b862a09392c108d365bf3f99fa6f657498787de21b0db-json.log";

fn ingested() -> &'static Ingested {
    static I: OnceLock<Ingested> = OnceLock::new();
    I.get_or_init(|| ingest(&[common::sample("latin1")], &Limits::default()))
}

fn report() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| run(&Config::new(vec![common::sample("latin1")])))
}

fn text_log() -> &'static DockerLogs {
    ingested()
        .items
        .iter()
        .find_map(|p| match p {
            Parsed::DockerLogs(d) if d.log.path.ends_with("docker_logs_-t_ca72def78cbd") => Some(d),
            _ => None,
        })
        .expect("the docker logs text with Latin-1 bytes is read as docker logs")
}

fn crash(log: &LogFile) -> &json_log::Signature {
    log.signatures
        .iter()
        .find(|s| s.kind == SignatureKind::Crash)
        .unwrap_or_else(|| panic!("{}: no crash signature in {:?}", log.path, log.signatures))
}

#[test]
fn issue11_docker_logs_text_with_latin1_bytes_is_read_decoded() {
    let raw = std::fs::read(common::sample(TEXT)).expect("sample");
    assert!(
        std::str::from_utf8(&raw).is_err(),
        "the sample holds raw Latin-1 bytes"
    );
    let d = text_log();
    assert!(d.stamped);
    assert_eq!(d.log.lines, 5, "no line dropped");
    assert!(d.log.diagnostics.is_empty(), "{:?}", d.log.diagnostics);
    let excerpts: Vec<(Option<u64>, &str)> = d
        .log
        .tail
        .iter()
        .map(|l| (l.evidence.line, l.evidence.excerpt.as_str()))
        .collect();
    assert_eq!(
        excerpts,
        [
            (Some(1), "worker starting, utf-8 café ok"),
            (
                Some(2),
                "café ouvert: ERROR: connexion refusée par le serveur 10.0.0.7:5432"
            ),
            (Some(3), "Grüße aus München"),
            (Some(4), "panic: réseau indisponible"),
            (Some(5), "last line été plain"),
        ]
    );
    let c = crash(&d.log);
    assert_eq!(c.count, 1);
    assert_eq!(c.first.evidence.line, Some(4));
    assert_eq!(c.first.evidence.excerpt, "panic: réseau indisponible");
    // The error line is matched by the error words and grouped.
    let t = d
        .log
        .templates
        .iter()
        .find(|t| t.template.contains("ERROR"))
        .expect("the Latin-1 error line makes a template");
    assert_eq!(t.example.evidence.line, Some(2));
    assert!(
        t.template.starts_with("café ouvert: ERROR"),
        "{}",
        t.template
    );
}

#[test]
fn issue11_same_text_in_windows_equals_one_pass() {
    let path = common::sample(TEXT);
    let data = std::fs::read(&path).expect("sample");
    let name = path.to_string_lossy().into_owned();
    let limits = Limits::default();
    let whole = docker_logs::parse(&name, &data, Shape::Stamped, &limits);
    let file = std::fs::File::open(&path).expect("open");
    let windows = docker_logs::parse_file(&name, &file, Shape::Stamped, &limits, 64, &mut |_| {})
        .expect("parse_file");
    assert_eq!(whole, windows);
}

#[test]
fn issue11_json_file_from_dockerd_keeps_its_replacement_characters() {
    let d = ingested()
        .items
        .iter()
        .find_map(|p| match p {
            Parsed::Log(l) if l.path.ends_with(JSON.rsplit('/').next().unwrap_or(JSON)) => Some(l),
            _ => None,
        })
        .expect("the json-file log is read");
    assert_eq!(d.lines, 5);
    assert_eq!(d.stderr_lines, 2);
    assert_eq!(d.bad_records, 0);
    let c = crash(d);
    assert_eq!(c.first.evidence.line, Some(4));
    assert_eq!(
        c.first.evidence.excerpt,
        "panic: r\u{FFFD}seau indisponible"
    );
    assert_eq!(d.tail[0].evidence.excerpt, "worker starting, utf-8 café ok");
}

#[test]
fn issue11_both_containers_get_their_log_rules() {
    let r = report();
    for name in ["latin1-local", "latin1-app"] {
        let c = common::container(r, name);
        assert_eq!(c.logs.as_ref().map(|l| l.lines), Some(5), "{name}");
        assert!(
            common::rules_of(r, name).contains(&"crash-signature"),
            "{name}: {:?}",
            common::rules_of(r, name)
        );
    }
}

/// A json-file log holding raw Latin-1 bytes (not what dockerd writes, but
/// what another writer or a damaged copy holds), in dockerd's key order and
/// in another order (the `serde_json` fallback): read, decoded, counted.
#[test]
fn issue11_raw_latin1_bytes_in_json_file_records() {
    let data: &[u8] = b"{\"log\":\"caf\xe9 ERROR: boom\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-02T03:36:55.659179873Z\"}\n\
{\"time\":\"2026-12-02T03:36:56.000000000Z\",\"stream\":\"stdout\",\"log\":\"panic: r\xe9seau\\n\"}\n";
    let f = json_log::parse("x/a-json.log", data, &Limits::default());
    assert_eq!(f.lines, 2);
    assert_eq!(f.bad_records, 0);
    assert_eq!(f.tail[0].evidence.excerpt, "café ERROR: boom");
    assert_eq!(f.tail[1].evidence.excerpt, "panic: réseau");
    assert_eq!(crash(&f).first.evidence.line, Some(2));
}
