//! Text encodings people produce (#11): Windows PowerShell 5.1's `>`
//! redirection writes UTF-16LE with a byte-order mark (and CRLF), other
//! tools UTF-16BE or UTF-8 with a BOM. Such text is recognised by its BOM and
//! decoded to UTF-8 once, with std's UTF-16 decoder (unpaired surrogates
//! become U+FFFD), before it is identified; CRLF is left to the readers,
//! which drop a trailing `\r`. Decoding keeps every `\n`, so evidence line
//! numbers stay those of the original file.

/// An encoding announced by a byte-order mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bom {
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl Bom {
    pub fn as_str(self) -> &'static str {
        match self {
            Bom::Utf8 => "UTF-8 with a BOM",
            Bom::Utf16Le => "UTF-16LE",
            Bom::Utf16Be => "UTF-16BE",
        }
    }

    fn len(self) -> usize {
        match self {
            Bom::Utf8 => 3,
            Bom::Utf16Le | Bom::Utf16Be => 2,
        }
    }
}

/// The byte-order mark `data` starts with, if any.
pub fn sniff(data: &[u8]) -> Option<Bom> {
    match data {
        [0xEF, 0xBB, 0xBF, ..] => Some(Bom::Utf8),
        [0xFF, 0xFE, ..] => Some(Bom::Utf16Le),
        [0xFE, 0xFF, ..] => Some(Bom::Utf16Be),
        _ => None,
    }
}

/// The text after its BOM, as UTF-8, and how many code units could not be
/// decoded (an odd trailing byte, unpaired surrogates). UTF-8 input is
/// borrowed as it is.
pub fn to_utf8(data: &[u8], bom: Bom) -> (std::borrow::Cow<'_, [u8]>, usize) {
    let body = &data[bom.len().min(data.len())..];
    let units = body.chunks_exact(2).map(|p| match bom {
        Bom::Utf16Be => u16::from_be_bytes([p[0], p[1]]),
        _ => u16::from_le_bytes([p[0], p[1]]),
    });
    if bom == Bom::Utf8 {
        return (std::borrow::Cow::Borrowed(body), 0);
    }
    let mut out = String::with_capacity(body.len() / 2 + 16);
    let mut bad = body.len() % 2;
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => out.push(c),
            Err(_) => {
                bad += 1;
                out.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }
    (std::borrow::Cow::Owned(out.into_bytes()), bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend(u.to_le_bytes());
        }
        v
    }

    #[test]
    fn decodes_utf16le_and_be_keeping_lines() {
        let text = "[{\r\n  \"Id\": \"é\"\r\n}]\r\n";
        let le = utf16le(text);
        assert_eq!(sniff(&le), Some(Bom::Utf16Le));
        let (d, bad) = to_utf8(&le, Bom::Utf16Le);
        assert_eq!((d.as_ref(), bad), (text.as_bytes(), 0));
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            be.extend(u.to_be_bytes());
        }
        let (d, _) = to_utf8(&be, Bom::Utf16Be);
        assert_eq!(d.as_ref(), text.as_bytes());
    }

    #[test]
    fn odd_bytes_and_lone_surrogates_are_counted_not_fatal() {
        let mut v = utf16le("ab");
        v.extend([0x00, 0xD8]); // a lone high surrogate
        v.push(0x41); // an odd trailing byte
        let (d, bad) = to_utf8(&v, Bom::Utf16Le);
        assert_eq!(String::from_utf8_lossy(&d), "ab\u{FFFD}");
        assert_eq!(bad, 2);
    }
}
