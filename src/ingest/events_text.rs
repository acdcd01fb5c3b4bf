//! `docker events` in its default text format, as docker/cli's
//! `prettyPrintEvent` writes it (cli/command/system/events.go):
//!
//! ```text
//! 2026-12-01T18:16:20.169193143Z container kill <id> (image=bb:latest, name=x, signal=9)
//! ```
//!
//! `<time> <type> <action> <actor id>`, then the actor's attributes sorted by
//! key in parentheses when it has any. The action may hold spaces
//! (`exec_create: /bin/sh -c …`) and the actor id may be empty. The
//! pre-1.10 shape `<time> <id>: (from <image>) <action>` is read too.

use super::docker_logs::stamp_len;
use super::events::{self, Event, EventLog};
use crate::model::{Diagnostic, Evidence};
use crate::time::Timestamp;

/// Object types `docker events` reports.
const TYPES: &[&str] = &[
    "container",
    "image",
    "volume",
    "network",
    "daemon",
    "plugin",
    "node",
    "service",
    "secret",
    "config",
    "builder",
];

/// One event line, split.
#[derive(Debug, PartialEq)]
struct Line<'a> {
    time: &'a str,
    kind: &'a str,
    action: &'a str,
    id: &'a str,
    attrs: Vec<(&'a str, &'a str)>,
}

fn split(line: &str) -> Option<Line<'_>> {
    let n = stamp_len(line.as_bytes())?;
    let time = &line[..n];
    let rest = line[n..].strip_prefix(' ')?;
    if let Some(l) = split_old(time, rest) {
        return Some(l);
    }
    let (kind, rest) = rest.split_once(' ')?;
    if !TYPES.contains(&kind) {
        return None;
    }
    let (head, attrs) = match attrs_start(rest) {
        Some(p) => (&rest[..p], parse_attrs(&rest[p + 2..rest.len() - 1])),
        None => (rest, Vec::new()),
    };
    let (action, id) = match head.rsplit_once(' ') {
        Some((a, id)) if !a.trim().is_empty() => (a.trim_end(), id),
        _ => (head.trim(), ""),
    };
    if action.is_empty() {
        return None;
    }
    Some(Line {
        time,
        kind,
        action,
        id,
        attrs,
    })
}

/// Docker before 1.10: `<time> <id>: (from <image>) <action>`.
fn split_old<'a>(time: &'a str, rest: &'a str) -> Option<Line<'a>> {
    let (id, rest) = rest.split_once(": (from ")?;
    if id.is_empty() || id.contains(' ') {
        return None;
    }
    let (image, action) = rest.split_once(") ")?;
    if action.is_empty() || action.contains(' ') {
        return None;
    }
    Some(Line {
        time,
        kind: "container",
        action,
        id,
        attrs: vec![("image", image)],
    })
}

/// Where ` (key=…)` starts, the attribute block closing the line.
fn attrs_start(rest: &str) -> Option<usize> {
    if !rest.ends_with(')') {
        return None;
    }
    let b = rest.as_bytes();
    let key_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'/');
    rest.match_indices(" (").map(|(p, _)| p).find(|&p| {
        let k = &b[p + 2..];
        let n = k.iter().take_while(|&&c| key_char(c)).count();
        n > 0 && k.get(n) == Some(&b'=')
    })
}

/// `k=v, k=v`: keys are sorted and never hold `, `, values may.
fn parse_attrs(s: &str) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for part in s.split(", ") {
        match part.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains(' ') => out.push((k, v)),
            _ => {
                // A value holding ", ": glue it back to the previous one.
                if let Some(last) = out.last_mut() {
                    let start = last.1.as_ptr() as usize - s.as_ptr() as usize;
                    let end = part.as_ptr() as usize - s.as_ptr() as usize + part.len();
                    last.1 = &s[start..end];
                }
            }
        }
    }
    out
}

/// True when a line is a `docker events` text line.
pub fn is_event_line(line: &[u8]) -> bool {
    std::str::from_utf8(line).ok().and_then(split).is_some()
}

/// True when the first lines of `head` are `docker events` text lines.
pub fn looks_like_events_text(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let complete = match memchr::memrchr(b'\n', head) {
        Some(nl) => &head[..nl],
        None => head,
    };
    let mut n = 0;
    for line in complete.split(|&c| c == b'\n').take(20) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if !is_event_line(line) {
            return false;
        }
        n += 1;
    }
    n > 0
}

/// Parses the text form into the events model: kept container events in
/// `events`, everything else in `others`.
pub fn parse(path: &str, data: &[u8]) -> EventLog {
    let mut out = EventLog {
        path: path.to_string(),
        ..Default::default()
    };
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let text = String::from_utf8_lossy(data);
    let mut bad = 0u64;
    let mut first_bad = 0u64;
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let Some(l) = split(line) else {
            bad += 1;
            if first_bad == 0 {
                first_bad = i as u64 + 1;
            }
            continue;
        };
        let attr = |k: &str| l.attrs.iter().find(|(a, _)| *a == k).map(|(_, v)| *v);
        let ev = Event {
            time: Timestamp::parse_rfc3339(l.time),
            container_id: l.id.to_string(),
            container_name: attr("name").unwrap_or("").to_string(),
            action: l.action.to_string(),
            exit_code: attr("exitCode").and_then(|s| s.parse().ok()),
            signal: attr("signal").and_then(|s| s.parse().ok()),
            evidence: Evidence::new(path, Some(i as u64 + 1), line),
            kind: l.kind.to_string(),
            attributes: l
                .attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        if l.kind == "container" && events::is_kept(l.action) {
            out.events.push(ev);
        } else {
            out.others.push(ev);
        }
    }
    if bad > 0 {
        out.diagnostics.push(Diagnostic::warning(
            path,
            format!(
                "{bad} line(s) are not docker events text (first at line {first_bad}); skipped"
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_every_shape() {
        let l = split(
            "2026-12-01T18:16:20.169193143Z container kill abc (image=bb:latest, name=x, signal=9)",
        )
        .unwrap();
        assert_eq!((l.kind, l.action, l.id), ("container", "kill", "abc"));
        assert_eq!(
            l.attrs,
            vec![("image", "bb:latest"), ("name", "x"), ("signal", "9")]
        );
        let l = split("2026-12-01T18:40:21.121834543Z container exec_create: /bin/sh -c wget -qO- http://127.0.0.1:80/health || exit 1 c72f (execID=b8, image=papi:1.4, name=papi)").unwrap();
        assert_eq!(
            l.action,
            "exec_create: /bin/sh -c wget -qO- http://127.0.0.1:80/health || exit 1"
        );
        assert_eq!(l.id, "c72f");
        let l = split("2026-12-01T18:40:21.121834543Z image prune  (reclaimed=0)").unwrap();
        assert_eq!((l.kind, l.action, l.id), ("image", "prune", ""));
        let l = split("2026-12-01T18:40:21.121834543Z network connect 0f0e (container=abc, name=bridge, type=bridge)").unwrap();
        assert_eq!((l.kind, l.action), ("network", "connect"));
        let l = split("2026-12-01T18:40:21.121834543Z container health_status: unhealthy 9d36 (image=pweb:2.3, name=pweb)").unwrap();
        assert_eq!(l.action, "health_status: unhealthy");
        let l = split("2015-05-12T11:51:30.999999999Z 4386fb97867d: (from ubuntu-1:14.04) start")
            .unwrap();
        assert_eq!(
            (l.kind, l.action, l.id),
            ("container", "start", "4386fb97867d")
        );
        assert_eq!(
            split("2026-12-01T18:23:14.156391936Z native module loaded"),
            None
        );
        let l = split(
            "2026-12-01T18:40:21.121834543Z container die abc (exitCode=1, image=x, name=a, b)",
        )
        .unwrap();
        assert_eq!(l.attrs[2], ("name", "a, b"));
    }
}
