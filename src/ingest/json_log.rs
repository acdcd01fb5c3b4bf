//! Docker json-file logs (`<id>-json.log`, rotated `.N` and `.N.gz`): one JSON
//! record per line, `{"log":"…","stream":"stdout|stderr","time":"…"}`, where a
//! `log` value without a trailing newline is a partial record (lines over
//! 16 KiB) continued by the next record of the same stream.
//!
//! Speed: lines are split with `memchr`; a record in dockerd's key order is
//! read from the end of the line (`scan.rs`), so the log text itself is not
//! scanned; other shapes go through a forward scanner and then `serde_json`.
//! Error words are found by one SIMD multi-literal search over the whole
//! file (`PREFILTER_STEMS`); only stderr lines, lines with a prefilter hit
//! and the final tail are unescaped. Ordinary lines allocate nothing: the
//! tail keeps borrowed slices, time strings are compared as bytes and parsed
//! only for first/last and cited lines. A chain of partial records is
//! reassembled up to `Limits::max_line_bytes`, then only counted.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, VecDeque};
use std::io::{self, Read};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, Input, MatchKind};
use memchr::memchr_iter;
use rayon::prelude::*;
use regex::bytes::{Regex, RegexSet};

use crate::model::{Diagnostic, Evidence, Limits};
use crate::time::Timestamp;

mod scan;
mod text;

use scan::{parse_record, LogText};
use text::{excerpt, mask_template, unescape_into};

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
}

/// Logical lines kept for the tail.
pub const TAIL_LINES: usize = 20;
/// Templates reported per file.
pub const MAX_TEMPLATES: usize = 50;
/// Distinct templates tracked per file; further new ones are not counted.
pub const MAX_TEMPLATE_KEYS: usize = 10_000;
/// Decoded bytes kept for an owned tail line (enough for a 512-char excerpt).
const TAIL_KEEP_BYTES: usize = 4 * text::EXCERPT_CHARS + 8;

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
        if !complete && line.starts_with(b"{\"log\":\"") {
            return scan::scan_string(&line[8..]).is_none()
                || line.windows(10).any(|w| w == b"\"stream\":\"");
        }
        return false;
    }
    false
}

fn trim_cr(line: &[u8]) -> &[u8] {
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

/// Literal stems of the error words and signature triggers, the first
/// letter dropped so one stem serves lower case and Capitalised spellings,
/// plus UPPER case where that is common (ERROR, FATAL, PANIC, FAIL). A plain
/// alternation of at most 32 literals lets `regex` use its SIMD "slim Teddy"
/// multi-literal searcher (several GB/s), where the equivalent `(?i)`
/// alternation runs its lazy DFA at about 0.5 GB/s. Unusual case (`ErrOr`,
/// `DENIED`) is therefore missed on stdout; stderr lines are always analysed.
const PREFILTER_STEMS: [&str; 32] = [
    "rror",
    "RROR",
    "atal",
    "ATAL",
    "anic",
    "ANIC",
    "xception",
    "raceback",
    "fail",
    "Fail",
    "FAIL",
    "enied",
    "efused",
    "imeout",
    "imed out",
    "annot",
    "ot found",
    "unable",
    "Unable",
    "o such",
    "ncaught",
    "SIGSEGV",
    "egmentation",
    "dumped",
    "ot known",
    "resol",
    "getaddrinfo",
    "isbehaving",
    "EACCES",
    "ermitted",
    "lready in use",
    "EADDRINUSE",
];

struct Patterns {
    /// Union of error words and signature triggers: a line it does not
    /// match is neither an error line nor a signature.
    /// Searched with `aho-corasick` directly: the packed (Teddy) searcher
    /// reports where a literal starts, where `regex` confirmed each hit with
    /// a forward and a reverse DFA search.
    prefilter: AhoCorasick,
    error: Regex,
    signatures: Vec<(SignatureKind, Regex)>,
    /// The signature patterns as one set, for a single pass per line.
    signature_set: RegexSet,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("static pattern");
        let sigs: [(SignatureKind, &str); 5] = [
                (
                    SignatureKind::Crash,
                    "(?i:\\bpanic:|fatal error:|Traceback \\(most recent call last\\)|\\bUncaught\\b|unhandled exception|\
                        Exception in thread|segmentation fault|core dumped)|SIGSEGV|\\bFATAL\\b",
                ),
                (
                    SignatureKind::Dns,
                    "(?i:no such host|Name or service not known|Temporary failure in name resolution|could not resolve|\
                        getaddrinfo ENOTFOUND|server misbehaving|bad address ')|EAI_AGAIN",
                ),
                (
                    SignatureKind::PermissionDenied,
                    "(?i:permission denied|Operation not permitted)|EACCES",
                ),
                (
                    SignatureKind::NotFound,
                    "(?i)exec format error|executable file not found|\\bexec\\b.*no such file or directory|\
                        (?:^|[\\s/])(?:sh|bash|ash|dash|zsh|env|exec)(?::\\s*\\d+)?:.*: not found",
                ),
                (
                    SignatureKind::AddressInUse,
                    "(?i:address already in use)|EADDRINUSE",
                ),
            ];
        Patterns {
            prefilter: AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(PREFILTER_STEMS)
                .expect("static literals"),
            error: re(
                "(?i)error|fatal|panic|exception|traceback|failed|failure|denied|refused|timeout|timed out|cannot|unable|no such",
            ),
            signatures: sigs.iter().map(|(k, p)| (*k, re(p))).collect(),
            signature_set: RegexSet::new(sigs.iter().map(|(_, p)| p)).expect("static patterns"),
        }
    })
}

/// Where the text of a finished logical line lives.
enum LineText<'a, 'b> {
    /// Escaped JSON bytes borrowed from the file.
    Raw(&'a [u8]),
    /// Decoded bytes (a joined partial chain or a fallback record).
    Decoded(&'b [u8]),
}

enum TailText<'a> {
    Raw(&'a [u8]),
    Owned(Vec<u8>),
}

struct TailEntry<'a> {
    line: u64,
    stream: Stream,
    time: Cow<'a, [u8]>,
    text: TailText<'a>,
}

/// A logical line being reassembled from partial records of one stream.
#[derive(Default)]
struct Pending {
    active: bool,
    text: Vec<u8>,
    capped: bool,
    time: Vec<u8>,
    end_line: u64,
}

struct SigAcc {
    kind: SignatureKind,
    count: u64,
    first: LogLine,
    last: LastHit,
}

/// The latest hit of a signature, kept as raw bytes in reused buffers and
/// made a [`LogLine`] only at the end: nearly every hit is overwritten by
/// the next one, so building each as a `LogLine` (path, excerpt, parsed
/// time) was wasted work.
struct LastHit {
    line: u64,
    stream: Stream,
    time: Vec<u8>,
    /// The text cut as an owned tail line is (enough for its excerpt).
    text: Vec<u8>,
}

impl LastHit {
    fn new(line: u64, stream: Stream, time: &[u8], text: &str) -> LastHit {
        let mut h = LastHit {
            line,
            stream,
            time: Vec::new(),
            text: Vec::new(),
        };
        h.set(line, stream, time, text);
        h
    }

    fn set(&mut self, line: u64, stream: Stream, time: &[u8], text: &str) {
        self.line = line;
        self.stream = stream;
        self.time.clear();
        self.time.extend_from_slice(time);
        self.text.clear();
        self.text
            .extend_from_slice(&text.as_bytes()[..text.len().min(TAIL_KEEP_BYTES)]);
    }

    fn to_line(&self, path: &str) -> LogLine {
        make_line(
            path,
            self.line,
            self.stream,
            &self.time,
            &String::from_utf8_lossy(&self.text),
        )
    }
}

struct TplAcc {
    count: u64,
    example: LogLine,
}

/// Timestamps are tracked as raw bytes while they have Docker's shape
/// (`YYYY-MM-DDTHH:MM:SS[.f…]Z`), which orders like the instant once `Z`
/// sorts below the digits; other shapes are parsed.
fn docker_shape(t: &[u8]) -> bool {
    t.len() >= 20 && t[t.len() - 1] == b'Z' && (t[19] == b'.' || t[19] == b'Z') && t[10] == b'T'
}

fn cmp_docker_time(a: &[u8], b: &[u8]) -> Ordering {
    if a.len() == b.len() {
        return a.cmp(b);
    }
    let key = |c: u8| if c == b'Z' { 0 } else { c };
    for (x, y) in a.iter().zip(b) {
        match key(*x).cmp(&key(*y)) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    a.len().cmp(&b.len())
}

fn parse_time(t: &[u8]) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(std::str::from_utf8(t).ok()?)
}

/// A tail line once its chunk is gone: decoded, cut to what an excerpt needs.
struct OwnedTail {
    line: u64,
    stream: Stream,
    time: Vec<u8>,
    text: Vec<u8>,
}

/// Everything a scan carries from one chunk of lines to the next, owned, so
/// a file can be read in windows and each window dropped once scanned.
/// Line numbers are relative to `physical` at the start of the accumulator:
/// a speculative accumulator (see [`Chunked`]) starts at 0 and is shifted
/// when merged.
#[derive(Default)]
struct Acc {
    records: u64,
    bad: u64,
    first_bad: u64,
    capped_lines: u64,
    first_capped: u64,
    min_raw: Option<Vec<u8>>,
    max_raw: Option<Vec<u8>>,
    min_ts: Option<Timestamp>,
    max_ts: Option<Timestamp>,
    lines: u64,
    stderr_lines: u64,
    tail: VecDeque<OwnedTail>,
    tpl_index: HashMap<Vec<u8>, usize>,
    tpls: Vec<(Vec<u8>, TplAcc)>,
    /// A new template was not tracked because of `MAX_TEMPLATE_KEYS`.
    tpl_refused: bool,
    sigs: Vec<SigAcc>,
    pending: [Pending; 2],
    /// Physical lines consumed so far.
    physical: u64,
    scratch: Vec<u8>,
    tpl_buf: Vec<u8>,
}

fn shift_line(l: &mut LogLine, base: u64) {
    if let Some(n) = l.evidence.line.as_mut() {
        *n += base;
    }
}

impl Acc {
    fn pending_any(&self) -> bool {
        self.pending.iter().any(|p| p.active)
    }

    /// Appends the result of scanning the next lines from a fresh start.
    /// Exact only when `self` has no open partial chain and `c` never
    /// refused a template: the caller checks both and rescans otherwise.
    fn merge(&mut self, c: Acc) {
        let base = self.physical;
        self.records += c.records;
        self.bad += c.bad;
        if self.first_bad == 0 && c.first_bad != 0 {
            self.first_bad = c.first_bad + base;
        }
        self.capped_lines += c.capped_lines;
        if self.first_capped == 0 && c.first_capped != 0 {
            self.first_capped = c.first_capped + base;
        }
        merge_raw(&mut self.min_raw, c.min_raw, Ordering::Less);
        merge_raw(&mut self.max_raw, c.max_raw, Ordering::Greater);
        self.min_ts = [self.min_ts, c.min_ts].into_iter().flatten().min();
        self.max_ts = [self.max_ts, c.max_ts].into_iter().flatten().max();
        self.lines += c.lines;
        self.stderr_lines += c.stderr_lines;
        for mut e in c.tail {
            e.line += base;
            if self.tail.len() == TAIL_LINES {
                self.tail.pop_front();
            }
            self.tail.push_back(e);
        }
        for (k, mut a) in c.tpls {
            if let Some(&i) = self.tpl_index.get(k.as_slice()) {
                self.tpls[i].1.count += a.count;
            } else if self.tpls.len() < MAX_TEMPLATE_KEYS {
                shift_line(&mut a.example, base);
                self.tpl_index.insert(k.clone(), self.tpls.len());
                self.tpls.push((k, a));
            } else {
                self.tpl_refused = true;
            }
        }
        for mut s in c.sigs {
            shift_line(&mut s.first, base);
            s.last.line += base;
            match self.sigs.iter_mut().find(|a| a.kind == s.kind) {
                Some(acc) => {
                    acc.count += s.count;
                    acc.last = s.last;
                }
                None => self.sigs.push(s),
            }
        }
        for (mine, mut theirs) in self.pending.iter_mut().zip(c.pending) {
            theirs.end_line += base;
            *mine = theirs;
        }
        self.physical += c.physical;
    }
}

fn merge_raw(mine: &mut Option<Vec<u8>>, theirs: Option<Vec<u8>>, keep: Ordering) {
    if let Some(t) = theirs {
        if mine
            .as_deref()
            .map_or(true, |m| cmp_docker_time(&t, m) == keep)
        {
            *mine = Some(t);
        }
    }
}

/// The view of one chunk's scan: borrowed tail entries point into the
/// chunk and are made owned when the chunk ends.
struct State<'a, 's, 'p> {
    path: &'p str,
    pats: &'static Patterns,
    acc: &'s mut Acc,
    tail: VecDeque<TailEntry<'a>>,
}

fn make_line(path: &str, line: u64, stream: Stream, time: &[u8], text: &str) -> LogLine {
    LogLine {
        evidence: Evidence::new(path, Some(line), excerpt(text)),
        stream,
        time: parse_time(time),
    }
}

impl<'a> State<'a, '_, '_> {
    /// One logical line is complete. `candidate` is the prefilter verdict
    /// for raw text (decoded text is checked here).
    fn finish(
        &mut self,
        text: LineText<'a, '_>,
        stream: Stream,
        time: Cow<'a, [u8]>,
        line: u64,
        candidate: bool,
    ) {
        self.acc.lines += 1;
        if stream == Stream::Stderr {
            self.acc.stderr_lines += 1;
        }
        let candidate = stream == Stream::Stderr
            || match text {
                LineText::Raw(_) => candidate,
                LineText::Decoded(d) => self.pats.prefilter.is_match(d),
            };
        if candidate {
            let mut buf = std::mem::take(&mut self.acc.scratch);
            buf.clear();
            let bytes: &[u8] = match text {
                LineText::Raw(r) => {
                    unescape_into(r, &mut buf);
                    &buf
                }
                LineText::Decoded(d) => d,
            };
            let s = String::from_utf8_lossy(bytes);
            self.analyse(&s, stream, &time, line);
            drop(s);
            self.acc.scratch = buf;
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        let text = match text {
            LineText::Raw(r) => TailText::Raw(r),
            LineText::Decoded(d) => TailText::Owned(d[..d.len().min(TAIL_KEEP_BYTES)].to_vec()),
        };
        self.tail.push_back(TailEntry {
            line,
            stream,
            time,
            text,
        });
    }

    fn analyse(&mut self, s: &str, stream: Stream, time: &[u8], line: u64) {
        let acc = &mut *self.acc;
        let mut is_error = stream == Stream::Stderr || self.pats.error.is_match(s.as_bytes());
        let matched = self.pats.signature_set.matches(s.as_bytes());
        for i in matched.iter() {
            let kind = &self.pats.signatures[i].0;
            is_error = true;
            match acc.sigs.iter_mut().find(|a| a.kind == *kind) {
                Some(a) => {
                    a.count += 1;
                    a.last.set(line, stream, time, s);
                }
                None => acc.sigs.push(SigAcc {
                    kind: *kind,
                    count: 1,
                    first: make_line(self.path, line, stream, time, s),
                    last: LastHit::new(line, stream, time, s),
                }),
            }
        }
        if !is_error {
            return;
        }
        mask_template(s, &mut acc.tpl_buf);
        if let Some(&i) = acc.tpl_index.get(acc.tpl_buf.as_slice()) {
            acc.tpls[i].1.count += 1;
        } else if acc.tpls.len() < MAX_TEMPLATE_KEYS {
            acc.tpl_index.insert(acc.tpl_buf.clone(), acc.tpls.len());
            let example = make_line(self.path, line, stream, time, s);
            acc.tpls
                .push((acc.tpl_buf.clone(), TplAcc { count: 1, example }));
        } else {
            acc.tpl_refused = true;
        }
    }

    /// Moves the chunk's tail into the accumulator, decoded and owned.
    fn close(self) {
        let mut scratch = Vec::new();
        for e in self.tail {
            let text = match e.text {
                TailText::Raw(r) => {
                    scratch.clear();
                    unescape_into(r, &mut scratch);
                    scratch[..scratch.len().min(TAIL_KEEP_BYTES)].to_vec()
                }
                TailText::Owned(v) => v,
            };
            if self.acc.tail.len() == TAIL_LINES {
                self.acc.tail.pop_front();
            }
            self.acc.tail.push_back(OwnedTail {
                line: e.line,
                stream: e.stream,
                time: e.time.into_owned(),
                text,
            });
        }
    }
}

/// Scans whole physical lines (`data` ends with a newline unless it is the
/// end of the file), continuing the accumulator's partial chains and line
/// numbers.
fn scan(acc: &mut Acc, path: &str, data: &[u8], limits: &Limits) {
    let pats = patterns();
    let mut lineno = acc.physical;
    let mut st = State {
        path,
        pats,
        acc,
        tail: VecDeque::with_capacity(TAIL_LINES),
    };
    let mut min_raw: Option<Cow<'_, [u8]>> = None;
    let mut max_raw: Option<Cow<'_, [u8]>> = None;
    // Position of the next prefilter match at or after the current line.
    let mut hit: Option<usize> = None;
    let mut searched_to = 0usize;

    let mut start = 0usize;
    let mut ends = memchr_iter(b'\n', data);
    loop {
        let end = match ends.next() {
            Some(e) => e,
            None if start < data.len() => data.len(),
            None => break,
        };
        lineno += 1;
        let ls = start;
        start = end + 1;
        let line = trim_cr(&data[ls..end]);
        if line.is_empty() || line.iter().all(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(rec) = parse_record(line) else {
            st.acc.bad += 1;
            if st.acc.first_bad == 0 {
                st.acc.first_bad = lineno;
            }
            continue;
        };
        st.acc.records += 1;
        if !rec.time.is_empty() {
            if docker_shape(&rec.time) {
                // Times mostly grow: a new maximum (above a minimum that is
                // never above the maximum) cannot be a new minimum.
                if max_raw
                    .as_deref()
                    .map_or(true, |m| cmp_docker_time(&rec.time, m) == Ordering::Greater)
                {
                    if min_raw.is_none() {
                        min_raw = Some(rec.time.clone());
                    }
                    max_raw = Some(rec.time.clone());
                } else if min_raw
                    .as_deref()
                    .map_or(true, |m| cmp_docker_time(&rec.time, m) == Ordering::Less)
                {
                    min_raw = Some(rec.time.clone());
                }
            } else if let Some(t) = parse_time(&rec.time) {
                st.acc.min_ts = Some(st.acc.min_ts.map_or(t, |m| m.min(t)));
                st.acc.max_ts = Some(st.acc.max_ts.map_or(t, |m| m.max(t)));
            }
        }
        let si = rec.stream as usize;
        if !st.acc.pending[si].active && rec.ends_nl {
            match rec.log {
                LogText::Raw(raw) => {
                    let candidate = if rec.stream == Stream::Stderr {
                        true
                    } else {
                        if hit.map_or(true, |h| h < ls) && searched_to <= ls {
                            hit = pats
                                .prefilter
                                .find(Input::new(data).span(ls..data.len()))
                                .map(|m| m.start());
                            searched_to = hit.map_or(data.len() + 1, |h| h + 1);
                        }
                        hit.is_some_and(|h| h >= ls && h < end)
                    };
                    st.finish(LineText::Raw(raw), rec.stream, rec.time, lineno, candidate);
                }
                LogText::Decoded(s) => {
                    st.finish(
                        LineText::Decoded(s.as_bytes()),
                        rec.stream,
                        rec.time,
                        lineno,
                        false,
                    );
                }
            }
            continue;
        }
        // Part of a chain of partial records.
        let p = &mut st.acc.pending[si];
        if !p.active {
            p.active = true;
            p.capped = false;
            p.text.clear();
        }
        if !p.capped {
            let before = p.text.len();
            match &rec.log {
                LogText::Raw(raw) => unescape_into(raw, &mut p.text),
                LogText::Decoded(s) => p.text.extend_from_slice(s.as_bytes()),
            }
            if p.text.len() > limits.max_line_bytes {
                let mut cut = limits.max_line_bytes.max(before.min(limits.max_line_bytes));
                while cut > 0 && cut < p.text.len() && (p.text[cut] & 0xC0) == 0x80 {
                    cut -= 1;
                }
                p.text.truncate(cut);
                p.capped = true;
            }
        }
        p.time.clear();
        p.time.extend_from_slice(&rec.time);
        p.end_line = lineno;
        if rec.ends_nl {
            p.active = false;
            if p.capped {
                st.acc.capped_lines += 1;
                if st.acc.first_capped == 0 {
                    st.acc.first_capped = lineno;
                }
            }
            let p = &mut st.acc.pending[si];
            let text = std::mem::take(&mut p.text);
            let time = std::mem::take(&mut p.time);
            st.finish(
                LineText::Decoded(&text),
                rec.stream,
                Cow::Owned(time),
                lineno,
                false,
            );
            st.acc.pending[si].text = text;
        }
    }
    let acc = &mut *st.acc;
    acc.physical = lineno;
    merge_raw(
        &mut acc.min_raw,
        min_raw.map(Cow::into_owned),
        Ordering::Less,
    );
    merge_raw(
        &mut acc.max_raw,
        max_raw.map(Cow::into_owned),
        Ordering::Greater,
    );
    st.close();
}

/// Parses a whole json-file log held in memory (or mapped) in one pass.
pub fn parse(path: &str, data: &[u8], limits: &Limits) -> LogFile {
    let mut c = Chunked::new(path, limits);
    c.push(data);
    c.finish()
}

/// Chunk size for windowed and streamed logs: large enough that per-chunk
/// costs vanish, small enough that a few in flight per thread stay far
/// below the RSS budget.
pub const CHUNK_BYTES: usize = 8 << 20;

/// A json-file log fed in chunks of whole lines, in file order.
///
/// [`Chunked::push_batch`] scans the chunks of a batch in parallel, each
/// from a fresh start (no open partial chain, line numbers from 0), then
/// merges them in order: a chunk's speculative result is kept only when the
/// chunks before it left no partial chain open (and it never hit the
/// template-key cap); otherwise the chunk is scanned again, in order, from
/// the true state. The result is therefore identical to one pass over the
/// concatenated chunks, for any chunk size and thread count.
pub struct Chunked<'p> {
    path: &'p str,
    limits: Limits,
    acc: Acc,
    started: bool,
}

impl<'p> Chunked<'p> {
    pub fn new(path: &'p str, limits: &Limits) -> Chunked<'p> {
        Chunked {
            path,
            limits: limits.clone(),
            acc: Acc::default(),
            started: false,
        }
    }

    fn strip_bom<'d>(&mut self, data: &'d [u8]) -> &'d [u8] {
        if self.started {
            return data;
        }
        self.started = true;
        data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data)
    }

    /// Scans the next chunk: whole lines, ending with a newline unless it is
    /// the end of the file.
    pub fn push(&mut self, data: &[u8]) {
        let data = self.strip_bom(data);
        scan(&mut self.acc, self.path, data, &self.limits);
    }

    /// Scans consecutive chunks, in parallel on the current rayon pool.
    pub fn push_batch<C: AsRef<[u8]> + Sync>(&mut self, chunks: &[C]) {
        let Some((first, rest)) = chunks.split_first() else {
            return;
        };
        if rest.is_empty() || rayon::current_num_threads() < 2 {
            for c in chunks {
                self.push(c.as_ref());
            }
            return;
        }
        let first = self.strip_bom(first.as_ref());
        let (path, limits) = (self.path, &self.limits);
        let acc = &mut self.acc;
        let (_, speculative) = rayon::join(
            || scan(acc, path, first, limits),
            || {
                rest.par_iter()
                    .map(|c| {
                        let mut a = Acc::default();
                        scan(&mut a, path, c.as_ref(), limits);
                        a
                    })
                    .collect::<Vec<Acc>>()
            },
        );
        for (c, spec) in rest.iter().zip(speculative) {
            if self.acc.pending_any() || spec.tpl_refused {
                scan(&mut self.acc, self.path, c.as_ref(), &self.limits);
            } else {
                self.acc.merge(spec);
            }
        }
    }

    /// Closes partial chains still open at the end and builds the summary.
    pub fn finish(self) -> LogFile {
        let Chunked {
            path,
            limits,
            mut acc,
            ..
        } = self;
        finish(path, &limits, &mut acc)
    }
}

fn finish(path: &str, limits: &Limits, acc: &mut Acc) -> LogFile {
    let (container_id, rotation) = name_info(path);
    let mut out = LogFile {
        path: path.to_string(),
        container_id,
        rotation,
        ..Default::default()
    };
    // Partial records at end of file still make one line each.
    let mut open: Vec<(u64, usize)> = (0..2)
        .filter(|&i| acc.pending[i].active)
        .map(|i| (acc.pending[i].end_line, i))
        .collect();
    open.sort();
    let mut pending = std::mem::take(&mut acc.pending);
    let mut st = State {
        path,
        pats: patterns(),
        acc,
        tail: VecDeque::with_capacity(TAIL_LINES),
    };
    for (line, i) in open {
        let stream = if i == Stream::Stdout as usize {
            Stream::Stdout
        } else {
            Stream::Stderr
        };
        out.open_at_eof.push(stream);
        let p = &mut pending[i];
        if p.capped {
            st.acc.capped_lines += 1;
            if st.acc.first_capped == 0 {
                st.acc.first_capped = line;
            }
        }
        let text = std::mem::take(&mut p.text);
        let time = std::mem::take(&mut p.time);
        st.finish(
            LineText::Decoded(&text),
            stream,
            Cow::Owned(time),
            line,
            false,
        );
    }
    st.close();

    out.records = acc.records;
    out.lines = acc.lines;
    out.stderr_lines = acc.stderr_lines;
    out.bad_records = acc.bad;
    let (bad, first_bad) = (acc.bad, acc.first_bad);
    let (capped_lines, first_capped) = (acc.capped_lines, acc.first_capped);
    let first_raw = acc.min_raw.as_deref().and_then(parse_time);
    let last_raw = acc.max_raw.as_deref().and_then(parse_time);
    out.first = [first_raw, acc.min_ts].into_iter().flatten().min();
    out.last = [last_raw, acc.max_ts].into_iter().flatten().max();
    if bad > 0 {
        out.diagnostics.push(Diagnostic::warning(
            path,
            format!(
                "{path}: {bad} line(s) are not json-file log records (first at line {first_bad}); skipped"
            ),
        ));
    }
    if capped_lines > 0 {
        out.diagnostics.push(Diagnostic::warning(
            path,
            format!(
                "{path}: {capped_lines} logical line(s) longer than {} bytes (first ending at line {first_capped}); text truncated",
                limits.max_line_bytes
            ),
        ));
    }
    out.tail = acc
        .tail
        .iter()
        .map(|e| {
            make_line(
                path,
                e.line,
                e.stream,
                &e.time,
                &String::from_utf8_lossy(&e.text),
            )
        })
        .collect();
    let mut tpls: Vec<Template> = std::mem::take(&mut acc.tpls)
        .into_iter()
        .map(|(k, a)| Template {
            template: String::from_utf8_lossy(&k).into_owned(),
            count: a.count,
            example: a.example,
        })
        .collect();
    tpls.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.template.cmp(&b.template))
    });
    tpls.truncate(MAX_TEMPLATES);
    out.templates = tpls;
    let mut sigs: Vec<Signature> = std::mem::take(&mut acc.sigs)
        .into_iter()
        .map(|a| Signature {
            kind: a.kind,
            count: a.count,
            first: a.first,
            last: a.last.to_line(path),
        })
        .collect();
    sigs.sort_by_key(|s| s.kind);
    out.signatures = sigs;
    out
}

/// Parses a log read from `reader` (e.g. a capped decompressor) in chunks
/// of about `chunk` bytes split at newlines; memory stays a few chunks
/// whatever the size of the log. `progress` is told the bytes consumed.
pub fn parse_reader(
    path: &str,
    reader: &mut dyn Read,
    limits: &Limits,
    chunk: usize,
    progress: &mut dyn FnMut(u64),
) -> io::Result<LogFile> {
    let chunk = chunk.max(1);
    let batch = rayon::current_num_threads().clamp(1, 8) * 2;
    let mut parser = Chunked::new(path, limits);
    let mut carry: Vec<u8> = Vec::new();
    let mut eof = false;
    while !eof {
        let mut chunks: Vec<Vec<u8>> = Vec::with_capacity(batch);
        while chunks.len() < batch && !eof {
            let mut buf = std::mem::take(&mut carry);
            let mut scanned = 0;
            loop {
                let want = (chunk.max(buf.len() + 1)).saturating_sub(buf.len());
                let old = buf.len();
                buf.resize(old + want, 0);
                let n = super::read_full(reader, &mut buf[old..])?;
                buf.truncate(old + n);
                if n < want {
                    eof = true;
                    break;
                }
                if let Some(nl) = memchr::memrchr(b'\n', &buf[scanned..]) {
                    let cut = scanned + nl + 1;
                    carry = buf[cut..].to_vec();
                    buf.truncate(cut);
                    break;
                }
                scanned = buf.len();
            }
            if !buf.is_empty() {
                chunks.push(buf);
            }
        }
        parser.push_batch(&chunks);
        progress(chunks.iter().map(|c| c.len() as u64).sum());
    }
    Ok(parser.finish())
}

/// Parses a json-file log file through read-only mappings of about `chunk`
/// bytes each, split at newlines and unmapped once scanned, so resident
/// memory stays a few windows whatever the file size (a whole-file mapping
/// would count every page read toward RSS). `progress` is told the bytes
/// consumed.
pub fn parse_file(
    path: &str,
    file: &std::fs::File,
    limits: &Limits,
    chunk: usize,
    progress: &mut dyn FnMut(u64),
) -> io::Result<LogFile> {
    let len = file.metadata()?.len();
    let chunk = chunk.max(1);
    let batch = rayon::current_num_threads().clamp(1, 8) * 2;
    let mut parser = Chunked::new(path, limits);
    let mut off = 0u64;
    while off < len {
        let mut windows: Vec<Window> = Vec::with_capacity(batch);
        while windows.len() < batch && off < len {
            let mut want = chunk as u64;
            loop {
                let l = want.min(len - off);
                // SAFETY: read-only mapping of a collected artifact, as in
                // `ingest::ingest_file`; a concurrent truncation would be a
                // SIGBUS, which is documented.
                let map = unsafe {
                    memmap2::MmapOptions::new()
                        .offset(off)
                        .len(l as usize)
                        .map(file)?
                };
                if off + l == len {
                    off = len;
                    windows.push(Window {
                        end: map.len(),
                        map,
                    });
                    break;
                }
                if let Some(nl) = memchr::memrchr(b'\n', &map) {
                    off += nl as u64 + 1;
                    windows.push(Window { end: nl + 1, map });
                    break;
                }
                want = want.saturating_mul(2);
            }
        }
        parser.push_batch(&windows);
        progress(windows.iter().map(|w| w.end as u64).sum());
    }
    Ok(parser.finish())
}

struct Window {
    map: memmap2::Mmap,
    end: usize,
}

impl AsRef<[u8]> for Window {
    fn as_ref(&self) -> &[u8] {
        &self.map[..self.end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "b.tar.gz!/var/lib/docker/containers/x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-json.log.2.gz";

    fn rec(log: &str, stream: &str, time: &str) -> String {
        format!(
            "{{\"log\":{},\"stream\":\"{stream}\",\"time\":\"{time}\"}}\n",
            serde_json::to_string(log).unwrap()
        )
    }

    fn run(data: &str) -> LogFile {
        parse(P, data.as_bytes(), &Limits::default())
    }

    #[test]
    fn names() {
        let id = "3fc81dee3c0b581ff1d316dfa6ba90291b2b7caa899da6efcd69654fad9348e1";
        assert_eq!(
            name_info(&format!("/d/{id}/{id}-json.log")),
            (Some(id.to_string()), 0)
        );
        assert_eq!(
            name_info(&format!("{id}-json.log.3")),
            (Some(id.to_string()), 3)
        );
        assert_eq!(
            name_info(&format!("x.tgz!/c/{id}/{id}-json.log.2.gz")),
            (Some(id.to_string()), 2)
        );
        assert_eq!(name_info("app.log"), (None, 0));
        assert_eq!(run("").container_id.as_deref(), Some(&"a".repeat(64)[..]));
        assert_eq!(run("").rotation, 2);
    }

    #[test]
    fn partials_interleaved_across_streams() {
        let data = [
            rec("part one ", "stdout", "2026-01-01T00:00:01Z"),
            rec("boom error\n", "stderr", "2026-01-01T00:00:02Z"),
            rec("part two\n", "stdout", "2026-01-01T00:00:03.5Z"),
            rec("single\n", "stdout", "2026-01-01T00:00:03.25Z"),
        ]
        .concat();
        let f = run(&data);
        assert_eq!(
            (f.records, f.lines, f.stderr_lines, f.bad_records),
            (4, 3, 1, 0)
        );
        let tail: Vec<_> = f
            .tail
            .iter()
            .map(|l| (l.evidence.line, l.evidence.excerpt.as_str()))
            .collect();
        assert_eq!(
            tail,
            vec![
                (Some(2), "boom error"),
                (Some(3), "part one part two"),
                (Some(4), "single")
            ]
        );
        assert_eq!(
            f.tail[1].time,
            Timestamp::parse_rfc3339("2026-01-01T00:00:03.5Z")
        );
        assert_eq!(f.first, Timestamp::parse_rfc3339("2026-01-01T00:00:01Z"));
        assert_eq!(f.last, Timestamp::parse_rfc3339("2026-01-01T00:00:03.5Z"));
        assert_eq!(f.templates.len(), 1);
        assert_eq!(f.templates[0].template, "boom error");
    }

    #[test]
    fn final_partial_at_eof_is_a_line() {
        let data = [rec("a\n", "stdout", "T"), rec("unfinished", "stderr", "T")].concat();
        let f = run(&data);
        assert_eq!((f.records, f.lines, f.stderr_lines), (2, 2, 1));
        assert_eq!(f.tail[1].evidence.excerpt, "unfinished");
        assert_eq!(f.tail[1].evidence.line, Some(2));
        assert_eq!(f.tail[1].time, None);
    }

    #[test]
    fn endless_partial_chain_is_capped() {
        let limits = Limits {
            max_line_bytes: 1000,
            ..Limits::default()
        };
        let chunk = rec(&"y".repeat(300), "stdout", "2026-01-01T00:00:00Z");
        let mut data = chunk.repeat(5000);
        data.push_str(&rec("error end\n", "stdout", "2026-01-01T00:00:00Z"));
        data.push_str(&rec("next\n", "stdout", "2026-01-01T00:00:00Z"));
        let f = parse(P, data.as_bytes(), &limits);
        assert_eq!((f.records, f.lines), (5002, 2));
        assert_eq!(f.diagnostics.len(), 1);
        assert!(f.diagnostics[0].message.contains("longer than 1000 bytes"));
        assert!(f.diagnostics[0].message.contains("line 5001"));
        assert_eq!(f.tail[0].evidence.line, Some(5001));
        assert!(f.tail[0].evidence.excerpt.ends_with('…'));
        // The capped text lost its "error" tail: no template.
        assert!(f.templates.is_empty());
    }

    #[test]
    fn escaped_backslash_n_is_not_a_line_end() {
        let data = concat!(
            r#"{"log":"a literal \\n","stream":"stdout","time":"T"}"#,
            "\n",
            r#"{"log":"more\n","stream":"stdout","time":"T"}"#,
            "\n"
        );
        let f = run(data);
        assert_eq!((f.records, f.lines), (2, 1));
        assert_eq!(f.tail[0].evidence.excerpt, "a literal \\nmore");
    }

    #[test]
    fn invalid_utf8_and_escapes() {
        let mut data = br#"{"log":"\u001b[31mred\u001b[0m \ud83d\ude00 \"q\"\n","stream":"stdout","time":"T"}"#.to_vec();
        data.push(b'\n');
        data.extend_from_slice(
            b"{\"log\":\"bad \xff\xfe bytes error\\n\",\"stream\":\"stdout\",\"time\":\"T\"}\n",
        );
        data.extend_from_slice(b"{\"stream\":\"stdout\",\"log\":\"slow \xff error\\n\"}\n");
        let f = parse(P, &data, &Limits::default());
        assert_eq!((f.records, f.lines, f.bad_records), (3, 3, 0));
        assert_eq!(
            f.tail[0].evidence.excerpt,
            "\u{1b}[31mred\u{1b}[0m 😀 \"q\""
        );
        assert_eq!(
            f.tail[1].evidence.excerpt,
            "bad \u{FFFD}\u{FFFD} bytes error"
        );
        assert_eq!(f.tail[2].evidence.excerpt, "slow \u{FFFD} error");
        assert_eq!(f.templates.len(), 2);
    }

    #[test]
    fn crlf_and_blank_lines() {
        let data = "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:00Z\"}\r\n\r\n{\"log\":\"b\\r\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:01Z\"}\r\n";
        let f = run(data);
        assert_eq!((f.records, f.lines, f.bad_records), (2, 2, 0));
        assert_eq!(f.tail[1].evidence.excerpt, "b");
        assert_eq!(f.tail[1].evidence.line, Some(3));
    }

    #[test]
    fn empty_file() {
        let f = run("");
        assert_eq!((f.records, f.lines, f.bad_records), (0, 0, 0));
        assert!(f.tail.is_empty() && f.diagnostics.is_empty() && f.first.is_none());
    }

    #[test]
    fn bad_records_counted_once() {
        let data = [
            rec("a\n", "stdout", "T"),
            "not json\n".to_string(),
            rec("b\n", "stdout", "T"),
            "{\"log\":\"x\"\n".to_string(),
        ]
        .concat();
        let f = run(&data);
        assert_eq!((f.records, f.lines, f.bad_records), (2, 2, 2));
        assert_eq!(f.diagnostics.len(), 1);
        assert!(
            f.diagnostics[0].message.contains("line 2"),
            "{}",
            f.diagnostics[0].message
        );
    }

    #[test]
    fn signatures_and_templates() {
        let mut data = String::new();
        for i in 0..3 {
            data.push_str(&rec(
                &format!("dial tcp: lookup redis (try {i}): no such host\n"),
                "stdout",
                "T",
            ));
        }
        data.push_str(&rec(
            "listen tcp :8080: bind: address already in use\n",
            "stderr",
            "T",
        ));
        data.push_str(&rec(
            "exec /app/run.sh: no such file or directory\n",
            "stderr",
            "T",
        ));
        data.push_str(&rec("/bin/sh: 1: gunicorn: not found\n", "stderr", "T"));
        data.push_str(&rec(
            "Error: EACCES: permission denied, open '/x'\n",
            "stderr",
            "T",
        ));
        data.push_str(&rec("Segmentation fault (core dumped)\n", "stderr", "T"));
        data.push_str(&rec("all good, 0 problems\n", "stdout", "T"));
        let f = run(&data);
        let kinds: Vec<_> = f.signatures.iter().map(|s| (s.kind, s.count)).collect();
        assert_eq!(
            kinds,
            vec![
                (SignatureKind::Crash, 1),
                (SignatureKind::Dns, 3),
                (SignatureKind::PermissionDenied, 1),
                (SignatureKind::NotFound, 2),
                (SignatureKind::AddressInUse, 1),
            ]
        );
        let dns = &f.signatures[1];
        assert_eq!(dns.first.evidence.line, Some(1));
        assert_eq!(dns.last.evidence.line, Some(3));
        assert_eq!(f.templates[0].count, 3);
        assert_eq!(
            f.templates[0].template,
            "dial tcp: lookup redis (try <N>): no such host"
        );
        assert_eq!(f.templates.len(), 6);
    }

    #[test]
    fn prefilter_covers_every_trigger() {
        let pats = patterns();
        let words = [
            "error",
            "fatal",
            "panic",
            "exception",
            "traceback",
            "failed",
            "failure",
            "denied",
            "refused",
            "timeout",
            "timed out",
            "cannot",
            "unable",
            "no such",
        ];
        for w in words {
            let cap = format!("{}{}", w[..1].to_uppercase(), &w[1..]);
            let mut forms = vec![w.to_string(), cap];
            if ["error", "fatal", "panic", "failed", "failure"].contains(&w) {
                forms.push(w.to_uppercase());
            }
            for v in forms {
                assert!(pats.prefilter.is_match(v.as_bytes()), "{v}");
                assert!(pats.error.is_match(v.as_bytes()), "{v}");
            }
        }
        let triggers = [
            "panic: x",
            "fatal error: x",
            "Traceback (most recent call last):",
            "Uncaught TypeError",
            "unhandled exception",
            "Exception in thread \"main\"",
            "SIGSEGV",
            "Segmentation fault",
            "(core dumped)",
            "FATAL: x",
            "no such host",
            "Name or service not known",
            "Temporary failure in name resolution",
            "Could not resolve host",
            "getaddrinfo ENOTFOUND db",
            "getaddrinfo EAI_AGAIN redis",
            "server misbehaving",
            "Permission denied",
            "EACCES",
            "Operation not permitted",
            "exec format error",
            "sh: foo: not found",
            "executable file not found in $PATH",
            "exec /app: no such file or directory",
            "address already in use",
            "EADDRINUSE",
        ];
        for t in triggers {
            assert!(pats.prefilter.is_match(t.as_bytes()), "{t}");
            assert!(
                pats.signatures
                    .iter()
                    .any(|(_, re)| re.is_match(t.as_bytes())),
                "{t}"
            );
        }
    }

    #[test]
    fn prefilter_hits_are_found_on_every_stdout_line() {
        let mut data = String::new();
        let mut want = 0;
        for i in 0..200 {
            let (text, stream) = match i % 7 {
                0 => ("connection refused by peer\n", "stdout"),
                1 => ("all fine\n", "stdout"),
                2 => ("stderr chatter\n", "stderr"),
                3 => ("ERROR two hits: timeout, Failed\n", "stdout"),
                4 => ("bad line", "junk"),
                _ => ("ok\n", "stdout"),
            };
            if stream == "junk" {
                data.push_str("{\"log\": nope}\n");
                continue;
            }
            if i % 7 != 1 && i % 7 < 4 {
                want += 1;
            }
            data.push_str(&rec(text, stream, "T"));
        }
        let f = run(&data);
        assert_eq!(f.templates.iter().map(|t| t.count).sum::<u64>(), want);
        assert_eq!(f.templates.len(), 3);
    }

    #[test]
    fn huge_physical_lines_stay_linear() {
        let mut data = Vec::new();
        // A 4 MB record, a 4 MB unterminated string full of escapes, and a
        // 4 MB line that ends like a record but has no opening.
        data.extend_from_slice(
            rec(&"é\"x".repeat(1 << 20), "stdout", "2026-01-01T00:00:00Z").as_bytes(),
        );
        data.extend_from_slice(b"{\"log\":\"");
        data.extend(std::iter::repeat(b"\\\"").take(1 << 20).flatten());
        data.push(b'\n');
        data.extend(std::iter::repeat(b'"').take(4 << 20));
        data.extend_from_slice(b",\"stream\":\"stdout\",\"time\":\"T\"}\n");
        let t = std::time::Instant::now();
        let f = parse(P, &data, &Limits::default());
        assert!(t.elapsed().as_secs() < 20);
        assert_eq!((f.records, f.lines, f.bad_records), (1, 1, 2));
        assert_eq!(f.tail[0].evidence.excerpt.chars().count(), 513);
    }

    #[test]
    fn detection() {
        assert!(looks_like_json_log(rec("x\n", "stdout", "T").as_bytes()));
        let long = rec(&"z".repeat(70_000), "stdout", "T");
        assert!(looks_like_json_log(&long.as_bytes()[..64 * 1024]));
        assert!(!looks_like_json_log(
            br#"[{"Id":"abc","State":{"Status":"exited"}}]"#
        ));
        assert!(!looks_like_json_log(
            br#"{"status":"die","id":"abc","from":"nginx","time":1700000000,"timeNano":1700000000000000000}"#
        ));
        assert!(!looks_like_json_log(
            b"{\n  \"log\": \"x\",\n  \"stream\": \"stdout\"\n}\n"
        ));
        assert!(!looks_like_json_log(b""));
    }

    #[test]
    fn time_ordering_with_trimmed_fractions() {
        assert_eq!(
            cmp_docker_time(
                b"2026-11-29T03:20:04.0996247Z",
                b"2026-11-29T03:20:04.09962471Z"
            ),
            Ordering::Less
        );
        assert_eq!(
            cmp_docker_time(b"2026-11-29T03:20:04Z", b"2026-11-29T03:20:04.1Z"),
            Ordering::Less
        );
        assert_eq!(
            cmp_docker_time(b"2026-11-29T03:20:05Z", b"2026-11-29T03:20:04.9Z"),
            Ordering::Greater
        );
    }
}
