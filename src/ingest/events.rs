//! `docker events --format '{{json .}}'` output: one JSON object per line,
//! in the shape of API 1.22 and later (`Type`/`Action`/`Actor`) or the older
//! one (`status`/`id`/`from`). Container lifecycle events (die, oom, kill,
//! health_status, restart, stop, start) are kept as evidence and timeline
//! entries; every other event (other actions, other object types) is kept
//! in `EventLog::others` as a fact. The text format is `events_text.rs`.

use serde_json::Value;

use crate::model::{Diagnostic, Evidence};
use crate::time::Timestamp;

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub time: Option<Timestamp>,
    pub container_id: String,
    pub container_name: String,
    /// "die", "oom", "kill", "health_status: unhealthy", "start", ...
    pub action: String,
    pub exit_code: Option<i64>,
    pub signal: Option<i64>,
    pub evidence: Evidence,
    /// The object type: "container", "image", "network", "volume", "daemon", ...
    pub kind: String,
    /// The actor's attributes, in the order the source gives them.
    pub attributes: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventLog {
    pub path: String,
    pub events: Vec<Event>,
    /// Events of other types or actions: facts, not timeline entries.
    pub others: Vec<Event>,
    pub diagnostics: Vec<Diagnostic>,
}

/// True when a JSON object is a docker event.
pub fn is_event(v: &Value) -> bool {
    let timed = v.get("timeNano").is_some() || v.get("time").is_some();
    let new = v.get("Action").is_some() && v.get("Actor").is_some();
    // Before API 1.22: `{"status":"die","id":"…","from":"image","time":…}`.
    let old =
        v.get("status").is_some_and(Value::is_string) && v.get("id").is_some_and(Value::is_string);
    // podman: `{"ID":…,"Name":…,"Status":"died","Time":"RFC 3339","Type":…}`.
    let podman = v.get("Status").is_some_and(Value::is_string)
        && v.get("Type").is_some()
        && v.get("Time").is_some_and(Value::is_string);
    (timed && (new || old)) || podman
}

/// True for the container actions kept as timeline entries.
pub fn is_kept(action: &str) -> bool {
    KEPT.contains(&action.split(':').next().unwrap_or("").trim())
}

const KEPT: &[&str] = &[
    "create",
    "start",
    "restart",
    "die",
    "oom",
    "kill",
    "stop",
    "health_status",
    "destroy",
    "pause",
    "unpause",
    // `docker update`: the restart policy or a limit changed (issue #12).
    "update",
];

pub fn parse(path: &str, data: &[u8]) -> EventLog {
    let mut out = EventLog {
        path: path.to_string(),
        ..Default::default()
    };
    let mut bad = 0u64;
    for (n, raw) in data.split(|&c| c == b'\n').enumerate() {
        let line = trim_ascii(raw);
        if line.is_empty() {
            continue;
        }
        let v: Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            Err(_) => {
                bad += 1;
                continue;
            }
        };
        let str_at = |p: &str| v.pointer(p).and_then(Value::as_str);
        if v.get("Action").is_none() && v.get("Status").is_some() && v.get("Time").is_some() {
            push_podman(&mut out, path, n, line, &v);
            continue;
        }
        let new_shape = v.get("Action").is_some();
        let (kind, action, id) = if new_shape {
            (
                str_at("/Type").unwrap_or(""),
                str_at("/Action").unwrap_or(""),
                str_at("/Actor/ID").unwrap_or(""),
            )
        } else {
            // The old shape has no type: `from` (the image) marks a container.
            let kind = if v.get("from").is_some() {
                "container"
            } else {
                "image"
            };
            (
                kind,
                str_at("/status").unwrap_or(""),
                str_at("/id").unwrap_or(""),
            )
        };
        let mut attributes = string_pairs(v.pointer("/Actor/Attributes"));
        if !new_shape {
            if let Some(from) = str_at("/from") {
                attributes.push(("image".to_string(), from.to_string()));
            }
        }
        let attr = |k: &str| {
            attributes
                .iter()
                .find(|(a, _)| a == k)
                .map(|(_, x)| x.as_str())
        };
        let time = v
            .get("timeNano")
            .and_then(Value::as_i64)
            .map(Timestamp)
            .or_else(|| {
                v.get("time")
                    .and_then(Value::as_i64)
                    .map(|s| Timestamp(s.saturating_mul(1_000_000_000)))
            });
        let excerpt = String::from_utf8_lossy(line).into_owned();
        let ev = Event {
            time,
            container_id: id.to_string(),
            container_name: attr("name").unwrap_or("").to_string(),
            exit_code: attr("exitCode").and_then(|s| s.parse().ok()),
            signal: attr("signal").and_then(|s| s.parse().ok()),
            action: action.to_string(),
            evidence: Evidence::new(path, Some(n as u64 + 1), excerpt),
            kind: kind.to_string(),
            attributes: Vec::new(),
        };
        let ev = Event { attributes, ..ev };
        if kind == "container" && is_kept(action) {
            out.events.push(ev);
        } else {
            out.others.push(ev);
        }
    }
    if bad > 0 {
        out.diagnostics.push(Diagnostic::warning(
            path,
            format!("{bad} line(s) are not JSON events and were skipped"),
        ));
    }
    out
}

/// podman's own JSON shape (`podman events --format json`): `Status` in
/// podman's words (`died`), `health_status` beside it, `ContainerExitCode`.
fn push_podman(out: &mut EventLog, path: &str, n: usize, line: &[u8], v: &Value) {
    let str_at = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
    let kind = str_at("Type");
    let mut action = match str_at("Status") {
        "died" => "die".to_string(),
        other => other.to_string(),
    };
    if action == "health_status" && !str_at("health_status").is_empty() {
        action = format!("health_status: {}", str_at("health_status"));
    }
    let mut attributes = string_pairs(v.get("Attributes"));
    if !str_at("Image").is_empty() {
        attributes.push(("image".to_string(), str_at("Image").to_string()));
    }
    let ev = Event {
        time: Timestamp::parse_rfc3339(str_at("Time")),
        container_id: str_at("ID").to_string(),
        container_name: str_at("Name").to_string(),
        exit_code: v.get("ContainerExitCode").and_then(Value::as_i64),
        signal: None,
        evidence: Evidence::new(path, Some(n as u64 + 1), String::from_utf8_lossy(line)),
        kind: kind.to_string(),
        attributes,
        action,
    };
    if kind == "container" && is_kept(&ev.action) {
        out.events.push(ev);
    } else {
        out.others.push(ev);
    }
}

pub(crate) fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// An event's attributes (`Actor.Attributes`, podman's `Attributes`) as
/// key/value strings; a non-string value keeps its JSON text.
fn string_pairs(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, x)| {
                (
                    k.clone(),
                    x.as_str().map_or_else(|| x.to_string(), str::to_string),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}
