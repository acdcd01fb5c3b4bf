//! SARIF 2.1.0 output (`--format sarif`, issue #13), as the contract maps
//! it: one run whose `tool.driver.rules` is the rule catalogue
//! (`RuleId::ALL`, in catalogue order), one result per finding, and the
//! finding's evidence as physical locations (`artifactLocation.uri` and
//! `region.startLine`). GitHub code scanning and other SARIF viewers then
//! list coroner's findings next to the files that prove them.
//!
//! The document is built as a `serde_json::Value` from the (redacted)
//! report, so every input string is a JSON string escaped by serde; URIs
//! are percent-encoded so that a path holding spaces, `#`, `%` or `:` is
//! still a valid URI reference. Nothing here reads a clock: the same report
//! gives the same bytes.

use serde_json::{json, Map, Value};

use super::schema::{Evidence, Finding, Report, RuleId, Severity};
use super::untrusted::join;

/// The schema URI SARIF consumers expect in `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// SARIF's `level` for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The catalogue's default severity and "fires when" text of a rule
/// (docs/report-contract.md). A rule added to `RuleId` before it is added
/// here gets a generic line rather than a wrong one.
fn describe(r: RuleId) -> (Severity, &'static str) {
    use RuleId::*;
    use Severity::*;
    match r {
        OomKilled => (Critical, "The container's main process was killed by the kernel OOM killer."),
        OomChildKilled => (Warning, "A process in the container's cgroup was OOM-killed but PID 1 survived."),
        StopTimeoutKill => (Warning, "Exit 137 with no OOM: SIGKILL after the stop timeout or docker kill."),
        SigtermExit => (Info, "Exit 143: the container was stopped by SIGTERM; it should exit 0 after cleanup."),
        Segfault => (Critical, "Exit 139 or a kernel segfault line: the process crashed on a memory access."),
        Abort => (Critical, "Exit 134: the process aborted (SIGABRT)."),
        CommandNotFound => (Critical, "Exit 126/127 or a runtime error naming an executable that cannot be found or run."),
        ExitedImmediately => (Warning, "Exit 0 within seconds of start with no restart: CMD is a one-shot, not a long-lived process."),
        AppErrorExit => (Warning, "A non-zero exit with no better explanation."),
        CrashLoop => (Critical, "Restart count of 3 or more, or state restarting: the container is crash-looping."),
        Unhealthy => (Critical, "The container's health status is unhealthy."),
        PortMismatch => (Warning, "A published container port that the image does not expose or the process does not listen on."),
        VolumePermissionDenied => (Critical, "Permission denied on a path under a mount while the container runs as a non-root user."),
        LogsUnavailable => (Warning, "The logging driver is not json-file or local, so the bundle cannot hold the container's logs."),
        CrashSignature => (Critical, "A panic, uncaught exception, traceback or fatal error in the logs."),
        LogErrors => (Info, "Error lines in the logs, grouped into templates with counts."),
        DnsFailure => (Warning, "Name resolution failures in the logs."),
        SecretsInEnv => (Warning, "Environment, labels or commands hold secrets (values are redacted in every output)."),
        UnmatchedKernelEvent => (Warning, "An OOM kill or segfault that matches no container in the inputs."),
        ImageWastedSpace => (Warning, "An image's wasted bytes (files deleted or overwritten in later layers) exceed a threshold."),
        ImageBloat => (Warning, "Package-manager caches, .git, build tools, test fixtures or dev dependencies shipped in an image."),
        ImageTagConflict => (Warning, "One tag names two different image contents among the inputs: a retag or a rebuild."),
        Pid1IgnoresSignal => (Warning, "PID 1 has no init and a signal that should have ended it did not."),
        HeapExceedsLimit => (Warning, "A runtime heap setting is larger than the container's memory limit."),
        LogsRotatedOut => (Info, "The oldest surviving log line is later than the container's start: older lines were rotated out."),
        PortConflict => (Critical, "Address already in use or port already allocated."),
        WrongArchitecture => (Critical, "Exec format error, or the image's architecture differs from the host's."),
        ImagePullFailure => (Critical, "The image could not be pulled (rate limit, unknown manifest, unauthorized, no matching manifest)."),
        HealthProbeBroken => (Warning, "The health probe fails for its own reasons (missing tool, wrong port or address)."),
        MemoryNearLimit => (Warning, "A running container at 90 % or more of its memory limit."),
        KernelHungTask => (Warning, "A kernel hung task or soft/hard lockup."),
        KernelError => (Warning, "A kernel BUG/Oops, a filesystem error or a filesystem remounted read-only."),
        #[allow(unreachable_patterns)]
        _ => (Warning, "A rule of coroner's catalogue (see docs/report-contract.md)."),
    }
}

/// The rule's name in SARIF's PascalCase convention (`oom-killed` → `OomKilled`).
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn location(e: &Evidence) -> Option<Value> {
    if e.source.is_empty() {
        return None;
    }
    let mut phys = Map::new();
    phys.insert("artifactLocation".into(), json!({ "uri": e.source.uri() }));
    let mut loc = Map::new();
    match e.line.filter(|&l| l >= 1) {
        // A region needs a start: with a line it carries the excerpt.
        Some(line) => {
            let mut region = Map::new();
            region.insert("startLine".into(), json!(line));
            if !e.excerpt.is_empty() {
                region.insert("snippet".into(), json!({ "text": e.excerpt }));
            }
            phys.insert("region".into(), Value::Object(region));
        }
        // No line (a whole file, an archive member): the excerpt is the
        // location's message.
        None if !e.excerpt.is_empty() => {
            loc.insert("message".into(), json!({ "text": e.excerpt }));
        }
        None => {}
    }
    loc.insert("physicalLocation".into(), Value::Object(phys));
    Some(Value::Object(loc))
}

/// A stable id of a finding across runs (FNV-1a of rule, subject and title
/// in their JSON form), so a CI viewer can tell a new finding from one seen
/// before.
fn fingerprint(f: &Finding) -> String {
    let key = json!([f.rule.as_str(), f.container, f.image, f.title]).to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn result(f: &Finding) -> Value {
    let index = RuleId::ALL.iter().position(|&r| r == f.rule).unwrap_or(0);
    let text = if f.suggestion.is_empty() {
        f.title.clone()
    } else {
        join(&[f.title.clone(), f.suggestion.clone()], " — what to do: ")
    };
    let locations: Vec<Value> = f.evidence.iter().filter_map(location).collect();
    let mut props = Map::new();
    if let Some(c) = &f.container {
        props.insert("container".into(), json!(c));
    }
    if let Some(i) = &f.image {
        props.insert("image".into(), json!(i));
    }
    props.insert("severity".into(), json!(f.severity.as_str()));
    props.insert("explanation".into(), json!(f.explanation));
    json!({
        "ruleId": f.rule.as_str(),
        "ruleIndex": index,
        "level": level(f.severity),
        "message": { "text": text },
        "locations": locations,
        "partialFingerprints": { "coronerFinding/v1": fingerprint(f) },
        "properties": props,
    })
}

/// The report as one SARIF 2.1.0 log, pretty-printed, with a trailing newline.
pub fn render(r: &Report) -> String {
    let rules: Vec<Value> = RuleId::ALL
        .iter()
        .map(|&id| {
            let (sev, text) = describe(id);
            json!({
                "id": id.as_str(),
                "name": pascal(id.as_str()),
                "shortDescription": { "text": text },
                "fullDescription": { "text": format!("{text} Rule `{}` of coroner's catalogue.", id.as_str()) },
                "defaultConfiguration": { "level": level(sev) },
                "properties": { "tags": ["docker", "incident"] },
            })
        })
        .collect();
    let doc = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": r.tool.name,
                "version": r.tool.version,
                "semanticVersion": r.tool.version,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": r.findings.iter().map(result).collect::<Vec<_>>(),
            "properties": { "reportSchema": r.schema },
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON values always serialise");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(pascal("oom-killed"), "OomKilled");
        assert_eq!(pascal("pid1-ignores-signal"), "Pid1IgnoresSignal");
    }
}
