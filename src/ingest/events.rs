//! `docker events --format '{{json .}}'` output: one JSON object per line.
//! Container lifecycle events (die, oom, kill, health_status, restart, stop,
//! start) are kept as evidence and timeline entries.

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
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventLog {
    pub path: String,
    pub events: Vec<Event>,
    pub diagnostics: Vec<Diagnostic>,
}

/// True when a JSON object is a docker event.
pub fn is_event(v: &Value) -> bool {
    v.get("Action").is_some()
        && v.get("Actor").is_some()
        && (v.get("timeNano").is_some() || v.get("time").is_some())
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
        if v.get("Type").and_then(Value::as_str) != Some("container") {
            continue;
        }
        let action = v
            .get("Action")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let verb = action.split(':').next().unwrap_or("").trim();
        if !KEPT.contains(&verb) {
            continue;
        }
        let attrs = v.pointer("/Actor/Attributes");
        let attr = |k: &str| attrs.and_then(|a| a.get(k)).and_then(Value::as_str);
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
        out.events.push(Event {
            time,
            container_id: v
                .pointer("/Actor/ID")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            container_name: attr("name").unwrap_or("").to_string(),
            exit_code: attr("exitCode").and_then(|s| s.parse().ok()),
            signal: attr("signal").and_then(|s| s.parse().ok()),
            action,
            evidence: Evidence::new(path, Some(n as u64 + 1), excerpt),
        });
    }
    if bad > 0 {
        out.diagnostics.push(Diagnostic::warning(
            path,
            format!("{bad} line(s) are not JSON events and were skipped"),
        ));
    }
    out
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
