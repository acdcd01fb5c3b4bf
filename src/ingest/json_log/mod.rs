//! Docker json-file logs (`<id>-json.log`, rotated `.N` and `.N.gz`): one JSON
//! record per line, `{"log":"…","stream":"stdout|stderr","time":"…"}`, where a
//! `log` value without a trailing newline is a partial record (lines over
//! 16 KiB) continued by the next record of the same stream.
//!
//! Speed: lines are split with `memchr`; a record in dockerd's key order is
//! read from the end of the line (`record.rs`), so the log text itself is not
//! scanned; other shapes go through a forward scanner and then `serde_json`.
//! Error words are found by one SIMD multi-literal search over the whole
//! file (`PREFILTER_STEMS`); only stderr lines, lines with a prefilter hit
//! and the final tail are unescaped. Ordinary lines allocate nothing: the
//! tail keeps borrowed slices, time strings are compared as bytes and parsed
//! only for first/last and cited lines. A chain of partial records is
//! reassembled up to `Limits::max_line_bytes`, then only counted.
//!
//! Layout: `record` is the grammar of one record line, `text` the grammar
//! of its text (unescaping, excerpts, templates), `patterns` the error words
//! and signatures, `acc` the scan state carried from chunk to chunk (tail,
//! templates, signatures, partial chains) and its summary, and `read` the
//! drivers (whole buffer, [`Chunked`] batches in parallel, a reader, file
//! windows).
//!
//! Text logs (`docker logs` text, podman's k8s-file, Compose parts) enter
//! the same scanner through a [`TextGrammar`] that reads each physical line
//! into (stream, stamp, text): the text is scanned where it lies, with no
//! re-encoding as json-file records and no unescaping.

use crate::model::{Diagnostic, Evidence};
use crate::time::Timestamp;

mod acc;
mod patterns;
mod read;
mod record;
#[cfg(test)]
mod tests;
mod text;

pub(crate) use read::parse_text;
pub use read::{parse, parse_file, parse_reader, Chunked, LogReadError, CHUNK_BYTES};
use record::parse_record;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One logical line, cited by the record line on which it ends.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub evidence: Evidence,
    pub stream: Stream,
    pub time: Option<Timestamp>,
}

/// Error lines grouped with numbers, hex ids and UUIDs masked.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub template: String,
    pub count: u64,
    pub example: LogLine,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignatureKind {
    /// panic, uncaught exception, traceback, fatal error, segfault messages.
    Crash,
    /// Name resolution failures.
    Dns,
    PermissionDenied,
    /// exec: not found, no such file or directory for an executable.
    NotFound,
    AddressInUse,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Signature {
    pub kind: SignatureKind,
    pub count: u64,
    pub first: LogLine,
    pub last: LogLine,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogFile {
    pub path: String,
    /// The 64-hex container id from the file name, when it has one.
    pub container_id: Option<String>,
    /// 0 for the live file, N for `.N` / `.N.gz`.
    pub rotation: u32,
    pub records: u64,
    pub lines: u64,
    pub stderr_lines: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub templates: Vec<Template>,
    /// The last logical lines of the file, oldest first.
    pub tail: Vec<LogLine>,
    pub signatures: Vec<Signature>,
    pub bad_records: u64,
    pub diagnostics: Vec<Diagnostic>,
    /// Streams whose last record is a partial: the line continues in the next
    /// (newer) rotated file, where it must not be counted a second time.
    pub open_at_eof: Vec<Stream>,
    /// Read from `docker logs` text, where stdout and stderr are merged:
    /// every line counts as stdout and the stderr count means nothing.
    pub stream_unknown: bool,
}

/// One physical line of a text log (`docker logs` text, podman's
/// k8s-file, a Compose part) as its format reads it, for the json-file
/// scanner's text entry point ([`Chunked::text`], [`parse_text`]): the text
/// is taken as it is, with no JSON unescaping and no copy.
pub(crate) enum TextLine<'a> {
    /// Not a logical line (a blank line between stamped ones): counts
    /// nothing, keeps its line number.
    Skip,
    /// Not a record of the format: counted as a bad record.
    Bad,
    /// A record. `ends_nl` is false for a partial one (k8s-file `P`),
    /// continued by the next record of the same stream.
    Record {
        time: &'a [u8],
        text: &'a [u8],
        stream: Stream,
        ends_nl: bool,
    },
}

/// How a text log's lines read: given one physical line without its `\n`
/// and `\r`, the record it holds. Slices it returns borrow from that line.
pub(crate) type TextGrammar = dyn Fn(&[u8]) -> TextLine<'_> + Sync;

/// Logical lines kept for the tail.
pub const TAIL_LINES: usize = 20;
/// Templates reported per file.
pub const MAX_TEMPLATES: usize = 50;
/// Distinct templates tracked per file; further new ones are not counted.
pub const MAX_TEMPLATE_KEYS: usize = 10_000;
/// Decoded bytes kept for an owned tail line (enough for a 512-char excerpt).
pub(crate) const TAIL_KEEP_BYTES: usize = 4 * text::EXCERPT_CHARS + 8;

/// True when the first line is a json-file record.
pub fn looks_like_json_log(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    for line in head.split(|&c| c == b'\n') {
        let line = trim_cr(line);
        if line.iter().all(|c| c.is_ascii_whitespace()) {
            continue;
        }
        if parse_record(line).is_some() {
            return true;
        }
        // The head may end inside a long first record.
        let complete = line.as_ptr_range().end < head.as_ptr_range().end;
        if let Some(value) = line.strip_prefix(b"{\"log\":\"").filter(|_| !complete) {
            let key = b"\"stream\":\"";
            return record::scan_string(value).is_none()
                || line.windows(key.len()).any(|w| w == key);
        }
        return false;
    }
    false
}

pub(crate) fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The container id and rotation number from a json-file log name.
pub fn name_info(path: &str) -> (Option<String>, u32) {
    let mut parts = path.rsplit(['/', '\\', '!']).filter(|p| !p.is_empty());
    let name = parts.next().unwrap_or(path);
    let is_id = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let Some(idx) = name.find("-json.log") else {
        return (None, 0);
    };
    let id = &name[..idx];
    let id = if is_id(id) {
        Some(id.to_ascii_lowercase())
    } else {
        parts
            .next()
            .filter(|p| is_id(p))
            .map(|p| p.to_ascii_lowercase())
    };
    let rest = &name[idx + "-json.log".len()..];
    let rest = rest.strip_suffix(".gz").unwrap_or(rest);
    let rotation = rest
        .strip_prefix('.')
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (id, rotation)
}
