//! tar-split streams: the tar headers of a layer without its file bodies.
//!
//! Docker keeps one `tar-split.json.gz` per layer in
//! `image/<driver>/layerdb/sha256/<chain id>/` so that it can rebuild the
//! exact layer tar from the unpacked files. Each line is one JSON object
//! (vbatts/tar-split `tar/storage/entry.go`):
//! - `{"type":2,"payload":"<base64>","position":N}`: a *segment*, raw bytes of
//!   the tar stream that are not file content: headers (PAX and GNU long-name
//!   records included), the padding after a body, the end-of-archive blocks;
//! - `{"type":1,"name":"…","size":N,"payload":"<crc64>","position":N}`: a
//!   *file* entry, standing for `size` body bytes that the stream leaves out.
//!
//! [`index`] lays the segments end to end with a hole of `size` zero bytes
//! per file entry, which is the layer tar with every body blanked, and walks
//! it with the same tar index (and the same header guards and limits) as any
//! other archive. No body is ever held: a hole is produced 8 KiB at a time
//! as the walk skips over it, and the holes together are capped by
//! `max_decompressed_bytes`, like any inflated stream.

use std::borrow::Cow;
use std::io::{self, BufRead, Read, Seek, SeekFrom};

use base64::Engine as _;
use serde::Deserialize;

use super::tar_index::{self, TarError, TarIndex};
use crate::model::Limits;

/// One line of a tar-split stream; only what rebuilding the headers needs.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    size: i64,
    #[serde(borrow, default)]
    payload: Option<Cow<'a, str>>,
}

const FILE: u8 = 1;
const SEGMENT: u8 = 2;

/// Why a tar-split stream could not be read to its end.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TarSplitError {
    #[error("line {line}: not a tar-split record: {cause}")]
    Record { line: u64, cause: String },
    #[error("stream unreadable: {cause}")]
    Unreadable { cause: String },
    #[error("line {line}: segment payload is not base64")]
    Payload { line: u64 },
    #[error("line {line}: record type {kind} is neither a file (1) nor a segment (2)")]
    Kind { line: u64, kind: u8 },
    #[error("line {line}: negative file size {size}")]
    Size { line: u64, size: i64 },
    #[error("line {line}: record longer than {limit} bytes")]
    LongLine { line: u64, limit: u64 },
    #[error("file sizes add up to more than {limit} bytes (raise --max-decompressed-bytes)")]
    TooLarge { limit: u64 },
}

/// The layer tar rebuilt from a tar-split stream, bodies blanked.
struct Blanked<R> {
    lines: R,
    line: u64,
    buf: Vec<u8>,
    segment: Vec<u8>,
    at: usize,
    hole: u64,
    holes_total: u64,
    /// Bytes of the rebuilt tar handed out so far.
    produced: u64,
    limits: Limits,
    /// The first problem met; the walk then sees the end of the stream.
    error: Option<TarSplitError>,
}

impl<R: BufRead> Blanked<R> {
    /// Reads records until there are bytes to hand out; false at the end.
    fn refill(&mut self) -> bool {
        while self.at >= self.segment.len() && self.hole == 0 {
            if self.error.is_some() {
                return false;
            }
            match self.next_record() {
                Ok(true) => {}
                Ok(false) => return false,
                Err(e) => {
                    // Nothing of a bad record (a half-decoded payload) is
                    // handed out.
                    self.segment.clear();
                    self.at = 0;
                    self.hole = 0;
                    self.error = Some(e);
                    return false;
                }
            }
        }
        self.error.is_none()
    }

    fn next_record(&mut self) -> Result<bool, TarSplitError> {
        // A segment holds at most a few headers; a PAX header is capped by
        // the tar guard anyway. Base64 and JSON add about a third.
        let limit = self.limits.max_header_bytes.saturating_mul(2) + (1 << 20);
        self.buf.clear();
        self.line += 1;
        let line = self.line;
        let n = (&mut self.lines)
            .take(limit + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(|_| TarSplitError::LongLine { line, limit })?;
        if n == 0 {
            return Ok(false);
        }
        if n as u64 > limit {
            return Err(TarSplitError::LongLine { line, limit });
        }
        let text = self.buf.trim_ascii();
        if text.is_empty() {
            return Ok(true);
        }
        // Most lines are segments, written by Go's encoding/json as
        // `{"type":2,"payload":"<base64>",…}`: base64 needs no escapes, so
        // the payload is taken between its quotes; anything else (and a
        // payload with a backslash) goes through serde.
        const SEG: &[u8] = b"{\"type\":2,\"payload\":\"";
        if let Some(rest) = text.strip_prefix(SEG) {
            if let Some(end) = memchr::memchr(b'"', rest) {
                let payload = &rest[..end];
                if memchr::memchr(b'\\', payload).is_none() {
                    self.segment.clear();
                    self.at = 0;
                    base64::engine::general_purpose::STANDARD
                        .decode_vec(payload, &mut self.segment)
                        .map_err(|_| TarSplitError::Payload { line })?;
                    return Ok(true);
                }
            }
        }
        let rec: Record = serde_json::from_slice(text).map_err(|e| TarSplitError::Record {
            line,
            cause: e.to_string(),
        })?;
        match rec.kind {
            SEGMENT => {
                self.segment.clear();
                self.at = 0;
                if let Some(p) = rec.payload {
                    base64::engine::general_purpose::STANDARD
                        .decode_vec(p.as_bytes(), &mut self.segment)
                        .map_err(|_| TarSplitError::Payload { line })?;
                }
            }
            FILE => {
                let size = u64::try_from(rec.size).map_err(|_| TarSplitError::Size {
                    line,
                    size: rec.size,
                })?;
                self.holes_total = self.holes_total.saturating_add(size);
                if self.holes_total > self.limits.max_decompressed_bytes {
                    return Err(TarSplitError::TooLarge {
                        limit: self.limits.max_decompressed_bytes,
                    });
                }
                self.hole = size;
            }
            kind => return Err(TarSplitError::Kind { line, kind }),
        }
        Ok(true)
    }
}

impl<R: BufRead> Read for Blanked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() || !self.refill() {
            return Ok(0);
        }
        if self.at < self.segment.len() {
            let n = out.len().min(self.segment.len() - self.at);
            out[..n].copy_from_slice(&self.segment[self.at..self.at + n]);
            self.at += n;
            self.produced += n as u64;
            return Ok(n);
        }
        let n = out.len().min(8192).min(self.hole as usize);
        out[..n].fill(0);
        self.hole -= n as u64;
        self.produced += n as u64;
        Ok(n)
    }
}

/// Forward seeks only (what the tar walk uses to pass over a body): a
/// hole is passed over without producing its zeros.
impl<R: BufRead> Seek for Blanked<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let mut left = match to {
            SeekFrom::Current(n) if n >= 0 => n as u64,
            SeekFrom::Start(p) if p >= self.produced => p - self.produced,
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "a tar-split stream seeks forward only",
                ))
            }
        };
        while left > 0 && self.refill() {
            let n = if self.at < self.segment.len() {
                let n = left.min((self.segment.len() - self.at) as u64);
                self.at += n as usize;
                n
            } else {
                let n = left.min(self.hole);
                self.hole -= n;
                n
            };
            self.produced += n;
            left -= n;
        }
        Ok(self.produced)
    }
}

/// Indexes the layer a tar-split stream describes (`lines` is the
/// decompressed JSON-lines text). Entries read before a damaged record are
/// kept; the damage is the index's error, worded with the record's line.
pub fn index<R: BufRead>(lines: R, limits: &Limits) -> TarIndex {
    let mut blanked = Blanked {
        lines,
        line: 0,
        buf: Vec::new(),
        segment: Vec::new(),
        at: 0,
        hole: 0,
        holes_total: 0,
        produced: 0,
        limits: limits.clone(),
        error: None,
    };
    // Bodies are seeked over: the holes are never produced.
    let mut idx = tar_index::index_seekable(&mut blanked, limits);
    let end = blanked.produced;
    if blanked.error.is_none()
        && idx.error.is_none()
        && idx
            .entries
            .last()
            .is_some_and(|e| e.size > 0 && e.data_offset.saturating_add(e.size) > end)
    {
        // The stream ended inside the last body: as a cut tar, that entry
        // is not kept.
        idx.entries.pop();
        idx.error = Some(TarError::EndsInsideEntry { len: end });
    }
    if let Some(e) = blanked.error.take() {
        // As in a truncated tar, an entry whose body was cut is not kept.
        let end = blanked.produced;
        idx.entries
            .retain(|e| e.size == 0 || e.data_offset.saturating_add(e.size) <= end);
        // The record's own problem says more than the walk's "truncated".
        idx.error = Some(TarError::Split(e));
    }
    idx
}

/// True when `head` (decompressed) starts like a tar-split stream.
pub fn looks_like_tar_split(head: &[u8]) -> bool {
    let head = head.trim_ascii_start();
    head.starts_with(b"{\"type\":1,") || head.starts_with(b"{\"type\":2,")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::tar_index::tests::build as tar_of;
    use crate::archive::tar_index::EntryKind;

    /// Splits a tar the way tar-split does: a segment for everything that
    /// is not a body, a file record per body.
    fn split(tar: &[u8]) -> String {
        let idx = tar_index::index_slice(tar, &Limits::default());
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let mut out = String::new();
        let mut at = 0usize;
        for (pos, e) in idx.entries.iter().enumerate() {
            let start = e.data_offset as usize;
            out.push_str(&format!(
                "{{\"type\":2,\"payload\":\"{}\",\"position\":{}}}\n",
                b64(&tar[at..start]),
                pos * 2
            ));
            out.push_str(&format!(
                "{{\"type\":1,\"name\":\"{}\",\"size\":{},\"payload\":null,\"position\":{}}}\n",
                e.path,
                e.size,
                pos * 2 + 1
            ));
            at = start + e.size as usize;
        }
        out.push_str(&format!(
            "{{\"type\":2,\"payload\":\"{}\",\"position\":{}}}\n",
            b64(&tar[at..]),
            idx.entries.len() * 2
        ));
        out
    }

    #[test]
    fn a_split_layer_indexes_like_the_tar_itself() {
        let long = format!("app/{}/deep.txt", "d".repeat(150));
        let tar = tar_of(&[
            ("app/cache.bin", &[7u8; 3000][..]),
            ("app/.wh.old", b""),
            (long.as_str(), b"hello"),
        ]);
        let idx = index(split(&tar).as_bytes(), &Limits::default());
        assert_eq!(idx.error, None);
        let direct = tar_index::index_slice(&tar, &Limits::default());
        let view = |i: &TarIndex| -> Vec<(String, u64, EntryKind)> {
            i.entries
                .iter()
                .map(|e| (e.path.clone(), e.size, e.kind))
                .collect()
        };
        assert_eq!(view(&idx), view(&direct));
        assert_eq!(idx.entries[2].path, long);
    }

    #[test]
    fn damage_keeps_what_came_before_and_says_which_line() {
        let tar = tar_of(&[("a", b"1"), ("b", b"22")]);
        let text = split(&tar);
        let mut lines: Vec<&str> = text.lines().collect();
        lines.truncate(3);
        let cut = format!("{}\n{{\"type\":2,\"payload\":\"@@@\"}}\n", lines.join("\n"));
        let idx = index(cut.as_bytes(), &Limits::default());
        assert_eq!(idx.entries.len(), 1, "{:?}", idx);
        let err = idx.error.unwrap().to_string();
        assert!(err.contains("line 4") && err.contains("base64"), "{err}");
        let idx = index(&b"{\"type\":9}\n"[..], &Limits::default());
        assert!(idx.error.unwrap().to_string().contains("neither"));
        let idx = index(&b"not json\n"[..], &Limits::default());
        assert!(idx.error.unwrap().to_string().contains("line 1"));
    }

    #[test]
    fn file_sizes_are_capped_like_inflated_bytes() {
        let limits = Limits {
            max_decompressed_bytes: 1 << 20,
            ..Limits::default()
        };
        let tar = tar_of(&[("big", &vec![0u8; 2 << 20][..])]);
        let idx = index(split(&tar).as_bytes(), &limits);
        assert!(idx
            .error
            .unwrap()
            .to_string()
            .contains("--max-decompressed-bytes"));
        // A lying size: a petabyte hole is refused, not skipped.
        let lie = "{\"type\":1,\"name\":\"x\",\"size\":1125899906842624,\"payload\":null,\"position\":0}\n";
        let idx = index(lie.as_bytes(), &Limits::default());
        assert!(idx.error.unwrap().to_string().contains("add up"));
        assert!(looks_like_tar_split(split(&tar).as_bytes()));
        assert!(!looks_like_tar_split(b"{\"log\":\"x\"}"));
    }
}
