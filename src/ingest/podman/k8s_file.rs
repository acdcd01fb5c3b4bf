//! The k8s-file log format, as conmon writes podman's `ctr.log` (and as
//! containerd and CRI-O write `/var/log/pods/…`): one record per line,
//! `<RFC 3339 time> stdout|stderr F|P <message>`. `P` marks a partial line,
//! continued by the next record of the same stream; `F` ends a line.
//!
//! Records are read by the json-file scanner's text entry point
//! (`json_log::Chunked::text`; `F` ends a line, `P` does not), so every log
//! rule runs on them and partial chains are joined by the same code as
//! Docker's 16 KiB splits. Unlike `docker logs` text, the stream is known: stderr is
//! counted. One record per line keeps line numbers those of the file.
//!
//! A large file is read through mapped windows like `json_log::parse_file`.

use std::io;

use crate::ingest::json_log::{self, LogFile, Stream, TextLine};
use crate::model::Limits;

/// One parsed k8s-file record.
#[derive(Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub time: &'a [u8],
    pub stderr: bool,
    /// `P`: the line goes on in the next record of this stream.
    pub partial: bool,
    pub message: &'a [u8],
}

/// Length of an RFC 3339 time at the start of `line`: `YYYY-MM-DDTHH:MM:SS`,
/// an optional fraction of 1 to 9 digits (conmon writes 9; CRI-O and
/// containerd trim trailing zeros), then `Z` or `±hh:mm`.
fn stamp_len(line: &[u8]) -> Option<usize> {
    if line.len() < 20 {
        return None;
    }
    let d = |i: usize| line.get(i).is_some_and(u8::is_ascii_digit);
    let fixed = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if fixed.iter().any(|&(i, c)| line[i] != c) {
        return None;
    }
    if !(0..19).filter(|i| !fixed.iter().any(|f| f.0 == *i)).all(d) {
        return None;
    }
    let mut i = 19;
    if line[i] == b'.' {
        let start = i + 1;
        i = start;
        while d(i) && i - start < 9 {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    match line.get(i) {
        Some(b'Z') => Some(i + 1),
        Some(b'+' | b'-')
            if line.get(i + 3) == Some(&b':') && [1, 2, 4, 5].iter().all(|&k| d(i + k)) =>
        {
            Some(i + 6)
        }
        _ => None,
    }
}

/// Parses one line (without its newline) as a k8s-file record.
pub fn record(line: &[u8]) -> Option<Record<'_>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let n = stamp_len(line)?;
    let rest = line[n..].strip_prefix(b" ")?;
    let (stderr, rest) = if let Some(r) = rest.strip_prefix(b"stdout ") {
        (false, r)
    } else if let Some(r) = rest.strip_prefix(b"stderr ") {
        (true, r)
    } else {
        return None;
    };
    // The tag field: `F` or `P`, possibly with more `:`-separated tags
    // (CRI leaves room for them); the message follows one space.
    let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    let tag = &rest[..end];
    let partial = match tag.split(|&c| c == b':').next() {
        Some(b"F") => false,
        Some(b"P") => true,
        _ => return None,
    };
    let message = rest.get(end + 1..).unwrap_or(&[]);
    Some(Record {
        time: &line[..n],
        stderr,
        partial,
        message,
    })
}

/// True when the first whole lines of `head` (up to 50) are all k8s-file
/// records, and there is at least one.
pub fn looks_like_k8s_file(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let complete = match memchr::memrchr(b'\n', head) {
        Some(nl) => &head[..nl],
        None if head.len() < 64 * 1024 => head,
        None => return false,
    };
    let mut n = 0;
    for line in complete.split(|&c| c == b'\n').take(50) {
        if line.is_empty() || line == b"\r" {
            continue;
        }
        if record(line).is_none() {
            return false;
        }
        n += 1;
    }
    n > 0
}

/// One k8s-file line for the json-file scanner. A line that is not a
/// record is a bad record at its own line number; a blank one is nothing.
fn line(line: &[u8]) -> TextLine<'_> {
    match record(line) {
        Some(r) => TextLine::Record {
            time: r.time,
            text: r.message,
            stream: if r.stderr {
                Stream::Stderr
            } else {
                Stream::Stdout
            },
            ends_nl: !r.partial,
        },
        None if line.iter().all(|c| c.is_ascii_whitespace()) => TextLine::Skip,
        None => TextLine::Bad,
    }
}

/// The container id in a k8s-file log's path: podman's
/// `…/overlay-containers/<64 hex>/userdata/ctr.log`, or any 64-hex folder.
pub fn container_id_of(path: &str) -> Option<String> {
    path.split(['/', '\\', '!'])
        .rev()
        .skip(1)
        .find(|p| p.len() == 64 && p.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
}

fn finish(path: &str, mut log: LogFile) -> LogFile {
    log.container_id = container_id_of(path);
    log.rotation = 0;
    log
}

/// Parses a k8s-file log held in memory (or mapped).
pub fn parse(path: &str, data: &[u8], limits: &Limits) -> LogFile {
    let mut parser = json_log::Chunked::text(path, limits, &line);
    parser.push(data);
    finish(path, parser.finish())
}

/// Parses a k8s-file log from a file through read-only mapped windows of
/// about `chunk` bytes, scanned in parallel batches and
/// dropped: resident memory stays a few windows whatever the file size.
pub fn parse_file(
    path: &str,
    file: &std::fs::File,
    limits: &Limits,
    chunk: usize,
    progress: &mut dyn FnMut(u64),
) -> io::Result<LogFile> {
    let len = file.metadata()?.len();
    let parser = json_log::parse_text(path, file, len, limits, chunk, progress, &line)?;
    Ok(finish(path, parser.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records() {
        let r = record(b"2026-12-01T18:37:52.578539456+00:00 stderr F FATAL: DB_URL is not set")
            .unwrap();
        assert!(r.stderr && !r.partial);
        assert_eq!(r.message, b"FATAL: DB_URL is not set");
        assert_eq!(r.time, b"2026-12-01T18:37:52.578539456+00:00");
        let r = record(b"2016-10-06T00:17:09.6697942Z stdout P part").unwrap();
        assert!(!r.stderr && r.partial);
        assert_eq!(
            record(b"2016-10-06T00:17:09Z stdout F").unwrap().message,
            b""
        );
        assert!(record(b"2016-10-06T00:17:09Z stdin F x").is_none());
        assert!(record(b"2016-10-06T00:17:09Z stdout X x").is_none());
        assert!(record(b"2016-10-06T00:17:09.Z stdout F x").is_none());
        assert!(record(b"2026-12-01T18:37:52.578539456Z hello").is_none());
    }

    #[test]
    fn partial_lines_join_and_stderr_counts() {
        let t = b"2026-12-01T18:00:00.1Z stdout P hello \n2026-12-01T18:00:00.2Z stderr F panic: boom\n2026-12-01T18:00:00.3Z stdout F world\n";
        let log = parse(
            "s/overlay-containers/x/userdata/ctr.log",
            t,
            &Limits::default(),
        );
        assert_eq!(log.lines, 2);
        assert_eq!(log.stderr_lines, 1);
        let joined = log
            .tail
            .iter()
            .find(|l| l.evidence.excerpt == "hello world");
        assert!(joined.is_some(), "{:?}", log.tail);
        assert_eq!(log.signatures.len(), 1);
        assert_eq!(
            log.tail
                .iter()
                .find(|l| l.evidence.excerpt.starts_with("panic"))
                .unwrap()
                .evidence
                .line,
            Some(2)
        );
    }
}
