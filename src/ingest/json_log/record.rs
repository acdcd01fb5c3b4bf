//! Reading one json-file record from one physical line: a fast path over the
//! fixed key order dockerd writes, and a `serde_json` fallback for anything
//! else. Offsets come from searches and `strip_prefix`/`strip_suffix`.

use std::borrow::Cow;

use memchr::{memchr, memchr2, memrchr};
use serde::Deserialize;

use super::Stream;

/// The `log` value of a record.
pub(crate) enum LogText<'a> {
    /// The raw bytes between the quotes, JSON escapes still in place.
    Raw(&'a [u8]),
    /// Already decoded (fallback path).
    Decoded(String),
    /// Text borrowed from a text log (`docker logs`, k8s-file): no escapes.
    Plain(&'a [u8]),
}

pub(crate) struct Record<'a> {
    pub log: LogText<'a>,
    /// The `log` value ends with a newline: the record completes a line.
    pub ends_nl: bool,
    pub stream: Stream,
    /// The raw `time` value; empty when the record has none.
    pub time: Cow<'a, [u8]>,
}

/// Parses one physical line (without its line terminator).
pub(crate) fn parse_record(line: &[u8]) -> Option<Record<'_>> {
    parse_fast(line).or_else(|| parse_slow(line))
}

/// How every record dockerd writes begins: the `log` key and the opening
/// quote of its value.
const LOG_KEY: &[u8] = b"{\"log\":\"";

/// The bytes before and after the byte at `i` (found by a search), which
/// is dropped.
fn split_around(s: &[u8], i: usize) -> (&[u8], &[u8]) {
    let (before, at) = s.split_at(i);
    (before, at.split_first().map_or(&[][..], |(_, after)| after))
}

/// The common shape without attrs, read from the end of the line so the
/// log text is never scanned: `…","stream":"stdXXX","time":"…"}`. In valid
/// JSON the bytes `","stream":"` cannot occur inside a string (every quote
/// there is escaped), so the first of them closes the `log` value.
fn parse_tail_first(line: &[u8]) -> Option<Record<'_>> {
    const STREAM_KEY: &[u8; 15] = br#"","stream":"std"#;
    let rest = line.strip_prefix(LOG_KEY)?;
    let body = rest.strip_suffix(b"\"}")?;
    let (before, time) = split_around(body, memrchr(b'"', body)?);
    let before = before.strip_suffix(b",\"time\":")?;
    // Fixed-size comparisons compile to a few word compares, not calls.
    let (before, std) = before.split_last_chunk::<4>()?;
    let stream = match std {
        br#"out""# => Stream::Stdout,
        br#"err""# => Stream::Stderr,
        _ => return None,
    };
    let (raw, key) = before.split_last_chunk::<{ STREAM_KEY.len() }>()?;
    if key != STREAM_KEY {
        return None;
    }
    // The closing quote must not be escaped, and a final `\n` must not be
    // an escaped backslash followed by `n`.
    let slashes = |b: &[u8]| b.iter().rev().take_while(|&&c| c == b'\\').count();
    if slashes(raw) % 2 == 1 {
        return None;
    }
    let ends_nl = match raw {
        [head @ .., b'\\', b'n'] => slashes(head) % 2 == 0,
        [head @ .., b'\\', b'u', b'0', b'0', b'0', a] if a.eq_ignore_ascii_case(&b'a') => {
            slashes(head) % 2 == 0
        }
        _ => false,
    };
    Some(Record {
        log: LogText::Raw(raw),
        ends_nl,
        stream,
        time: Cow::Borrowed(time),
    })
}

/// `{"log":"…","stream":"stdout|stderr",("attrs":{…},)"time":"…"}`.
fn parse_fast(line: &[u8]) -> Option<Record<'_>> {
    parse_tail_first(line).or_else(|| parse_forward(line))
}

/// Reads the record front to back, skipping `attrs`.
fn parse_forward(line: &[u8]) -> Option<Record<'_>> {
    let rest = line.strip_prefix(LOG_KEY)?;
    let (end, ends_nl) = scan_string(rest)?;
    let (raw, after) = split_around(rest, end);
    let r = after.strip_prefix(b",\"stream\":\"")?;
    let (stream, mut r) = if let Some(r) = r.strip_prefix(b"stdout\"") {
        (Stream::Stdout, r)
    } else if let Some(r) = r.strip_prefix(b"stderr\"") {
        (Stream::Stderr, r)
    } else {
        return None;
    };
    if let Some(a) = r.strip_prefix(b",\"attrs\":") {
        let n = skip_object(a)?;
        r = a.split_at(n).1;
    }
    let r = r.strip_prefix(b",\"time\":\"")?;
    let (time, after) = split_around(r, memchr(b'"', r)?);
    if memchr(b'\\', time).is_some() {
        return None;
    }
    let r = after.strip_prefix(b"}")?;
    if !r.iter().all(|c| c.is_ascii_whitespace()) {
        return None;
    }
    Some(Record {
        log: LogText::Raw(raw),
        ends_nl,
        stream,
        time: Cow::Borrowed(time),
    })
}

/// Finds the closing quote of a JSON string whose opening quote was just
/// consumed. Returns its index and whether the value ends with a newline
/// escape (`\n` or `\u000a`), which a literal `\\n` does not.
pub(crate) fn scan_string(s: &[u8]) -> Option<(usize, bool)> {
    let mut rest = s;
    // The escape just before `rest` was a newline (`\n`, `\u000a`).
    let mut after_nl_escape = false;
    loop {
        let j = memchr2(b'"', b'\\', rest)?;
        let (_, at) = rest.split_at(j);
        let nl = match at {
            [b'"', ..] => return Some((s.len() - at.len(), j == 0 && after_nl_escape)),
            [b'\\', b'u', tail @ ..] => {
                let (hex, after) = tail.split_first_chunk::<4>()?;
                rest = after;
                hex.eq_ignore_ascii_case(b"000a")
            }
            [b'\\', c, after @ ..] => {
                rest = after;
                *c == b'n'
            }
            _ => return None,
        };
        after_nl_escape = nl;
    }
}

/// Skips a JSON object starting at `s[0] == '{'`; returns the index after
/// its closing brace.
fn skip_object(s: &[u8]) -> Option<usize> {
    if s.first() != Some(&b'{') {
        return None;
    }
    let mut depth = 0usize;
    let mut rest = s;
    while let Some((&c, after)) = rest.split_first() {
        rest = after;
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(s.len() - rest.len());
                }
            }
            b'"' => {
                let (end, _) = scan_string(rest)?;
                rest = split_around(rest, end).1;
            }
            _ => {}
        }
    }
    None
}

#[derive(Deserialize)]
struct SlowRecord {
    log: String,
    stream: String,
    #[serde(default)]
    time: Option<String>,
}

fn parse_slow(line: &[u8]) -> Option<Record<'static>> {
    let first = line.iter().position(|c| !c.is_ascii_whitespace())?;
    if line[first] != b'{' {
        return None;
    }
    let rec: SlowRecord = match std::str::from_utf8(line) {
        Ok(s) => serde_json::from_str(s).ok()?,
        // serde_json refuses invalid UTF-8; dockerd never writes it (Go's
        // encoder writes `\ufffd`), but another writer or damage may: such
        // bytes are read as Latin-1, as the fast path's text is.
        Err(_) => serde_json::from_str(&super::text::decode_lossy(line)).ok()?,
    };
    let stream = match rec.stream.as_str() {
        "stdout" => Stream::Stdout,
        "stderr" => Stream::Stderr,
        _ => return None,
    };
    Some(Record {
        ends_nl: rec.log.ends_with('\n'),
        log: LogText::Decoded(rec.log),
        stream,
        time: Cow::Owned(rec.time.unwrap_or_default().into_bytes()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newline_escape_detection() {
        assert_eq!(scan_string(br#"a\n""#), Some((3, true)));
        assert_eq!(scan_string(br#"a\\n""#), Some((4, false)));
        assert_eq!(scan_string(br#"a\\\n""#), Some((5, true)));
        assert_eq!(scan_string(br#"a\u000A""#), Some((7, true)));
        assert_eq!(scan_string(br#"a\"b""#), Some((4, false)));
        assert_eq!(scan_string(br#"a\n"#), None);
        assert_eq!(scan_string(br#"a\"#), None);
    }

    #[test]
    fn tail_first_agrees_with_forward_scan() {
        let cases: [&[u8]; 8] = [
            br#"{"log":"x\n","stream":"stdout","time":"T"}"#,
            br#"{"log":"x\\n","stream":"stdout","time":"T"}"#,
            br#"{"log":"x\\\n","stream":"stderr","time":"T"}"#,
            br#"{"log":"\"q\",\"stream\":\"stdout\"\n","stream":"stderr","time":"T"}"#,
            br#"{"log":"a\u000A","stream":"stdout","time":"2026-01-01T00:00:00Z"}"#,
            br#"{"log":"","stream":"stdout","time":""}"#,
            br#"{"log":"\n","stream":"stdout","time":"T"}"#,
            br#"{"log":"x\"","stream":"stdout","time":"T"}"#,
        ];
        for c in cases {
            let fwd = parse_forward(c);
            let tail = parse_tail_first(c);
            let key = |r: &Option<Record>| {
                r.as_ref().map(|r| match r.log {
                    LogText::Raw(raw) => (raw.to_vec(), r.ends_nl, r.stream, r.time.to_vec()),
                    LogText::Decoded(_) | LogText::Plain(_) => unreachable!(),
                })
            };
            assert_eq!(key(&fwd), key(&tail), "{}", String::from_utf8_lossy(c));
        }
        assert!(
            parse_tail_first(br#"{"log":"x\n","stream":"stdout","attrs":{},"time":"T"}"#).is_none()
        );
    }

    #[test]
    fn fast_and_slow_paths() {
        let r = parse_record(br#"{"log":"x\n","stream":"stderr","attrs":{"a":"}\"{"},"time":"T"}"#)
            .unwrap();
        assert!(matches!(r.log, LogText::Raw(b"x\\n")));
        assert!(r.ends_nl);
        assert_eq!(r.stream, Stream::Stderr);
        assert_eq!(&*r.time, b"T");
        let r = parse_record(br#"{"time":"T","stream":"stdout","log":"y"}"#).unwrap();
        assert!(matches!(r.log, LogText::Decoded(ref s) if s == "y"));
        assert!(!r.ends_nl);
        assert!(parse_record(br#"{"log":"x\n","stream":"stdin","time":"T"}"#).is_none());
        assert!(parse_record(br#""log":"x\n","stream":"stdout","time":"T"}"#).is_none());
        assert!(parse_record(br#"{"log":"x\n","stream":"stdout","time":"T"} junk"#).is_none());
    }
}
