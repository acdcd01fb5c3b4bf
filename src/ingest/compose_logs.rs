//! `docker compose logs` (v2) and `docker-compose logs` (v1) output: the
//! logs of every container of a project interleaved, each line behind its
//! container's prefix, padded to the longest name, then `| `
//! (docker/compose `cmd/formatter/logs.go`: `fmt.Sprintf("%-*s | ", width,
//! name)`, coloured unless `--no-color`). v2 names a container
//! `<service>-<number>`, v1 `<service>_<number>`, either its
//! `container_name` when the project sets one. With `-t` the daemon's
//! `RFC3339NanoFixed` stamp starts each message.
//!
//! The file is split per prefix; each part's messages (behind a `|` mark)
//! are scanned by the json-file scanner's text entry point
//! (`json_log::Chunked::text`, as `docker logs` text is), with a blank line
//! standing for every line of another container, so evidence line numbers
//! stay those of the file. Compose writes stdout and stderr through
//! one writer, so the stream is unknown. Colour codes are stripped. Parts
//! are attached to containers through the Compose labels of their inspect
//! output (`com.docker.compose.service`, `…container-number`, `…project`).

use super::docker_logs::split_stamp;
use super::inspect::Container;
use super::json_log::{self, LogFile, Stream, TextLine};
use crate::model::{Diagnostic, Limits};

/// One container's lines from a Compose log file.
#[derive(Debug)]
pub struct Part {
    /// The prefix as Compose printed it (`api-1`, `api_1`, a container name).
    pub prefix: String,
    pub log: LogFile,
}

/// A Compose log file, split per container.
#[derive(Debug, Default)]
pub struct ComposeLogs {
    pub path: String,
    /// Messages carried a `-t` stamp.
    pub stamped: bool,
    pub parts: Vec<Part>,
    pub diagnostics: Vec<Diagnostic>,
}

/// At most this many distinct prefixes are kept per file; lines of others
/// are counted in a diagnostic.
const MAX_PARTS: usize = 256;

/// Removes ANSI escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL`,
/// and two-byte `ESC x`) from `line` into `out`.
pub fn strip_ansi(line: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < line.len() {
        let c = line[i];
        if c != 0x1b {
            match memchr::memchr(0x1b, &line[i..]) {
                Some(n) => {
                    out.extend_from_slice(&line[i..i + n]);
                    i += n;
                }
                None => {
                    out.extend_from_slice(&line[i..]);
                    break;
                }
            }
            continue;
        }
        match line.get(i + 1) {
            Some(b'[') => {
                let mut j = i + 2;
                while j < line.len() && !(0x40..=0x7e).contains(&line[j]) {
                    j += 1;
                }
                i = j + 1;
            }
            Some(b']') => {
                let mut j = i + 2;
                while j < line.len() && line[j] != 0x07 && line[j] != 0x1b {
                    j += 1;
                }
                i = if line.get(j) == Some(&0x1b) {
                    j + 2
                } else {
                    j + 1
                };
            }
            Some(_) => i += 2,
            None => i += 1,
        }
    }
}

/// A line's prefix: the name, the column of its `|`, and the message after
/// `| `. The name is a Compose container name (`[A-Za-z0-9][A-Za-z0-9_.-]*`)
/// followed by at least one space of padding.
pub fn split_prefix(line: &[u8]) -> Option<(&[u8], usize, &[u8])> {
    let name_end = line
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')))?;
    if name_end == 0 || !line[0].is_ascii_alphanumeric() || line[name_end] != b' ' {
        return None;
    }
    let pad = line[name_end..].iter().take_while(|&&c| c == b' ').count();
    let bar = name_end + pad;
    if line.get(bar) != Some(&b'|') {
        return None;
    }
    let rest = match line.get(bar + 1) {
        None => &[][..],
        Some(b' ') => &line[bar + 2..],
        Some(_) => return None,
    };
    Some((&line[..name_end], bar, rest))
}

/// `api-1`, `api_1`: a Compose default name's number suffix.
fn numbered(name: &[u8]) -> bool {
    let digits = name.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && name.len() > digits + 1 && matches!(name[name.len() - digits - 1], b'-' | b'_')
}

/// Compose's own lines between the logs (`Attaching to …`, v2's
/// `api-1 exited with code 1`): no prefix, and not evidence of another format.
fn is_status_line(line: &[u8]) -> bool {
    line.starts_with(b"Attaching to ")
        || memchr::memmem::find(line, b" exited with code ").is_some()
        || line.starts_with(b"Gracefully stopping")
}

/// True when the first whole lines of `head` (up to 50, colour stripped)
/// are Compose log lines: all prefixed at one `|` column (Compose pads every
/// name to the longest), at least one name numbered like Compose's default
/// names; Compose's status lines are allowed between them.
pub fn looks_like_compose_logs(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let complete = match memchr::memrchr(b'\n', head) {
        Some(nl) => &head[..nl],
        None if head.len() < 64 * 1024 => head,
        None => return false,
    };
    let mut clean = Vec::new();
    let mut col = None;
    let mut any_numbered = false;
    let mut n = 0;
    for line in complete.split(|&c| c == b'\n').take(50) {
        strip_ansi(line.strip_suffix(b"\r").unwrap_or(line), &mut clean);
        if clean.iter().all(u8::is_ascii_whitespace) || is_status_line(&clean) {
            continue;
        }
        let Some((name, bar, _)) = split_prefix(&clean) else {
            return false;
        };
        if *col.get_or_insert(bar) != bar {
            return false;
        }
        any_numbered |= numbered(name);
        n += 1;
    }
    n > 0 && any_numbered
}

struct Open<'p> {
    prefix: String,
    parser: json_log::Chunked<'p>,
    buf: Vec<u8>,
    /// Lines of the file not yet written to `buf` (other containers' lines).
    behind: u64,
}

impl Open<'_> {
    fn catch_up(&mut self, upto: u64) {
        while self.behind < upto {
            let n = (upto - self.behind).min(json_log::CHUNK_BYTES as u64);
            self.buf.resize(self.buf.len() + n as usize, b'\n');
            self.behind += n;
            self.flush_if_full();
        }
    }

    fn flush_if_full(&mut self) {
        if self.buf.len() >= json_log::CHUNK_BYTES {
            self.parser.push(&self.buf);
            self.buf.clear();
        }
    }
}

/// A line of one part's buffer: blank for another container's line, else
/// `|` and this container's message, with its `-t` stamp if it has one.
fn part_line(line: &[u8]) -> TextLine<'_> {
    let Some(msg) = line.strip_prefix(b"|") else {
        return TextLine::Skip;
    };
    let (time, text) = split_stamp(msg);
    TextLine::Record {
        time,
        text,
        stream: Stream::Stdout,
        ends_nl: true,
    }
}

/// Parses Compose log output held in memory (or mapped).
pub fn parse(path: &str, data: &[u8], limits: &Limits) -> ComposeLogs {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut open: Vec<Open<'_>> = Vec::new();
    let mut stamped = false;
    let mut dropped = 0u64;
    let mut clean = Vec::new();
    let mut line_no = 0u64;
    let mut start = 0;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |n| start + n);
        let raw = &data[start..end];
        start = end + 1;
        line_no += 1;
        strip_ansi(raw.strip_suffix(b"\r").unwrap_or(raw), &mut clean);
        let Some((name, _, msg)) = split_prefix(&clean) else {
            continue;
        };
        let name = String::from_utf8_lossy(name);
        let k = match open.iter().position(|o| o.prefix == name) {
            Some(k) => k,
            None if open.len() < MAX_PARTS => {
                open.push(Open {
                    prefix: name.into_owned(),
                    parser: json_log::Chunked::text(path, limits, &part_line),
                    buf: Vec::new(),
                    behind: 0,
                });
                open.len() - 1
            }
            None => {
                dropped += 1;
                continue;
            }
        };
        let o = &mut open[k];
        o.catch_up(line_no - 1);
        stamped |= !split_stamp(msg).0.is_empty();
        o.buf.push(b'|');
        o.buf.extend_from_slice(msg);
        o.buf.push(b'\n');
        o.behind = line_no;
        o.flush_if_full();
    }
    let mut out = ComposeLogs {
        path: path.to_string(),
        stamped,
        ..Default::default()
    };
    if dropped > 0 {
        out.diagnostics.push(Diagnostic::warning(
            path,
            format!("more than {MAX_PARTS} containers in one Compose log; {dropped} line(s) of the others were not read"),
        ));
    }
    for mut o in open {
        if !o.buf.is_empty() {
            o.parser.push(&o.buf);
        }
        let mut log = o.parser.finish();
        log.container_id = None;
        log.rotation = 0;
        log.records = log.lines;
        log.stream_unknown = true;
        out.diagnostics.append(&mut log.diagnostics);
        out.parts.push(Part {
            prefix: o.prefix,
            log,
        });
    }
    out
}

fn label<'c>(c: &'c Container, key: &str) -> Option<&'c str> {
    c.labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The container a Compose prefix names: by its Compose labels (v2
/// `<service>-<n>`, v1 `<service>_<n>`), by its name (`container_name`), or
/// by its name less the project (`<project>-`/`<project>_`); each only when
/// exactly one container fits.
pub fn resolve<'c>(prefix: &str, containers: &[&'c Container]) -> Option<&'c Container> {
    let unique = |hits: Vec<&'c Container>| match hits.as_slice() {
        [c] => Some(*c),
        _ => None,
    };
    let by_labels = containers
        .iter()
        .copied()
        .filter(|c| {
            let (Some(s), Some(n)) = (
                label(c, "com.docker.compose.service"),
                label(c, "com.docker.compose.container-number"),
            ) else {
                return false;
            };
            prefix == format!("{s}-{n}") || prefix == format!("{s}_{n}")
        })
        .collect();
    if let Some(c) = unique(by_labels) {
        return Some(c);
    }
    let by_name = containers
        .iter()
        .copied()
        .filter(|c| c.name == prefix)
        .collect();
    if let Some(c) = unique(by_name) {
        return Some(c);
    }
    unique(
        containers
            .iter()
            .copied()
            .filter(|c| {
                let project = label(c, "com.docker.compose.project").unwrap_or("");
                !project.is_empty()
                    && [format!("{project}-{prefix}"), format!("{project}_{prefix}")]
                        .iter()
                        .any(|n| n == &c.name)
            })
            .collect(),
    )
}

/// Turns Compose log parts into json-file summaries keyed by the id of the
/// container each belongs to. A part whose container has json-file logs too
/// is dropped (the same lines, with their streams). A part no inspect
/// resolves keeps its prefix as its key, so it is reported apart.
pub fn into_logs(
    files: Vec<ComposeLogs>,
    containers: &[&Container],
    json_logs: &[LogFile],
) -> Vec<LogFile> {
    let mut out = Vec::new();
    for f in files {
        for p in f.parts {
            let id = resolve(&p.prefix, containers).map(|c| c.id.clone());
            let has_json = id.as_ref().is_some_and(|id| {
                json_logs
                    .iter()
                    .any(|l| l.container_id.as_ref() == Some(id))
            });
            if has_json {
                continue;
            }
            let mut log = p.log;
            log.container_id = Some(id.unwrap_or(p.prefix));
            out.push(log);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_colour() {
        let mut out = Vec::new();
        strip_ansi(b"\x1b[36mapi-1  | \x1b[0mhello \x1b]0;t\x07x", &mut out);
        assert_eq!(out, b"api-1  | hello x");
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            split_prefix(b"api_1    | panic: x"),
            Some((&b"api_1"[..], 9, &b"panic: x"[..]))
        );
        assert_eq!(split_prefix(b"db-1  |"), Some((&b"db-1"[..], 6, &b""[..])));
        assert_eq!(split_prefix(b"api-1| x"), None);
        assert_eq!(split_prefix(b"| a | b |"), None);
        assert_eq!(split_prefix(b"2026-12-01 x | y"), None);
    }

    #[test]
    fn identifies_v1_and_v2_and_refuses_tables() {
        assert!(looks_like_compose_logs(
            b"Attaching to p_api_1, p_db_1\napi_1  | up\ndb_1   | ready\n"
        ));
        assert!(looks_like_compose_logs(
            b"\x1b[36mapi-1  | \x1b[0m2026-12-01T18:16:20.169193143Z up\n"
        ));
        // Compose pads every name to one column.
        assert!(!looks_like_compose_logs(b"api-1 | up\ndb-1 | ready\n"));
        assert!(!looks_like_compose_logs(b"name | value\nother | x\n"));
        assert!(!looks_like_compose_logs(b"hello\n"));
    }
}
