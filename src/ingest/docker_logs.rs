//! `docker logs` text output, as sos (`docker_logs_-t_<short id>`) and users
//! save it: one logical line per physical line, stdout and stderr merged, with
//! (`-t`) or without an `RFC3339NanoFixed␠` stamp at the start of each line
//! (docker/cli writes `2006-01-02T15:04:05.000000000Z07:00`, nine digits).
//!
//! The stream of each line is lost, so it is unknown, not stdout: lines are
//! scanned as stdout lines by the json-file scanner's text entry point
//! (`json_log::Chunked::text`, with this module's line grammar), where they
//! lie, so every log rule runs on them unchanged, and
//! [`DockerLogs::stream_known`] is false so no stderr count is claimed.
//!
//! A large file is read through windows of mappings like
//! `json_log::parse_file`, so memory does not grow with its size.

use std::io;

use super::inspect::Container;
use super::json_log::{self, LogFile, Stream, TextGrammar, TextLine};
use crate::model::Limits;

/// A `docker logs` text file, summarised.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DockerLogs {
    /// The summary, from the same scanner as json-file logs. Every line is
    /// counted as stdout there: `stderr_lines` is 0 because it is unknown.
    pub log: LogFile,
    /// Always false for `docker logs` text: stdout and stderr are merged.
    pub stream_known: bool,
    /// Lines carried a `-t` stamp.
    pub stamped: bool,
    /// Which container the path names.
    pub target: Target,
    /// The daemon's refusal instead of logs (`--log-driver none`, a
    /// removed container): the message, with no lines.
    pub daemon_error: Option<String>,
}

/// A container as a log file's path names it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// 12 to 64 lowercase hex digits.
    pub id: Option<String>,
    pub name: Option<String>,
}

/// How a head of text reads as `docker logs` output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Every line starts with a `-t` stamp.
    Stamped,
    /// No stamps; recognised only with a `docker logs` file name.
    Plain,
    /// `Error response from daemon: …`.
    DaemonError,
}

const DAEMON_ERROR: &[u8] = b"Error response from daemon: ";

/// Length of a `-t` stamp at the start of `line`, without the space after it:
/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn` then `Z` or `±hh:mm`.
pub fn stamp_len(line: &[u8]) -> Option<usize> {
    // `0` stands for a digit; every other byte must be itself. One pass
    // over a fixed array: this runs once per line of multi-GB files.
    const SHAPE: &[u8; 29] = b"0000-00-00T00:00:00.000000000";
    let head: &[u8; 30] = line.get(..30)?.try_into().ok()?;
    let mut ok = true;
    for (&c, &s) in head[..29].iter().zip(SHAPE) {
        ok &= if s == b'0' {
            c.is_ascii_digit()
        } else {
            c == s
        };
    }
    if !ok {
        return None;
    }
    let d = |i: usize| line[i].is_ascii_digit();
    match head[29] {
        b'Z' => Some(30),
        b'+' | b'-'
            if line.len() >= 35 && line[32] == b':' && [30, 31, 33, 34].iter().all(|&i| d(i)) =>
        {
            Some(35)
        }
        _ => None,
    }
}

/// The text after a line's stamp (and its one separating space).
fn after_stamp(line: &[u8], n: usize) -> Option<&[u8]> {
    match line.get(n) {
        None => Some(&[]),
        Some(b' ') => Some(&line[n + 1..]),
        _ => None,
    }
}

/// True when a file name says `docker logs` wrote it (a hint, never enough
/// for stamped content, needed for plain text).
pub fn name_hint(path: &str) -> bool {
    let base = basename(path).to_ascii_lowercase();
    [
        "docker_logs",
        "docker-logs",
        "docker logs",
        "podman_logs",
        "podman-logs",
    ]
    .iter()
    .any(|p| base.starts_with(p))
}

/// Identifies `docker logs` output from the first bytes of a file. Lines
/// that a kernel or syslog reader would claim (`<host> kernel: …` after the
/// stamp) and `docker events` lines are refused.
pub fn identify(path: &str, head: &[u8]) -> Option<Shape> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.iter().position(|c| !c.is_ascii_whitespace())?;
    let body = &head[first..];
    if body.starts_with(DAEMON_ERROR) && body.len() < 4096 {
        return Some(Shape::DaemonError);
    }
    let complete = match memchr::memrchr(b'\n', body) {
        Some(nl) => &body[..nl],
        None if head.len() < 64 * 1024 => body,
        None => return None,
    };
    let mut n = 0;
    for line in complete.split(|&c| c == b'\n').take(50) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let rest = stamp_len(line).and_then(|s| after_stamp(line, s));
        match rest {
            Some(r) if !kernel_like(r) && !super::events_text::is_event_line(line) => n += 1,
            _ => {
                n = 0;
                break;
            }
        }
    }
    if n > 0 {
        return Some(Shape::Stamped);
    }
    if name_hint(path)
        && !body.starts_with(b"{")
        && std::str::from_utf8(&body[..body.len().min(4096)]).is_ok()
    {
        return Some(Shape::Plain);
    }
    None
}

/// `<host> kernel: …` or `<host> systemd[1]: …`: a syslog line with
/// Docker-shaped stamps.
fn kernel_like(rest: &[u8]) -> bool {
    let mut words = rest.splitn(3, |&c| c == b' ');
    let (_host, tag) = (words.next(), words.next());
    tag.is_some_and(|t| t == b"kernel:" || (t.ends_with(b"]:") && t.contains(&b'[')))
}

/// A line of `docker logs -t` output: its stamp as the time (a line
/// without one is text with no time), or nothing for an empty line, which
/// is not a logical line (each has its stamp) but keeps its number.
fn stamped_line(line: &[u8]) -> TextLine<'_> {
    if line.is_empty() {
        return TextLine::Skip;
    }
    let (time, text) = split_stamp(line);
    TextLine::Record {
        time,
        text,
        stream: Stream::Stdout,
        ends_nl: true,
    }
}

/// A line's `-t` stamp and its text after the one separating space; a line
/// without a stamp is all text, with an empty time.
pub(crate) fn split_stamp(line: &[u8]) -> (&[u8], &[u8]) {
    match stamp_len(line).and_then(|n| Some((n, after_stamp(line, n)?))) {
        Some((n, rest)) => (&line[..n], rest),
        None => (&[], line),
    }
}

/// A line of `docker logs` output without stamps: all text.
fn plain_line(line: &[u8]) -> TextLine<'_> {
    TextLine::Record {
        time: &[],
        text: line,
        stream: Stream::Stdout,
        ends_nl: true,
    }
}

fn grammar(shape: Shape) -> &'static TextGrammar {
    if shape == Shape::Stamped {
        &stamped_line
    } else {
        &plain_line
    }
}

fn finish(path: &str, shape: Shape, log: LogFile) -> DockerLogs {
    let mut log = log;
    // A `docker logs` file has no rotation and no json-file name.
    log.container_id = None;
    log.rotation = 0;
    log.records = log.lines;
    DockerLogs {
        log,
        stream_known: false,
        stamped: shape == Shape::Stamped,
        target: target_of(path),
        daemon_error: None,
    }
}

fn daemon_error(path: &str, data: &[u8]) -> DockerLogs {
    let text = String::from_utf8_lossy(data);
    let msg = text.trim().lines().next().unwrap_or("").to_string();
    DockerLogs {
        log: LogFile {
            path: path.to_string(),
            ..Default::default()
        },
        stream_known: false,
        stamped: false,
        target: target_of(path),
        daemon_error: Some(msg),
    }
}

/// Parses `docker logs` output held in memory (or mapped).
pub fn parse(path: &str, data: &[u8], shape: Shape, limits: &Limits) -> DockerLogs {
    if shape == Shape::DaemonError {
        return daemon_error(path, data);
    }
    let mut parser = json_log::Chunked::text(path, limits, grammar(shape));
    parser.push(data);
    finish(path, shape, parser.finish())
}

/// Parses `docker logs` output from a file through read-only mappings of
/// about `chunk` bytes, each scanned in parallel batches and
/// dropped: resident memory stays a few windows whatever the file size.
pub fn parse_file(
    path: &str,
    file: &std::fs::File,
    shape: Shape,
    limits: &Limits,
    chunk: usize,
    progress: &mut dyn FnMut(u64),
) -> io::Result<DockerLogs> {
    let len = file.metadata()?.len();
    if shape == Shape::DaemonError {
        // SAFETY: read-only mapping of a collected artifact (see
        // `ingest::ingest_file`); the daemon's message is a few bytes.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .len(len.min(4096) as usize)
                .map(file)?
        };
        return Ok(daemon_error(path, &map));
    }
    let parser = json_log::parse_text(path, file, len, limits, chunk, progress, grammar(shape))?;
    Ok(finish(path, shape, parser.finish()))
}

fn basename(path: &str) -> &str {
    path.rsplit(['/', '\\', '!'])
        .find(|p| !p.is_empty())
        .unwrap_or(path)
}

fn is_hex_id(s: &str) -> bool {
    (12..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The container a `docker logs` file's path names: `docker_logs_-t_<id>`
/// (sos), `docker_logs_<name>` (older sos), `<name>.log`, or a 64-hex id
/// among its folders.
pub fn target_of(path: &str) -> Target {
    let base = basename(path);
    let mut stem = base;
    for p in [
        "docker_logs_--timestamps_",
        "docker_logs_-t_",
        "podman_logs_-t_",
        "podman_logs_",
        "docker_logs_",
        "docker-logs-",
        "docker-logs_",
        "docker-logs.",
        "docker_logs.",
    ] {
        if let Some(s) = stem.strip_prefix(p) {
            stem = s;
            break;
        }
    }
    for ext in [".log", ".txt", ".out"] {
        if let Some(s) = stem.strip_suffix(ext) {
            stem = s;
            break;
        }
    }
    let mut t = Target::default();
    let is_name = |s: &str| {
        !s.is_empty()
            && s.len() <= 255
            && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            && !matches!(
                s,
                "docker_logs" | "docker-logs" | "logs" | "log" | "stdout" | "output"
            )
    };
    if is_hex_id(stem) {
        t.id = Some(stem.to_ascii_lowercase());
    } else if is_name(stem) {
        t.name = Some(stem.to_string());
    }
    if t.id.is_none() {
        t.id = path
            .split(['/', '\\', '!'])
            .rev()
            .skip(1)
            .find(|p| p.len() == 64 && is_hex_id(p))
            .map(str::to_ascii_lowercase);
    }
    t
}

/// The id of the container `d` belongs to: its id (or a 12+ hex prefix of
/// it) or its name in the path, else the one container whose inspect file
/// sits in the same folder.
pub fn resolve<'c>(d: &DockerLogs, containers: &[&'c Container]) -> Option<&'c Container> {
    if let Some(id) = &d.target.id {
        let hits: Vec<&&Container> = containers
            .iter()
            .filter(|c| !c.id.is_empty() && c.id.to_ascii_lowercase().starts_with(id.as_str()))
            .collect();
        if let [c] = hits.as_slice() {
            return Some(c);
        }
    }
    if let Some(name) = &d.target.name {
        if let Some(c) = containers.iter().find(|c| &c.name == name) {
            return Some(c);
        }
    }
    if d.target.id.is_some() {
        return None;
    }
    let dir = |p: &str| p.rfind(['/', '\\']).map(|i| p[..i].to_string());
    let here = dir(&d.log.path)?;
    let beside: Vec<&&Container> = containers
        .iter()
        .filter(|c| {
            c.sources
                .iter()
                .any(|s| dir(s).as_deref() == Some(here.as_str()))
        })
        .collect();
    match beside.as_slice() {
        [c] => Some(c),
        _ => None,
    }
}

/// Turns `docker logs` files into json-file summaries keyed by the id of
/// the container they belong to, for the correlator's log join. A file for
/// a container that has json-file logs too is dropped (the same lines,
/// with their streams); a daemon refusal carries no lines and is dropped.
/// Unresolved files keep `container_id: None` and become orphans.
pub fn into_logs(
    docker: Vec<DockerLogs>,
    containers: &[&Container],
    json_logs: &[LogFile],
) -> Vec<LogFile> {
    let mut out = Vec::new();
    for d in docker {
        if d.daemon_error.is_some() {
            continue;
        }
        let id = resolve(&d, containers).map(|c| c.id.clone());
        let has_json = id.as_ref().is_some_and(|id| {
            json_logs
                .iter()
                .any(|l| l.container_id.as_ref() == Some(id))
        });
        if has_json {
            continue;
        }
        let mut log = d.log;
        log.container_id = id.or(d.target.id);
        log.stream_unknown = !d.stream_known;
        out.push(log);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps() {
        assert_eq!(
            stamp_len(b"2026-12-01T18:23:14.156391936Z native"),
            Some(30)
        );
        assert_eq!(
            stamp_len(b"2026-12-01T18:23:14.156391936+01:00 x"),
            Some(35)
        );
        assert_eq!(
            stamp_len(b"2026-12-01T18:23:14.156391Z native module"),
            None
        );
        assert_eq!(
            stamp_len(b"2026-11-29T03:20:22,710353+00:00 host kernel"),
            None
        );
    }

    #[test]
    fn identifies_by_content_not_name() {
        let t = b"2026-12-01T18:23:14.156391936Z native module loaded\n2026-12-01T18:23:15.000000000Z \n";
        assert_eq!(identify("x/anything", t), Some(Shape::Stamped));
        assert_eq!(identify("x/anything", b"hello\nworld\n"), None);
        assert_eq!(
            identify("x/docker_logs_web", b"hello\nworld\n"),
            Some(Shape::Plain)
        );
        let ev = b"2026-12-01T18:16:20.169193143Z container kill abc (image=bb:latest, name=x, signal=9)\n";
        assert_eq!(identify("x/ev", ev), None);
        let sys = b"2026-12-01T18:16:20.169193143Z vm kernel: Out of memory\n";
        assert_eq!(identify("x", sys), None);
        assert_eq!(
            identify(
                "x",
                b"Error response from daemon: configured logging driver does not support reading\n"
            ),
            Some(Shape::DaemonError)
        );
    }

    #[test]
    fn escapes_and_keeps_line_numbers() {
        let t = "2026-12-01T18:23:14.156391936Z say \"hi\"\\ \t\u{1b}[31m\n\n2026-12-01T18:23:15.000000000Z panic: boom\n";
        let d = parse(
            "docker_logs_-t_0123456789ab",
            t.as_bytes(),
            Shape::Stamped,
            &Limits::default(),
        );
        assert_eq!(d.log.lines, 2);
        assert_eq!(d.log.tail[0].evidence.excerpt, "say \"hi\"\\ \t\u{1b}[31m");
        assert_eq!(d.log.tail[1].evidence.line, Some(3));
        assert_eq!(d.log.signatures.len(), 1);
        assert_eq!(d.target.id.as_deref(), Some("0123456789ab"));
        assert!(!d.stream_known);
    }

    #[test]
    fn targets() {
        assert_eq!(
            target_of("s/docker_logs_pweb").name.as_deref(),
            Some("pweb")
        );
        assert_eq!(
            target_of("s/worker-app.log").name.as_deref(),
            Some("worker-app")
        );
        let id = "a".repeat(64);
        assert_eq!(target_of(&format!("c/{id}/docker_logs")).id, Some(id));
    }
}
