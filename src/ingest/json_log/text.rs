//! Text helpers: JSON unescaping, excerpts and error-line templates.

use std::borrow::Cow;

use memchr::memchr;

/// Appends the decoded form of a raw JSON string body to `out`. Lenient:
/// unknown escapes and lone surrogates never fail (the latter become
/// U+FFFD); bytes that are not UTF-8 are copied as they are.
pub(crate) fn unescape_into(raw: &[u8], out: &mut Vec<u8>) {
    let mut rest = raw;
    loop {
        let Some(k) = memchr(b'\\', rest) else {
            out.extend_from_slice(rest);
            return;
        };
        let (text, esc) = rest.split_at(k);
        out.extend_from_slice(text);
        let [_, c, after @ ..] = esc else {
            out.push(b'\\');
            return;
        };
        rest = after;
        match *c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'"' | b'\\' | b'/' => out.push(*c),
            b'u' => match hex4(after) {
                Some((u, after)) => {
                    rest = after;
                    let ch = if (0xD800..0xDC00).contains(&u) {
                        let low = rest
                            .strip_prefix(b"\\u")
                            .and_then(hex4)
                            .filter(|(l, _)| (0xDC00..0xE000).contains(l));
                        match low {
                            Some((l, after)) => {
                                rest = after;
                                char::from_u32(0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00))
                            }
                            None => None,
                        }
                    } else {
                        char::from_u32(u)
                    };
                    let ch = ch.unwrap_or('\u{FFFD}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                None => out.extend_from_slice(b"\\u"),
            },
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
}

/// Text as UTF-8, with every byte that is not part of valid UTF-8 read as
/// Latin-1 (`caf\xe9` is `café`): logs with stray Latin-1 bytes (#11) stay
/// readable and matchable, and no byte is dropped or hidden behind U+FFFD.
/// Valid UTF-8 is borrowed.
pub(crate) fn decode_lossy(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + 16);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(chunk.invalid().iter().map(|&b| char::from(b)));
    }
    Cow::Owned(out)
}

/// The value of the four hex digits `s` starts with, and what follows them.
fn hex4(s: &[u8]) -> Option<(u32, &[u8])> {
    let (hex, rest) = s.split_first_chunk::<4>()?;
    let mut v = 0u32;
    for &c in hex {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some((v, rest))
}

pub(crate) const EXCERPT_CHARS: usize = 512;

/// The text without its line terminator, cut to 512 characters (with `…`
/// appended when cut).
pub(crate) fn excerpt(text: &str) -> String {
    let t = text.strip_suffix('\n').unwrap_or(text);
    let t = t.strip_suffix('\r').unwrap_or(t);
    match t.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => {
            let mut s = String::with_capacity(cut + 3);
            s.push_str(&t[..cut]);
            s.push('…');
            s
        }
        None => t.to_string(),
    }
}

/// Cuts `s` to at most `max` bytes on a char boundary.
pub(crate) fn cut_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Writes the template of an error line into `out` (cleared first): UUIDs,
/// IPv4 addresses, hex ids (8+ hex digits with at least one digit, or
/// `0x…`) and numbers are masked; the first 512 bytes of the line are used.
pub(crate) fn mask_template(text: &str, out: &mut Vec<u8>) {
    out.clear();
    let t = text.strip_suffix('\n').unwrap_or(text);
    let t = t.strip_suffix('\r').unwrap_or(t);
    let b = cut_str(t, EXCERPT_CHARS).as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let boundary =
            i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.' || b[i - 1] == b'_');
        if boundary && c.is_ascii_hexdigit() {
            if let Some(n) = uuid_len(&b[i..]) {
                out.extend_from_slice(b"<UUID>");
                i += n;
                continue;
            }
            if let Some(n) = ipv4_len(&b[i..]) {
                out.extend_from_slice(b"<IP>");
                i += n;
                continue;
            }
            let hex = b[i..].strip_prefix(b"0x");
            if let Some(hex) = hex.or_else(|| b[i..].strip_prefix(b"0X")) {
                let n = hex.iter().take_while(|c| c.is_ascii_hexdigit()).count();
                if n > 0 && !next_is_word(hex, n) {
                    out.extend_from_slice(b"<HEX>");
                    i = b.len() - hex.len() + n;
                    continue;
                }
            }
            let n = b[i..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
            if n >= 8 && !next_is_word(b, i + n) && b[i..i + n].iter().any(|c| c.is_ascii_digit()) {
                out.extend_from_slice(b"<HEX>");
                i += n;
                continue;
            }
            if c.is_ascii_digit() {
                let n = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                i += n;
                if let Some(frac) = b[i..].strip_prefix(b".") {
                    let f = frac.iter().take_while(|c| c.is_ascii_digit()).count();
                    if f > 0 {
                        i = b.len() - frac.len() + f;
                    }
                }
                out.extend_from_slice(b"<N>");
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
}

fn next_is_word(b: &[u8], i: usize) -> bool {
    b.get(i)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

fn uuid_len(b: &[u8]) -> Option<usize> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut i = 0;
    for (g, &len) in GROUPS.iter().enumerate() {
        if g > 0 {
            if b.get(i) != Some(&b'-') {
                return None;
            }
            i += 1;
        }
        let part = b.get(i..i + len)?;
        if !part.iter().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        i += len;
    }
    (!next_is_word(b, i)).then_some(i)
}

fn ipv4_len(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    for part in 0..4 {
        if part > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let n = b[i..]
            .iter()
            .take(4)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 || n > 3 {
            return None;
        }
        i += n;
    }
    if next_is_word(b, i)
        || (b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
    {
        return None;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn un(s: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        unescape_into(s, &mut v);
        v
    }

    fn tpl(s: &str) -> String {
        let mut v = Vec::new();
        mask_template(s, &mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn unescape() {
        assert_eq!(un(br#"a\"b\\n\n"#), b"a\"b\\n\n");
        assert_eq!(un(br#"\u001b[31mred\u001b[0m"#), b"\x1b[31mred\x1b[0m");
        assert_eq!(un(br#"\ud83d\ude00!"#), "😀!".as_bytes());
        assert_eq!(un(br#"\ud83dx"#), "\u{FFFD}x".as_bytes());
        assert_eq!(un(br#"\udc00"#), "\u{FFFD}".as_bytes());
        assert_eq!(un(br#"\u00e9\u003c"#), "é<".as_bytes());
        assert_eq!(un(br#"bad\q\u12"#), b"bad\\q\\u12");
        assert_eq!(un(b"\xff\\t"), b"\xff\t");
        assert_eq!(un(b"end\\"), b"end\\");
    }

    #[test]
    fn stray_latin1_is_decoded_not_dropped() {
        assert_eq!(decode_lossy(b"caf\xe9 au lait"), "café au lait");
        assert_eq!(decode_lossy("café".as_bytes()), "café");
        // A cut UTF-8 sequence is kept byte by byte too.
        assert_eq!(decode_lossy(b"x\xe2\x82"), "x\u{e2}\u{82}");
        assert!(matches!(decode_lossy(b"ok"), Cow::Borrowed("ok")));
    }

    #[test]
    fn excerpts() {
        assert_eq!(excerpt("abc\r\n"), "abc");
        let long = "é".repeat(600);
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), 513);
        assert!(e.ends_with('…'));
        assert_eq!(excerpt(&"x".repeat(512)), "x".repeat(512));
    }

    #[test]
    fn templates() {
        assert_eq!(
            tpl("level=error msg=\"upstream timeout\" upstream=payments attempt=12\n"),
            "level=error msg=\"upstream timeout\" upstream=payments attempt=<N>"
        );
        assert_eq!(
            tpl("panic: runtime error: index out of range [3] with length 3"),
            "panic: runtime error: index out of range [<N>] with length <N>"
        );
        assert_eq!(
            tpl("dial tcp 10.0.0.12:6379: connect: connection refused"),
            "dial tcp <IP>:<N>: connect: connection refused"
        );
        assert_eq!(
            tpl("container 3fc81dee3c0b581f failed id=123e4567-e89b-12d3-a456-426614174000 at 0x7ffd12 took=\"1.5\""),
            "container <HEX> failed id=<UUID> at <HEX> took=\"<N>\""
        );
        assert_eq!(
            tpl("sha256 v1.8.2 deadbeefcafe failed"),
            "sha256 v1.8.2 deadbeefcafe failed"
        );
    }
}
