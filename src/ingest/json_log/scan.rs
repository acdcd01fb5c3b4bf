//! Reading one json-file record from one physical line: a fast path over the
//! fixed key order dockerd writes, and a `serde_json` fallback for anything
//! else.

use std::borrow::Cow;

use memchr::{memchr, memchr2};
use serde::Deserialize;

use super::Stream;

/// The `log` value of a record.
pub(crate) enum LogText<'a> {
    /// The raw bytes between the quotes, JSON escapes still in place.
    Raw(&'a [u8]),
    /// Already decoded (fallback path).
    Decoded(String),
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

/// `{"log":"…","stream":"stdout|stderr",("attrs":{…},)"time":"…"}`.
fn parse_fast(line: &[u8]) -> Option<Record<'_>> {
    let rest = line.strip_prefix(b"{\"log\":\"")?;
    let (end, ends_nl) = scan_string(rest)?;
    let raw = &rest[..end];
    let r = rest[end + 1..].strip_prefix(b",\"stream\":\"")?;
    let stream = if r.starts_with(b"stdout\"") {
        Stream::Stdout
    } else if r.starts_with(b"stderr\"") {
        Stream::Stderr
    } else {
        return None;
    };
    let mut r = &r[7..];
    if let Some(a) = r.strip_prefix(b",\"attrs\":") {
        let n = skip_object(a)?;
        r = &a[n..];
    }
    let r = r.strip_prefix(b",\"time\":\"")?;
    let q = memchr(b'"', r)?;
    let time = &r[..q];
    if memchr(b'\\', time).is_some() {
        return None;
    }
    let r = r[q + 1..].strip_prefix(b"}")?;
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
    let mut i = 0;
    let mut last_esc_end = usize::MAX;
    let mut last_esc_nl = false;
    loop {
        let j = i + memchr2(b'"', b'\\', &s[i..])?;
        if s[j] == b'"' {
            return Some((j, last_esc_end == j && last_esc_nl));
        }
        let c = *s.get(j + 1)?;
        if c == b'u' {
            let hex = s.get(j + 2..j + 6)?;
            last_esc_nl = hex.eq_ignore_ascii_case(b"000a");
            i = j + 6;
        } else {
            last_esc_nl = c == b'n';
            i = j + 2;
        }
        last_esc_end = i;
    }
}

/// Skips a JSON object starting at `s[0] == '{'`; returns the index after
/// its closing brace.
fn skip_object(s: &[u8]) -> Option<usize> {
    if s.first() != Some(&b'{') {
        return None;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'"' => {
                let (e, _) = scan_string(&s[i + 1..])?;
                i += e + 1;
            }
            _ => {}
        }
        i += 1;
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
        // serde_json refuses invalid UTF-8; dockerd never writes it, but a
        // damaged file may hold some.
        Err(_) => serde_json::from_str(&String::from_utf8_lossy(line)).ok()?,
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
