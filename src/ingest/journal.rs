//! dockerd's own log as `journalctl -u docker` prints it (the `short`,
//! `short-iso` and `short-precise` formats; sos keeps it under
//! `sos_commands/docker/` or `sos_commands/logs/`): one
//! `<stamp> <host> dockerd[PID]: <logrus line>` per line. Recognised by
//! content, never by name.
//!
//! Only the lines that explain a container's fate are kept, each typed
//! (`DaemonKind`): forced stops (`Container failed to exit within Ns of
//! signal 15 - using the force`), health-check errors, restart errors, OCI
//! runtime and `failed to create task` errors, pull errors, port allocation
//! errors. The time is dockerd's own `time="…"` field (RFC 3339, zone
//! included) when present; the journal's stamp otherwise only when it
//! carries its zone (`short-iso`). Memory is bounded: at most
//! `MAX_KEPT` lines are kept, the rest are counted.

use crate::model::{Diagnostic, Evidence};
use crate::time::Timestamp;

/// Lines kept per file; the rest are counted in `dropped`.
const MAX_KEPT: usize = 2000;

/// What a daemon line says about a container or image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DaemonKind {
    /// `Container failed to exit within 2s of signal 15 - using the force`.
    ForcedStop,
    /// `Health check for container <id> error: …`.
    HealthCheck,
    /// Restart manager errors (`failed to restart`, `restart canceled`, …).
    Restart,
    /// `failed to create task`, `OCI runtime … failed`, shim errors.
    Runtime,
    /// Registry and pull errors (`toomanyrequests`, `manifest unknown`, …).
    Pull,
    /// `port is already allocated`, `address already in use`.
    PortConflict,
    /// `exec format error` reported by the runtime.
    ExecFormat,
}

impl DaemonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DaemonKind::ForcedStop => "forced stop",
            DaemonKind::HealthCheck => "health check error",
            DaemonKind::Restart => "restart error",
            DaemonKind::Runtime => "runtime error",
            DaemonKind::Pull => "pull error",
            DaemonKind::PortConflict => "port conflict",
            DaemonKind::ExecFormat => "exec format error",
        }
    }
}

/// One kept line of dockerd's log.
#[derive(Clone, Debug, PartialEq)]
pub struct DaemonLine {
    pub kind: DaemonKind,
    pub time: Option<Timestamp>,
    /// logrus `level=` (`info`, `warning`, `error`, …), empty when absent.
    pub level: String,
    /// The `msg=` value, unquoted; the whole message when not logrus.
    pub msg: String,
    /// A full 64-hex container id named by the line (`container=`, `id=`,
    /// `/containers/<id>/`, `for container <id>`), lowercase.
    pub container_id: Option<String>,
    /// The endpoint name in `… on endpoint NAME (…)`: the container's name.
    pub endpoint: Option<String>,
    /// Seconds in `failed to exit within Ns`.
    pub stop_secs: Option<u64>,
    pub evidence: Evidence,
}

/// dockerd's journal, read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DaemonLog {
    pub path: String,
    /// Journal lines from dockerd (or containerd) in the file.
    pub daemon_lines: u64,
    pub lines: Vec<DaemonLine>,
    /// Typed lines beyond `MAX_KEPT`, counted only.
    pub dropped: u64,
    pub diagnostics: Vec<Diagnostic>,
}

const PROCS: &[&str] = &["dockerd", "docker", "dockerd-current", "containerd"];

/// The message after `<stamp> <host> <proc>[pid]: ` when the line is a
/// journal line of a Docker daemon process.
fn journal_message(line: &str) -> Option<&str> {
    let rest = strip_stamp(line)?;
    let (_host, rest) = rest.split_once(' ')?;
    let (ident, msg) = rest.split_once(": ")?;
    let name = match ident.split_once('[') {
        Some((n, pid)) => {
            let pid = pid.strip_suffix(']')?;
            if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            n
        }
        None => ident,
    };
    PROCS.contains(&name).then_some(msg)
}

/// Strips the journal stamp: `Dec 01 21:43:14[.332206] ` or
/// `2026-12-01T21:43:14+0000 ` (short-iso, also with `:` in the zone).
fn strip_stamp(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    if b.len() > 16 && b[..3].iter().all(|c| c.is_ascii_alphabetic()) && b[3] == b' ' {
        crate::time::month_from_abbrev(&line[..3])?;
        let rest = line[4..].trim_start();
        let (day, rest) = rest.split_once(' ')?;
        if day.is_empty() || day.len() > 2 || !day.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (hms, rest) = rest.split_once(' ')?;
        let hb = hms.as_bytes();
        let ok = hb.len() >= 8
            && hb[2] == b':'
            && hb[5] == b':'
            && hb[..8]
                .iter()
                .enumerate()
                .all(|(i, c)| i == 2 || i == 5 || c.is_ascii_digit())
            && (hb.len() == 8 || (hb[8] == b'.' && hb[9..].iter().all(|c| c.is_ascii_digit())));
        return ok.then_some(rest);
    }
    if b.len() > 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' {
        let (stamp, rest) = line.split_once(' ')?;
        iso_stamp(stamp)?;
        return Some(rest);
    }
    None
}

/// `2026-12-01T21:43:14+0000` (journalctl short-iso) as an instant.
fn iso_stamp(s: &str) -> Option<Timestamp> {
    let (dt, zone) = (s.get(..19)?, s.get(19..)?);
    if zone.len() < 5 {
        return None;
    }
    let zone = zone.replace(':', "");
    let fixed = format!("{dt}{}:{}", &zone.get(..3)?, &zone.get(3..5)?);
    Timestamp::parse_rfc3339(&fixed)
}

/// True when most of the first lines are a Docker daemon's journal lines.
pub fn looks_like_journal(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(16 * 1024)]);
    let mut yes = 0;
    let mut no = 0;
    let mut notes = 0;
    for l in text.lines().take(40) {
        let l = l.trim_end_matches('\r');
        if l.trim().is_empty() {
            continue;
        }
        // journalctl's own notes: `-- No entries --`, `-- Logs begin at …`,
        // and `No journal files were found.` (what sos keeps on a host
        // without a journal).
        if l.starts_with("-- ") || l == "No journal files were found." {
            notes += 1;
            continue;
        }
        if journal_message(l).is_some() {
            yes += 1;
        } else {
            no += 1;
        }
    }
    (yes >= 1 && yes >= 2 * no)
        || (yes == 0 && no == 0 && notes > 0 && text.contains("-- No entries --"))
}

/// The value of a logrus `key=value` or `key="quoted value"` field.
fn field(msg: &str, key: &str) -> Option<String> {
    let mut from = 0;
    while let Some(p) = msg[from..].find(key) {
        let at = from + p;
        let before_ok = at == 0 || msg.as_bytes()[at - 1] == b' ';
        let after = &msg[at + key.len()..];
        if before_ok && after.starts_with('=') {
            let v = &after[1..];
            if let Some(q) = v.strip_prefix('"') {
                let mut out = String::new();
                let mut esc = false;
                for ch in q.chars() {
                    if esc {
                        out.push(match ch {
                            'n' => '\n',
                            't' => '\t',
                            c => c,
                        });
                        esc = false;
                    } else if ch == '\\' {
                        esc = true;
                    } else if ch == '"' {
                        return Some(out);
                    } else {
                        out.push(ch);
                    }
                }
                return Some(out);
            }
            return Some(v.split(' ').next().unwrap_or("").to_string());
        }
        from = at + key.len();
    }
    None
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A 64-hex id anywhere in `s` after one of the markers.
fn id_after(s: &str, markers: &[&str]) -> Option<String> {
    for m in markers {
        let mut from = 0;
        while let Some(p) = s[from..].find(m) {
            let at = from + p + m.len();
            if let Some(id) = s.get(at..at + 64) {
                if is_hex64(id) {
                    return Some(id.to_ascii_lowercase());
                }
            }
            from = at;
        }
    }
    None
}

fn classify(msg: &str) -> Option<DaemonKind> {
    let l = msg.to_ascii_lowercase();
    if l.contains("failed to exit within") && l.contains("using the force") {
        return Some(DaemonKind::ForcedStop);
    }
    if l.contains("port is already allocated") || l.contains("address already in use") {
        return Some(DaemonKind::PortConflict);
    }
    if l.contains("exec format error") {
        return Some(DaemonKind::ExecFormat);
    }
    if l.contains("health check for container") {
        return Some(DaemonKind::HealthCheck);
    }
    if l.contains("toomanyrequests")
        || l.contains("manifest unknown")
        || l.contains("no matching manifest")
        || l.contains("pull access denied")
        || l.contains("unauthorized: ")
        || l.contains("/images/create returned error")
        || l.contains("error pulling image")
        || l.contains("not found: manifest")
    {
        return Some(DaemonKind::Pull);
    }
    if l.contains("failed to create task")
        || l.contains("oci runtime")
        || l.contains("failed to create shim")
        || l.contains("runc create failed")
    {
        return Some(DaemonKind::Runtime);
    }
    if l.contains("restart") && (l.contains("fail") || l.contains("error") || l.contains("cancel"))
    {
        return Some(DaemonKind::Restart);
    }
    None
}

/// Reads a journal text. Untrusted input: never panics.
pub fn parse(path: &str, data: &[u8]) -> DaemonLog {
    let text = String::from_utf8_lossy(data);
    let mut out = DaemonLog {
        path: path.to_string(),
        ..Default::default()
    };
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        let Some(msg) = journal_message(raw) else {
            continue;
        };
        out.daemon_lines += 1;
        let body = field(msg, "msg").unwrap_or_else(|| msg.to_string());
        let full = match field(msg, "error") {
            Some(e) if !body.contains(&e) => format!("{body}: {e}"),
            _ => body.clone(),
        };
        let Some(kind) = classify(&full) else {
            continue;
        };
        if out.lines.len() >= MAX_KEPT {
            out.dropped += 1;
            continue;
        }
        let time = field(msg, "time")
            .and_then(|t| Timestamp::parse_rfc3339(&t))
            .or_else(|| raw.split(' ').next().and_then(iso_stamp));
        let container_id = field(msg, "container")
            .filter(|v| is_hex64(v))
            .or_else(|| field(msg, "id").filter(|v| is_hex64(v)))
            .map(|v| v.to_ascii_lowercase())
            .or_else(|| id_after(&full, &["/containers/", "for container ", "container "]))
            .or_else(|| {
                // `<id> cleanup: …`, `<id> …`: a message that starts with the id.
                full.get(..64)
                    .filter(|s| is_hex64(s))
                    .map(|s| s.to_ascii_lowercase())
            });
        let endpoint = full.split_once(" on endpoint ").and_then(|(_, r)| {
            let n = r.split([' ', '(']).next().unwrap_or("");
            (!n.is_empty()).then(|| n.to_string())
        });
        let stop_secs = full
            .split_once("within ")
            .and_then(|(_, r)| r.split_once("s of signal"))
            .and_then(|(n, _)| n.trim().parse().ok());
        out.lines.push(DaemonLine {
            kind,
            time,
            level: field(msg, "level").unwrap_or_default(),
            msg: full,
            container_id,
            endpoint,
            stop_secs,
            evidence: Evidence::new(path, Some(i as u64 + 1), raw),
        });
    }
    if out.dropped > 0 {
        out.diagnostics.push(Diagnostic::warning(
            path,
            format!(
                "dockerd journal: kept the first {MAX_KEPT} daemon lines of interest, {} more were counted only",
                out.dropped
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORT: &str = "-- Logs begin at Dec 01 21:43:14, end at Dec 01 21:43:41. --\n\
Dec 01 21:43:36 capturehost dockerd[19411]: time=\"2026-12-01T21:43:36.723343267Z\" level=info msg=\"Container failed to exit within 2s of signal 15 - using the force\" container=4f312b5f3de3261edcbf9b7c1af347aab67fd00f1d728db2a5dc9f30743de940\n\
Dec 01 21:43:14 capturehost dockerd[19411]: time=\"2026-12-01T21:43:14.244304115Z\" level=info msg=\"Starting up\"\n";

    #[test]
    fn reads_forced_stop_with_its_container_and_time() {
        assert!(looks_like_journal(SHORT.as_bytes()));
        let j = parse("j", SHORT.as_bytes());
        assert_eq!(j.daemon_lines, 2);
        assert_eq!(j.lines.len(), 1);
        let l = &j.lines[0];
        assert_eq!(l.kind, DaemonKind::ForcedStop);
        assert_eq!(l.stop_secs, Some(2));
        assert_eq!(l.level, "info");
        assert_eq!(
            l.container_id.as_deref(),
            Some("4f312b5f3de3261edcbf9b7c1af347aab67fd00f1d728db2a5dc9f30743de940")
        );
        assert_eq!(
            l.time.map(|t| t.to_string()).as_deref(),
            Some("2026-12-01T21:43:36.723343267Z")
        );
        assert_eq!(l.evidence.line, Some(2));
    }

    #[test]
    fn refuses_kernel_syslog_and_other_daemons() {
        assert!(!looks_like_journal(
            b"Dec 01 21:43:14 host kernel: [  1.0] eth0: link up\nDec 01 21:43:15 host kernel: x\n"
        ));
        assert!(!looks_like_journal(
            b"Dec 01 21:43:14 host sshd[12]: Accepted key\n"
        ));
        assert!(!looks_like_journal(b"hello\nworld\n"));
        assert!(!looks_like_journal(
            "Dec 01 21:43:14 h dockerd[1x]: y\n".as_bytes()
        ));
    }

    #[test]
    fn short_iso_stamp_gives_the_time_without_a_logrus_field() {
        let t = "2026-12-01T21:43:36+0000 h dockerd[7]: Error response from daemon: toomanyrequests: You have reached your pull rate limit\n";
        let j = parse("j", t.as_bytes());
        assert_eq!(j.lines[0].kind, DaemonKind::Pull);
        assert_eq!(
            j.lines[0].time.map(|t| t.to_string()).as_deref(),
            Some("2026-12-01T21:43:36Z")
        );
    }

    #[test]
    fn an_empty_journal_is_a_journal() {
        // sos's `journalctl_--no-pager_--unit_docker` on a host without a journal.
        let t = b"No journal files were found.\n-- No entries --\n";
        assert!(looks_like_journal(t));
        assert_eq!(parse("j", t).daemon_lines, 0);
        assert!(!looks_like_journal(b"-- not a journal\n"));
    }

    #[test]
    fn hostile_lines_do_not_panic() {
        for t in [
            "Dec 01 21:43:14 h dockerd[1]: msg=\"\\",
            "Dec 01 21:43:14 h dockerd[1]: time=\"x\" msg=\"failed to exit within xs of signal using the force",
            "2026-12-01T21:43:36+00 h dockerd[7]: a",
            "Dec 01 21:43:14 h dockerd[1]: on endpoint ",
            "Dec 01 21:43:14 h dockerd[1]: /containers/é",
        ] {
            let _ = parse("j", t.as_bytes());
            let _ = looks_like_journal(t.as_bytes());
        }
    }
}
