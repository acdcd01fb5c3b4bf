//! Identification of a non-archive, uncompressed artifact from its bytes.

use serde_json::Value;

use super::{events, host, inspect, json_log, kernel, Parsed};
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

/// Reads enough of `data` to say what it is, and parses it.
pub fn identify(path: &str, data: &[u8], limits: &Limits) -> Identified {
    let head = &data[..data.len().min(64 * 1024)];
    let first = head.iter().copied().find(|c| !c.is_ascii_whitespace());
    // `[ 1870.636507] …` and `[Sun Nov 29 …]` start with a bracket too.
    if first == Some(b'[') && kernel::looks_like_kernel_log(head) {
        return kernel_text(path, data);
    }
    if matches!(first, Some(b'{') | Some(b'[')) {
        if json_log::looks_like_json_log(head) {
            let mut log = json_log::parse(path, data, limits);
            let diags = std::mem::take(&mut log.diagnostics);
            return (ArtifactKind::JsonLog, vec![Parsed::Log(log)], diags);
        }
        if first == Some(b'{') && first_line_is_event(data) {
            let mut ev = events::parse(path, data);
            let diags = std::mem::take(&mut ev.diagnostics);
            return (ArtifactKind::Events, vec![Parsed::Events(ev)], diags);
        }
        return identify_json(path, data, limits);
    }
    // A lone RFC 3339 stamp (collection time) would pass for an iso kernel line.
    if data.len() <= 4096 {
        let text = String::from_utf8_lossy(data);
        if let Some(fact) = host::detect(&text) {
            return (ArtifactKind::HostInfo, vec![Parsed::Host(fact)], Vec::new());
        }
    }
    if kernel::looks_like_kernel_log(head) {
        return kernel_text(path, data);
    }
    if host::detect_ps(&String::from_utf8_lossy(head)) {
        return (
            ArtifactKind::HostInfo,
            vec![Parsed::Host(host::HostFact::Other("docker ps"))],
            Vec::new(),
        );
    }
    (
        ArtifactKind::Unknown,
        Vec::new(),
        vec![Diagnostic::warning(
            path,
            "not recognised as a Docker or kernel artifact; skipped",
        )],
    )
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
    if inspect::is_inspect(&value) {
        let mut f = inspect::parse(path, data, &value);
        let mut diags = std::mem::take(&mut f.diagnostics);
        diags.extend(repaired_note);
        return (ArtifactKind::Inspect, vec![Parsed::Inspect(f)], diags);
    }
    if let Some(fact) = host::detect_json(&value) {
        return (ArtifactKind::HostInfo, vec![Parsed::Host(fact)], Vec::new());
    }
    (
        ArtifactKind::Unknown,
        Vec::new(),
        vec![Diagnostic::warning(
            path,
            "JSON, but not docker inspect, events or a json-file log; skipped",
        )],
    )
}
