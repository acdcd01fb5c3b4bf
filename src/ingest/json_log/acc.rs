//! The scan state of a json-file log, carried from one chunk of whole lines
//! to the next ([`Acc`]): counts, first/last times, the tail, error
//! templates, signatures and open partial chains; the hot loop over one
//! chunk ([`scan`]); the merge of a chunk scanned from a fresh start; and
//! the summary ([`finish`]).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, VecDeque};

use aho_corasick::Input;
use memchr::memchr_iter;

use super::patterns::{patterns, Patterns};
use super::record::Record;
use super::record::{parse_record, LogText};
use super::text::{decode_lossy, excerpt, mask_template, unescape_into};
use super::{
    name_info, trim_cr, LogFile, LogLine, Signature, SignatureKind, Stream, Template, TextGrammar,
    TextLine, MAX_TEMPLATES, MAX_TEMPLATE_KEYS, TAIL_KEEP_BYTES, TAIL_LINES,
};
use crate::model::{Diagnostic, Evidence, Limits};
use crate::time::Timestamp;

/// Where the text of a finished logical line lives.
enum LineText<'a, 'b> {
    /// Escaped JSON bytes borrowed from the file.
    Raw(&'a [u8]),
    /// Text borrowed from a text log: no escapes.
    Plain(&'a [u8]),
    /// Decoded bytes (a joined partial chain or a fallback record).
    Decoded(&'b [u8]),
}

enum TailText<'a> {
    Raw(&'a [u8]),
    Plain(&'a [u8]),
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
            &decode_lossy(&self.text),
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

pub(super) fn cmp_docker_time(a: &[u8], b: &[u8]) -> Ordering {
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
pub(super) struct Acc {
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
    /// A partial chain is open: the next chunk cannot be scanned from a fresh start.
    pub(super) fn pending_any(&self) -> bool {
        self.pending.iter().any(|p| p.active)
    }

    /// A new template was refused at `MAX_TEMPLATE_KEYS`: merged after
    /// other chunks, it might not have been.
    pub(super) fn refused_template(&self) -> bool {
        self.tpl_refused
    }

    /// Appends the result of scanning the next lines from a fresh start.
    /// Exact only when `self` has no open partial chain and `c` never
    /// refused a template: the caller checks both and rescans otherwise.
    /// Both sides are destructured in full, so a field added to `Acc` does
    /// not compile until it is merged here.
    pub(super) fn merge(&mut self, c: Acc) {
        let Acc {
            records,
            bad,
            first_bad,
            capped_lines,
            first_capped,
            min_raw,
            max_raw,
            min_ts,
            max_ts,
            lines,
            stderr_lines,
            tail,
            tpl_index,
            tpls,
            tpl_refused,
            sigs,
            pending,
            physical,
            scratch: _,
            tpl_buf: _,
        } = self;
        let Acc {
            records: c_records,
            bad: c_bad,
            first_bad: c_first_bad,
            capped_lines: c_capped_lines,
            first_capped: c_first_capped,
            min_raw: c_min_raw,
            max_raw: c_max_raw,
            min_ts: c_min_ts,
            max_ts: c_max_ts,
            lines: c_lines,
            stderr_lines: c_stderr_lines,
            tail: c_tail,
            // Rebuilt below from `c_tpls`, in their order.
            tpl_index: _,
            tpls: c_tpls,
            // The caller rescans instead of merging when it is set.
            tpl_refused: _,
            sigs: c_sigs,
            pending: c_pending,
            physical: c_physical,
            scratch: _,
            tpl_buf: _,
        } = c;
        let base = *physical;
        *records += c_records;
        *bad += c_bad;
        if *first_bad == 0 && c_first_bad != 0 {
            *first_bad = c_first_bad + base;
        }
        *capped_lines += c_capped_lines;
        if *first_capped == 0 && c_first_capped != 0 {
            *first_capped = c_first_capped + base;
        }
        merge_raw(min_raw, c_min_raw, Ordering::Less);
        merge_raw(max_raw, c_max_raw, Ordering::Greater);
        *min_ts = [*min_ts, c_min_ts].into_iter().flatten().min();
        *max_ts = [*max_ts, c_max_ts].into_iter().flatten().max();
        *lines += c_lines;
        *stderr_lines += c_stderr_lines;
        for mut e in c_tail {
            e.line += base;
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(e);
        }
        for (k, mut a) in c_tpls {
            if let Some(&i) = tpl_index.get(k.as_slice()) {
                tpls[i].1.count += a.count;
            } else if tpls.len() < MAX_TEMPLATE_KEYS {
                shift_line(&mut a.example, base);
                tpl_index.insert(k.clone(), tpls.len());
                tpls.push((k, a));
            } else {
                *tpl_refused = true;
            }
        }
        for mut s in c_sigs {
            shift_line(&mut s.first, base);
            s.last.line += base;
            match sigs.iter_mut().find(|a| a.kind == s.kind) {
                Some(acc) => {
                    acc.count += s.count;
                    acc.last = s.last;
                }
                None => sigs.push(s),
            }
        }
        for (mine, mut theirs) in pending.iter_mut().zip(c_pending) {
            theirs.end_line += base;
            *mine = theirs;
        }
        *physical += c_physical;
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
                LineText::Raw(_) | LineText::Plain(_) => candidate,
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
                LineText::Plain(d) | LineText::Decoded(d) => d,
            };
            let s = decode_lossy(bytes);
            self.analyse(&s, stream, &time, line);
            drop(s);
            self.acc.scratch = buf;
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        let text = match text {
            LineText::Raw(r) => TailText::Raw(r),
            LineText::Plain(r) => TailText::Plain(r),
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
        let mut is_error = (stream == Stream::Stderr && !self.pats.benign.is_match(s.as_bytes()))
            || self.pats.error.is_match(s.as_bytes());
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
                TailText::Plain(r) => r[..r.len().min(TAIL_KEEP_BYTES)].to_vec(),
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

/// The range of `part` inside `data`, when it is a slice of it.
fn span_in(data: &[u8], part: &[u8]) -> Option<(usize, usize)> {
    let from = (part.as_ptr() as usize).checked_sub(data.as_ptr() as usize)?;
    let to = from.checked_add(part.len())?;
    (to <= data.len()).then_some((from, to))
}

/// Scans whole physical lines (`data` ends with a newline unless it is the
/// end of the file), continuing the accumulator's partial chains and line
/// numbers. Lines are json-file records, or read by `grammar` for a text
/// log (whose text then needs no unescaping).
pub(super) fn scan(
    acc: &mut Acc,
    path: &str,
    data: &[u8],
    limits: &Limits,
    grammar: Option<&TextGrammar>,
) {
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
        let rec = match grammar {
            None if line.iter().all(|c| c.is_ascii_whitespace()) => continue,
            None => parse_record(line),
            Some(g) => match g(line) {
                TextLine::Skip => continue,
                TextLine::Bad => None,
                TextLine::Record {
                    time,
                    text,
                    stream,
                    ends_nl,
                } => Some(Record {
                    log: LogText::Plain(text),
                    ends_nl,
                    stream,
                    time: Cow::Borrowed(time),
                }),
            },
        };
        let Some(rec) = rec else {
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
                LogText::Plain(text) => {
                    // Only the text is searched: a stamp or a k8s-file
                    // stream tag is never evidence.
                    let candidate = rec.stream == Stream::Stderr
                        || span_in(data, text).is_some_and(|(from, to)| {
                            if hit.map_or(true, |h| h < from) && searched_to <= from {
                                hit = pats
                                    .prefilter
                                    .find(Input::new(data).span(from..data.len()))
                                    .map(|m| m.start());
                                searched_to = hit.map_or(data.len() + 1, |h| h + 1);
                            }
                            hit.is_some_and(|h| h >= from && h < to)
                        });
                    st.finish(
                        LineText::Plain(text),
                        rec.stream,
                        rec.time,
                        lineno,
                        candidate,
                    );
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
                LogText::Plain(t) => p.text.extend_from_slice(t),
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

/// Damage met while scanning, worded for the file's diagnostics.
#[derive(Debug, thiserror::Error)]
enum LogIssue<'p> {
    #[error("{path}: {count} line(s) are not json-file log records (first at line {first_line}); skipped")]
    NotRecords {
        path: &'p str,
        count: u64,
        first_line: u64,
    },
    #[error("{path}: {count} logical line(s) longer than {max_bytes} bytes (first ending at line {first_line}); text truncated")]
    LongLines {
        path: &'p str,
        count: u64,
        max_bytes: usize,
        first_line: u64,
    },
}

/// Closes partial chains still open at the end and builds the summary.
pub(super) fn finish(path: &str, limits: &Limits, acc: &mut Acc) -> LogFile {
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
        let issue = LogIssue::NotRecords {
            path,
            count: bad,
            first_line: first_bad,
        };
        out.diagnostics
            .push(Diagnostic::warning(path, issue.to_string()));
    }
    if capped_lines > 0 {
        let issue = LogIssue::LongLines {
            path,
            count: capped_lines,
            max_bytes: limits.max_line_bytes,
            first_line: first_capped,
        };
        out.diagnostics
            .push(Diagnostic::warning(path, issue.to_string()));
    }
    out.tail = acc
        .tail
        .iter()
        .map(|e| make_line(path, e.line, e.stream, &e.time, &decode_lossy(&e.text)))
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
