//! Identification of a non-archive, uncompressed artifact from its bytes.

use serde_json::Value;

use super::{
    compose_logs, docker_logs, events, events_text, host, inspect, journal, json_log, kernel,
    podman, Parsed,
};
use crate::model::{ArtifactKind, Diagnostic, Limits};

/// True when [`identify`] would read `head` (the first 64 KiB of an
/// uncompressed, non-tar artifact) as a json-file log; lets the caller
/// stream a large log in chunks instead of holding it whole.
pub fn is_json_log(head: &[u8]) -> bool {
    let head = &head[..head.len().min(64 * 1024)];
    let first = head.iter().copied().find(|c| !c.is_ascii_whitespace());
    match first {
        Some(b'[') => !kernel::looks_like_kernel_log(head) && json_log::looks_like_json_log(head),
        Some(b'{') => json_log::looks_like_json_log(head),
        _ => false,
    }
}

/// What an artifact is, what it parsed into, and what went wrong.
pub type Identified = (ArtifactKind, Vec<Parsed>, Vec<Diagnostic>);

/// What the first bytes of a non-archive artifact say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Kernel,
    JsonLog,
    JsonEvents,
    Json,
    /// Uptime or collection time (small files only).
    HostFact,
    EventsText,
    DockerLogs(docker_logs::Shape),
    DockerText,
    /// podman's k8s-file (CRI) log: `<time> stdout|stderr F|P <message>`.
    K8sFile,
    /// `docker compose logs`: `<name>  | <message>` lines.
    ComposeLogs,
    /// A report coroner wrote (text, Markdown, HTML, JSON, SARIF).
    CoronerReport,
    Unknown,
    Journal,
}

/// One table of recognisers, in order; `len` is the whole artifact's size.
fn classify(path: &str, head: &[u8], data_if_small: Option<&[u8]>) -> Class {
    if is_coroner_report(head) {
        return Class::CoronerReport;
    }
    let first = head.iter().copied().find(|c| !c.is_ascii_whitespace());
    // `[ 1870.636507] …` and `[Sun Nov 29 …]` start with a bracket too.
    if first == Some(b'[') && kernel::looks_like_kernel_log(head) {
        return Class::Kernel;
    }
    if matches!(first, Some(b'{') | Some(b'[')) && json_shaped(head) {
        if json_log::looks_like_json_log(head) {
            return Class::JsonLog;
        }
        if first == Some(b'{') && first_line_is_event(head) {
            return Class::JsonEvents;
        }
        if docker_logs::name_hint(path) {
            // `docker logs` of an application that writes JSON or `[INFO]` lines.
            return Class::DockerLogs(docker_logs::Shape::Plain);
        }
        return Class::Json;
    }
    // Its RFC 3339 stamps would pass for `docker logs -t` or iso kernel lines.
    if podman::k8s_file::looks_like_k8s_file(head) {
        return Class::K8sFile;
    }
    if compose_logs::looks_like_compose_logs(head) {
        return Class::ComposeLogs;
    }
    // A lone RFC 3339 stamp (collection time) would pass for an iso kernel line.
    if let Some(data) = data_if_small {
        if host::detect(&String::from_utf8_lossy(data)).is_some() {
            return Class::HostFact;
        }
    }
    // Before the kernel reader: Docker's own stamps read as iso kernel lines.
    if events_text::looks_like_events_text(head) {
        return Class::EventsText;
    }
    let logs = docker_logs::identify(path, head);
    if let Some(shape @ (docker_logs::Shape::Stamped | docker_logs::Shape::DaemonError)) = logs {
        return Class::DockerLogs(shape);
    }
    if journal::looks_like_journal(head) {
        return Class::Journal;
    }
    if kernel::looks_like_kernel_log(head) {
        return Class::Kernel;
    }
    if host::is_docker_text(&String::from_utf8_lossy(head)) {
        return Class::DockerText;
    }
    match logs {
        Some(shape) => Class::DockerLogs(shape),
        None => Class::Unknown,
    }
}

const SMALL: usize = 4096;

/// The shape of `docker logs` text when [`identify`] would read `head` (the
/// first 64 KiB of an uncompressed, non-tar file of `len` bytes) as such;
/// lets the caller stream a large file through
/// [`docker_logs::parse_file`] instead of holding it whole.
pub fn docker_logs_shape(path: &str, head: &[u8], len: u64) -> Option<docker_logs::Shape> {
    let head = &head[..head.len().min(64 * 1024)];
    let small = (len as usize <= SMALL && head.len() as u64 == len).then_some(head);
    match classify(path, head, small) {
        Class::DockerLogs(shape) => Some(shape),
        _ => None,
    }
}

/// True when [`identify`] would read `head` (the first 64 KiB of an
/// uncompressed, non-tar file) as a k8s-file log; lets the caller stream a
/// large file through [`podman::k8s_file::parse_file`].
pub fn is_k8s_file(path: &str, head: &[u8], len: u64) -> bool {
    let head = &head[..head.len().min(64 * 1024)];
    let small = (len as usize <= SMALL && head.len() as u64 == len).then_some(head);
    classify(path, head, small) == Class::K8sFile
}

/// Reads enough of `data` to say what it is, and parses it.
pub fn identify(path: &str, data: &[u8], limits: &Limits) -> Identified {
    let head = &data[..data.len().min(64 * 1024)];
    let small = (data.len() <= SMALL).then_some(data);
    match classify(path, head, small) {
        Class::Kernel => kernel_text(path, data),
        Class::JsonLog => {
            let mut log = json_log::parse(path, data, limits);
            let diags = std::mem::take(&mut log.diagnostics);
            (ArtifactKind::JsonLog, vec![Parsed::Log(log)], diags)
        }
        Class::JsonEvents => {
            let mut ev = events::parse(path, data);
            let diags = std::mem::take(&mut ev.diagnostics);
            (ArtifactKind::Events, vec![Parsed::Events(ev)], diags)
        }
        Class::Json => identify_json(path, data, limits),
        Class::HostFact => match host::detect(&String::from_utf8_lossy(data)) {
            Some(fact) => (
                ArtifactKind::HostInfo,
                vec![Parsed::Host(with_source(fact, path))],
                Vec::new(),
            ),
            None => unknown(path),
        },
        Class::EventsText => {
            let mut ev = events_text::parse(path, data);
            let diags = std::mem::take(&mut ev.diagnostics);
            (ArtifactKind::Events, vec![Parsed::Events(ev)], diags)
        }
        Class::DockerLogs(shape) => {
            let mut d = docker_logs::parse(path, data, shape, limits);
            let diags = std::mem::take(&mut d.log.diagnostics);
            (ArtifactKind::DockerLogs, vec![Parsed::DockerLogs(d)], diags)
        }
        Class::DockerText => match host::parse_docker_text(&String::from_utf8_lossy(data)) {
            Some(fact) => (
                ArtifactKind::HostInfo,
                vec![Parsed::Host(with_source(fact, path))],
                Vec::new(),
            ),
            None => unknown(path),
        },
        Class::K8sFile => {
            let mut log = podman::k8s_file::parse(path, data, limits);
            let diags = std::mem::take(&mut log.diagnostics);
            (ArtifactKind::K8sFileLog, vec![Parsed::Log(log)], diags)
        }
        Class::ComposeLogs => {
            let mut c = compose_logs::parse(path, data, limits);
            let diags = std::mem::take(&mut c.diagnostics);
            (
                ArtifactKind::ComposeLogs,
                vec![Parsed::ComposeLogs(c)],
                diags,
            )
        }
        Class::CoronerReport => (
            ArtifactKind::CoronerReport,
            Vec::new(),
            vec![Diagnostic::info(
                path,
                "a report coroner wrote (its own output, e.g. `-o` into the input folder); skipped",
            )],
        ),
        Class::Unknown => unknown_with(path, Some(data)),
        Class::Journal => {
            let mut j = journal::parse(path, data);
            let diags = std::mem::take(&mut j.diagnostics);
            let mut items = vec![Parsed::Journal(j)];
            // A whole-host journal mixes the kernel's lines in: read those too.
            if memchr::memmem::find(data, b" kernel: ").is_some() {
                items.push(Parsed::KernelText {
                    path: path.to_string(),
                    text: data.to_vec(),
                });
            }
            (ArtifactKind::Journal, items, diags)
        }
    }
}

/// Marks where `docker info`/`version` facts and `docker stats` rows were
/// read, so findings can cite them.
fn with_source(fact: host::HostFact, path: &str) -> host::HostFact {
    // Every row of a table fact carries the file it came from.
    macro_rules! sourced {
        ($variant:ident, $rows:ident) => {{
            let mut rows = $rows;
            for r in &mut rows {
                r.source = path.to_string();
            }
            host::HostFact::$variant(rows)
        }};
    }
    match fact {
        host::HostFact::Docker(mut d) => {
            d.source = path.to_string();
            host::HostFact::Docker(d)
        }
        host::HostFact::Stats(rows) => sourced!(Stats, rows),
        host::HostFact::Containers(rows) => sourced!(Containers, rows),
        host::HostFact::ImageList(rows) => sourced!(ImageList, rows),
        host::HostFact::Networks(rows) => sourced!(Networks, rows),
        host::HostFact::Volumes(rows) => sourced!(Volumes, rows),
        host::HostFact::ComposePs(rows) => sourced!(ComposePs, rows),
        f => f,
    }
}

/// The markers each renderer writes at the top of a report: the text
/// report's `coroner <version> — N container(s), … finding(s)` line, the
/// Markdown `# coroner incident report` heading, the HTML
/// `<title>coroner incident report`, the JSON `"schema": "coroner.report/`
/// and a SARIF log whose driver is `coroner`. Read back as input, a report
/// would be taken for a kernel log (its evidence excerpts are kernel lines)
/// and report events that never happened again (#11).
pub fn is_coroner_report(head: &[u8]) -> bool {
    let head = &head[..head.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let first = t.lines().next().unwrap_or("");
    (first.starts_with("coroner ")
        && first.contains(" container(s), ")
        && (first.contains(" finding(s)") || first.contains("; findings: ")))
        || first.starts_with("# coroner incident report")
        || (t.starts_with("<!DOCTYPE html>") && t.contains("<title>coroner incident report"))
        || (t.starts_with('{') && t.contains("\"schema\": \"coroner.report/"))
        || (t.starts_with('{')
            && t.contains("sarif")
            && (t.contains("\"name\": \"coroner\"") || t.contains("\"name\":\"coroner\"")))
}

/// Content that is none of the artifacts coroner reads. A file whose name
/// says it is evidence keeps a warning; any other is not relevant, counted
/// by folder in one info line (`quiet`), never one warning each.
fn unknown(path: &str) -> Identified {
    unknown_with(path, None)
}

/// [`unknown`], told the bytes: a few single-token lines (`'image'`,
/// `"create"`) are what a `--format '{{.Field}}'` template prints, whatever
/// the file is called, so not evidence that failed to read.
fn unknown_with(path: &str, data: Option<&[u8]>) -> Identified {
    // A name that promises an archive is a damaged archive, whatever its
    // first bytes look like.
    if data.is_some_and(is_template_output) && !named_like_archive(path) {
        return (ArtifactKind::NotRelevant, Vec::new(), Vec::new());
    }
    if named_like_evidence_or_archive(path) {
        return (
            ArtifactKind::Unknown,
            Vec::new(),
            vec![Diagnostic::warning(path, super::quiet::NOT_RECOGNISED)],
        );
    }
    (ArtifactKind::NotRelevant, Vec::new(), Vec::new())
}

/// Whether a file's name promises evidence or an archive, so that failing
/// to read it (or finding it empty) deserves a warning.
pub(super) fn named_like_evidence_or_archive(path: &str) -> bool {
    named_like_evidence(path) || named_like_archive_or_json(path)
}

/// At most 64 lines, each one token of at most 128 bytes: the output of a
/// Go template that prints one field per object.
fn is_template_output(data: &[u8]) -> bool {
    if data.len() > 8192 {
        return false;
    }
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    !lines.is_empty()
        && lines.len() <= 64
        && lines.iter().all(|l| {
            l.len() <= 128 && !l.contains(char::is_whitespace) && !l.starts_with(['{', '['])
        })
}

/// A small JSON object of scalars (`{"foo":"bar"}`, `{{json .Labels}}`):
/// a template's output; an inspect document always nests objects.
fn is_flat_small_json(v: &Value, len: usize) -> bool {
    len <= 1024
        && v.as_object()
            .is_some_and(|o| o.values().all(|x| !x.is_object() && !x.is_array()))
}

/// Whether a file's name says it should hold Docker or kernel evidence
/// (`…-json.log`, `docker_inspect_…`, `dmesg`, `kern.log`, `docker_logs…`).
fn named_like_evidence(path: &str) -> bool {
    let base = path
        .rsplit(['/', '!'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    [
        "-json.log",
        "inspect",
        "dmesg",
        "kern.log",
        "docker_logs",
        "docker-logs",
        "docker_events",
        "docker-events",
    ]
    .iter()
    .any(|k| base.contains(k))
        || base == "events"
        || base.starts_with("events.")
}

/// A name that promises an archive or JSON the content is not (random
/// bytes under `layer.tar`, `inspect.json`): damaged evidence, warned about.
fn named_like_archive(path: &str) -> bool {
    let base = path
        .rsplit(['/', '!'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    [".tar", ".tgz", ".gz", ".xz", ".zst", ".zip"]
        .iter()
        .any(|e| base.ends_with(e))
}

fn named_like_archive_or_json(path: &str) -> bool {
    let base = path
        .rsplit(['/', '!'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    [
        ".tar", ".tgz", ".gz", ".xz", ".zst", ".zip", ".json", ".jsonl",
    ]
    .iter()
    .any(|e| base.ends_with(e))
}

/// Whether a head that starts with `{` or `[` goes on like JSON: `{` then a
/// key or `}`, `[` then a value or `]`. `[default] performance` (a sysfs
/// `policy` file) or `[Unit]` is text, not a damaged JSON document.
fn json_shaped(head: &[u8]) -> bool {
    let mut it = head.iter().copied().filter(|c| !c.is_ascii_whitespace());
    match (it.next(), it.next()) {
        (Some(b'{'), Some(c)) => c == b'"' || c == b'}',
        (Some(b'['), Some(c)) => match c {
            b'{' | b'[' | b']' | b'"' | b'-' | b'0'..=b'9' => true,
            // `[none] mq-deadline` (a sysfs `scheduler` file) is text: only
            // the words `true`, `false`, `null` start a JSON value here.
            b't' | b'f' | b'n' => {
                let rest = head
                    .iter()
                    .position(|&b| b == b'[')
                    .map_or(&head[..0], |i| &head[i + 1..]);
                let rest = rest.trim_ascii_start();
                [&b"true"[..], b"false", b"null"].iter().any(|w| {
                    rest.starts_with(w)
                        && rest.get(w.len()).is_none_or(|b| !b.is_ascii_alphanumeric())
                })
            }
            _ => false,
        },
        (Some(_), None) => false,
        _ => false,
    }
}

/// JSON lines (one document per line, like a layer's `tar-split.json.gz`)
/// that are none of the line formats coroner reads: not evidence, and not
/// a JSON document cut short.
fn is_json_lines(data: &[u8]) -> bool {
    let lines: Vec<&[u8]> = data
        .split(|&c| c == b'\n')
        .map(events::trim_ascii)
        .filter(|l| !l.is_empty())
        .take(3)
        .collect();
    lines.len() >= 2
        && lines
            .iter()
            .all(|l| serde_json::from_slice::<serde::de::IgnoredAny>(l).is_ok())
}

/// Kernel logs are parsed after the walk (syslog stamps need a year), so
/// their text is kept.
fn kernel_text(path: &str, data: &[u8]) -> Identified {
    (
        ArtifactKind::Dmesg,
        vec![Parsed::KernelText {
            path: path.to_string(),
            text: data.to_vec(),
        }],
        Vec::new(),
    )
}

fn first_line_is_event(data: &[u8]) -> bool {
    let line = data
        .split(|&c| c == b'\n')
        .find(|l| !events::trim_ascii(l).is_empty());
    match line.map(serde_json::from_slice::<Value>) {
        Some(Ok(v)) => events::is_event(&v),
        _ => false,
    }
}

fn identify_json(path: &str, data: &[u8], limits: &Limits) -> Identified {
    if data.len() as u64 > limits.max_json_bytes {
        return (
            ArtifactKind::Unknown,
            Vec::new(),
            vec![Diagnostic::error(
                path,
                format!(
                    "JSON document of {} bytes exceeds the limit of {} (raise with --max-json-bytes)",
                    data.len(),
                    limits.max_json_bytes
                ),
            )],
        );
    }
    // `docker compose ps --format json`: one object per line, which would
    // otherwise pass for JSON lines that are not evidence.
    let head = &data[..data.len().min(4096)];
    if memchr::memmem::find(head, b"\"Service\"").is_some() {
        if let Some(rows) = super::tables::parse_compose_ps_json(data) {
            return (
                ArtifactKind::HostInfo,
                vec![Parsed::Host(with_source(
                    host::HostFact::ComposePs(rows),
                    path,
                ))],
                Vec::new(),
            );
        }
    }
    // serde_json refuses nesting deeper than 128 levels with an error, so
    // hostile depth costs a diagnostic, not the stack.
    let mut repaired_note = None;
    let value: Value = match serde_json::from_slice(data) {
        Ok(v) => v,
        Err(e) if e.is_eof() => match inspect::repair_truncated(data).and_then(|r| serde_json::from_slice(&r).ok()) {
            Some(v) => {
                repaired_note = Some(Diagnostic::warning(
                    path,
                    format!("JSON is cut short ({e}); analysed what came before the cut: fields after it are missing"),
                ));
                v
            }
            None => {
                return (
                    ArtifactKind::Unknown,
                    Vec::new(),
                    vec![Diagnostic::error(path, format!("JSON is cut short and nothing complete was read: {e}"))],
                )
            }
        },
        Err(_) if is_json_lines(data) => {
            return (ArtifactKind::NotRelevant, Vec::new(), Vec::new());
        }
        Err(e) => {
            return (
                ArtifactKind::Unknown,
                Vec::new(),
                vec![Diagnostic::error(
                    path,
                    format!("looks like JSON but does not parse: {e}; hint: a truncated copy? re-collect the file"),
                )],
            )
        }
    };
    // `docker info` JSON has `Containers` and `Driver`, a network's keys.
    if let Some(fact) = host::detect_json(&value) {
        return (
            ArtifactKind::HostInfo,
            vec![Parsed::Host(with_source(fact, path))],
            Vec::new(),
        );
    }
    if inspect::is_inspect(&value) {
        let mut f = inspect::parse(path, data, &value);
        let mut diags = std::mem::take(&mut f.diagnostics);
        diags.extend(repaired_note);
        return (ArtifactKind::Inspect, vec![Parsed::Inspect(f)], diags);
    }
    if let Some(fact) = host::detect_json(&value) {
        return (
            ArtifactKind::HostInfo,
            vec![Parsed::Host(with_source(fact, path))],
            Vec::new(),
        );
    }
    if podman::storage::is_storage(&value) {
        let mut diags = Vec::new();
        diags.extend(repaired_note);
        return (
            ArtifactKind::PodmanStorage,
            vec![Parsed::PodmanStorage(podman::storage::parse(path, &value))],
            diags,
        );
    }
    if podman::storage::is_network(&value) {
        // `podman network inspect` (sos stores one per network): not evidence.
        return (ArtifactKind::NotRelevant, Vec::new(), Vec::new());
    }
    if named_like_evidence(path) && !is_flat_small_json(&value, data.len()) {
        return (
            ArtifactKind::Unknown,
            Vec::new(),
            vec![Diagnostic::warning(
                path,
                "JSON, but not docker inspect, events or a json-file log; skipped",
            )],
        );
    }
    (ArtifactKind::NotRelevant, Vec::new(), Vec::new())
}
