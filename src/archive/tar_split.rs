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
//!
//! The records are read in batches of decoded bytes and holes; with more
//! than one worker, a reader thread inflates and decodes the next batches
//! while the walk reads headers from the current one (#14).

use std::borrow::Cow;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::mpsc;

use serde::Deserialize;

use super::tar_index::{self, EntryKind, TarEntry, TarError, TarIndex};
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

/// What one record adds to the rebuilt tar: decoded segment bytes (up to
/// `end` in the batch's bytes) or a hole of blanked body bytes.
#[derive(Clone, Copy)]
enum Piece {
    Bytes { end: usize },
    Hole(u64),
}

/// Records decoded ahead of the walk, handed over in batches so that the
/// inflating, JSON scanning and base64 decoding can run on another thread
/// than the tar walk. A batch holds about [`BATCH_BYTES`] decoded bytes:
/// memory stays bounded whatever the stream's size.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    pieces: Vec<Piece>,
    /// The record that ended the stream, after the pieces.
    error: Option<TarSplitError>,
}

const BATCH_BYTES: usize = 256 << 10;
const BATCH_PIECES: usize = 4096;

/// Reads tar-split records into batches.
struct Records<R> {
    lines: R,
    line: u64,
    /// Text read ahead of the records: `buf[pos..filled]` is not read yet.
    /// Read in blocks and split with SIMD memchr, so no line is copied (#14).
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    eof: bool,
    holes_total: u64,
    limits: Limits,
    done: bool,
}

/// How much text is read at a time.
const READ_BLOCK: usize = 256 << 10;

impl<R: Read> Records<R> {
    /// Fills `b` (cleared first); false once the stream has ended (the
    /// last batch, possibly empty, may carry the error that ended it).
    fn fill(&mut self, b: &mut Batch) -> bool {
        b.bytes.clear();
        b.pieces.clear();
        b.error = None;
        if self.done {
            return false;
        }
        while b.bytes.len() < BATCH_BYTES && b.pieces.len() < BATCH_PIECES {
            match self.next_record(b) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(e) => {
                    // Nothing of a bad record (a half-decoded payload) is
                    // handed out.
                    let end = b.pieces.iter().rev().find_map(|p| match p {
                        Piece::Bytes { end } => Some(*end),
                        Piece::Hole(_) => None,
                    });
                    b.bytes.truncate(end.unwrap_or(0));
                    b.error = Some(e);
                    self.done = true;
                    break;
                }
            }
        }
        true
    }

    fn decode(&self, payload: &[u8], b: &mut Batch, line: u64) -> Result<(), TarSplitError> {
        // A segment starts with the zero padding of the body before it, a
        // third of the base64 on average: its whole groups of `AAAA` (three
        // zero bytes each) become a hole, which the walk seeks over. What
        // follows is still whole base64 groups, so it decodes (or fails)
        // exactly as the payload would.
        let zeros = zero_groups(payload);
        let rest = &payload[zeros * 4..];
        // SIMD decoding (AVX2/SSE4.1/NEON, picked at run time): the
        // payloads are most of a tar-split stream's bytes (#14). The crate
        // reserves exactly what one payload needs, so a new batch would be
        // reallocated for every record: room is made here the amortised way.
        b.bytes.reserve(rest.len() / 4 * 3 + 3);
        base64_simd::STANDARD
            .decode_append(rest, &mut b.bytes)
            .map_err(|_| TarSplitError::Payload { line })?;
        if zeros > 0 {
            b.pieces.push(Piece::Hole(zeros as u64 * 3));
        }
        b.pieces.push(Piece::Bytes { end: b.bytes.len() });
        Ok(())
    }

    fn hole(&mut self, size: i64, b: &mut Batch, line: u64) -> Result<(), TarSplitError> {
        let size = u64::try_from(size).map_err(|_| TarSplitError::Size { line, size })?;
        self.holes_total = self.holes_total.saturating_add(size);
        if self.holes_total > self.limits.max_decompressed_bytes {
            return Err(TarSplitError::TooLarge {
                limit: self.limits.max_decompressed_bytes,
            });
        }
        b.pieces.push(Piece::Hole(size));
        Ok(())
    }

    fn next_record(&mut self, b: &mut Batch) -> Result<bool, TarSplitError> {
        // A segment holds at most a few headers; a PAX header is capped by
        // the tar guard anyway. Base64 and JSON add about a third.
        let limit = self.limits.max_header_bytes.saturating_mul(2) + (1 << 20);
        self.line += 1;
        let line = self.line;
        let mut searched = 0;
        let end = loop {
            let rest = &self.buf[self.pos..self.filled];
            if let Some(i) = memchr::memchr(b'\n', &rest[searched..]) {
                break self.pos + searched + i + 1;
            }
            if rest.len() as u64 > limit {
                return Err(TarSplitError::LongLine { line, limit });
            }
            if self.eof {
                if rest.is_empty() {
                    return Ok(false);
                }
                break self.filled;
            }
            searched = rest.len();
            self.read_more().map_err(|e| TarSplitError::Unreadable {
                cause: e.to_string(),
            })?;
        };
        if (end - self.pos) as u64 > limit {
            return Err(TarSplitError::LongLine { line, limit });
        }
        let buf = std::mem::take(&mut self.buf);
        let r = self.record(buf[self.pos..end].trim_ascii(), b, line);
        self.buf = buf;
        self.pos = end;
        r.map(|()| true)
    }

    /// Moves the unread text to the front and reads one more block. The
    /// buffer's bytes past `filled` are kept (zeroed once, when it grows).
    fn read_more(&mut self) -> io::Result<()> {
        self.buf.copy_within(self.pos..self.filled, 0);
        self.filled -= self.pos;
        self.pos = 0;
        if self.buf.len() - self.filled < READ_BLOCK / 2 {
            self.buf.resize(self.filled + READ_BLOCK, 0);
        }
        let n = loop {
            match self.lines.read(&mut self.buf[self.filled..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.filled += n;
        self.eof = n == 0;
        Ok(())
    }

    fn record(&mut self, text: &[u8], b: &mut Batch, line: u64) -> Result<(), TarSplitError> {
        if text.is_empty() {
            return Ok(());
        }
        // Most lines are segments, written by Go's encoding/json as
        // `{"type":2,"payload":"<base64>",…}`: base64 needs no escapes, so
        // the payload is taken between its quotes. File records are read
        // by `file_size` in the exact shape Go writes; anything else (and a
        // payload with a backslash) goes through serde.
        const SEG: &[u8] = b"{\"type\":2,\"payload\":\"";
        if let Some(rest) = text.strip_prefix(SEG) {
            if let Some(end) = memchr::memchr(b'"', rest) {
                let payload = &rest[..end];
                if memchr::memchr(b'\\', payload).is_none() {
                    return self.decode(payload, b, line);
                }
            }
        }
        if let Some(size) = file_size(text) {
            return self.hole(size, b, line);
        }
        let rec: Record = serde_json::from_slice(text).map_err(|e| TarSplitError::Record {
            line,
            cause: e.to_string(),
        })?;
        match rec.kind {
            SEGMENT => match rec.payload {
                Some(p) => self.decode(p.as_bytes(), b, line),
                None => Ok(()),
            },
            FILE => self.hole(rec.size, b, line),
            kind => Err(TarSplitError::Kind { line, kind }),
        }
    }
}

/// How many whole base64 groups of zero bytes (`AAAA`) a payload starts
/// with.
fn zero_groups(payload: &[u8]) -> usize {
    const AS: [u8; 8] = [b'A'; 8];
    let mut i = 0;
    while let Some(w) = payload.get(i..i + 8) {
        if w != AS {
            break;
        }
        i += 8;
    }
    while payload.get(i) == Some(&b'A') {
        i += 1;
    }
    i / 4
}

/// Header bytes as text: valid UTF-8 (nearly every path) is copied as it
/// is, anything else is read lossily, as the tar crate's walk reads it.
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// The rest of a JSON string after its opening quote: what follows the
/// closing quote.
fn after_string(s: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    loop {
        let j = i + memchr::memchr2(b'"', b'\\', s.get(i..)?)?;
        if s[j] == b'"' {
            return s.get(j + 1..);
        }
        i = j + 2;
    }
}

/// A non-negative JSON integer and what follows it.
fn integer(s: &[u8]) -> Option<(i64, &[u8])> {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || n > 18 {
        return None;
    }
    let v = s[..n]
        .iter()
        .fold(0i64, |v, &c| v * 10 + i64::from(c - b'0'));
    Some((v, &s[n..]))
}

/// The size of a file record in the shape Go's encoding/json writes
/// `storage.Entry` (`{"type":1,"name":"…","size":N,"payload":…,
/// "position":N}`, `name`, `name_raw` and `size` omitted when empty); None
/// for any other text, which serde then reads or refuses. The name is not
/// needed: the walk takes paths from the headers.
fn file_size(text: &[u8]) -> Option<i64> {
    let mut rest = text.strip_prefix(b"{\"type\":1,")?;
    for key in [&b"\"name\":\""[..], b"\"name_raw\":\""] {
        if let Some(r) = rest.strip_prefix(key) {
            rest = after_string(r)?.strip_prefix(b",")?;
        }
    }
    let mut size = 0;
    if let Some(r) = rest.strip_prefix(b"\"size\":") {
        let (n, r) = integer(r)?;
        size = n;
        rest = r.strip_prefix(b",")?;
    }
    let r = rest.strip_prefix(b"\"payload\":")?;
    let r = match r.strip_prefix(b"null") {
        Some(r) => r,
        None => after_string(r.strip_prefix(b"\"")?)?,
    };
    let (_, r) = integer(r.strip_prefix(b",\"position\":")?)?;
    (r == b"}").then_some(size)
}

/// Where the walk's batches come from: read on the walk's own thread, or
/// from a reader thread (batches go back to it to be reused).
enum Source<R> {
    Inline(Records<R>),
    Thread {
        full: mpsc::Receiver<Batch>,
        empty: mpsc::SyncSender<Batch>,
    },
}

/// The layer tar rebuilt from a tar-split stream, bodies blanked.
struct Blanked<R> {
    source: Source<R>,
    batch: Batch,
    /// The next piece of `batch` and where its bytes start.
    piece: usize,
    start: usize,
    /// Within the current piece: bytes handed out, or hole bytes left.
    at: usize,
    hole: u64,
    /// The current piece has been entered.
    entered: bool,
    /// Bytes of the rebuilt tar handed out so far.
    produced: u64,
    /// The first problem met; the walk then sees the end of the stream.
    error: Option<TarSplitError>,
    ended: bool,
}

impl<R: Read> Blanked<R> {
    fn new(source: Source<R>) -> Blanked<R> {
        Blanked {
            source,
            batch: Batch::default(),
            piece: 0,
            start: 0,
            at: 0,
            hole: 0,
            entered: false,
            produced: 0,
            error: None,
            ended: false,
        }
    }

    /// The unread bytes of the current piece, if it is a segment.
    fn unread(&self) -> &[u8] {
        match self.batch.pieces.get(self.piece) {
            Some(Piece::Bytes { end }) => &self.batch.bytes[self.start + self.at..*end],
            _ => &[],
        }
    }

    /// Moves to a piece with bytes to hand out; false at the end.
    fn refill(&mut self) -> bool {
        loop {
            match self.batch.pieces.get(self.piece).copied() {
                Some(Piece::Bytes { end }) => {
                    if self.start + self.at < end {
                        return true;
                    }
                    self.start = end;
                }
                Some(Piece::Hole(size)) => {
                    if !self.entered {
                        self.entered = true;
                        self.hole = size;
                    }
                    if self.hole > 0 {
                        return true;
                    }
                }
                None => {
                    if let Some(e) = self.batch.error.take() {
                        self.error = Some(e);
                    }
                    if self.error.is_some() || self.ended || !self.next_batch() {
                        self.ended = true;
                        return false;
                    }
                    continue;
                }
            }
            self.piece += 1;
            self.at = 0;
            self.entered = false;
        }
    }

    fn next_batch(&mut self) -> bool {
        self.piece = 0;
        self.start = 0;
        self.at = 0;
        self.entered = false;
        match &mut self.source {
            Source::Inline(records) => records.fill(&mut self.batch),
            Source::Thread { full, empty, .. } => match full.recv() {
                Ok(b) => {
                    let old = std::mem::replace(&mut self.batch, b);
                    let _ = empty.try_send(old);
                    true
                }
                Err(_) => false,
            },
        }
    }

    /// Passes over `n` bytes of the current piece (after `refill`).
    fn advance(&mut self, n: u64) -> u64 {
        let n = match self.batch.pieces.get(self.piece) {
            Some(Piece::Bytes { .. }) => {
                let k = n.min(self.unread().len() as u64);
                self.at += k as usize;
                k
            }
            _ => {
                let k = n.min(self.hole);
                self.hole -= k;
                k
            }
        };
        self.produced += n;
        n
    }
}

impl<R: Read> Read for Blanked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() || !self.refill() {
            return Ok(0);
        }
        let bytes = self.unread();
        if !bytes.is_empty() {
            let n = out.len().min(bytes.len());
            out[..n].copy_from_slice(&bytes[..n]);
            return Ok(self.advance(n as u64) as usize);
        }
        let n = out.len().min(8192).min(self.hole as usize);
        out[..n].fill(0);
        Ok(self.advance(n as u64) as usize)
    }
}

/// Forward seeks only (what the tar walk uses to pass over a body): a
/// hole is passed over without producing its zeros.
impl<R: Read> Seek for Blanked<R> {
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
            left -= self.advance(left);
        }
        Ok(self.produced)
    }
}

/// Indexes the layer a tar-split stream describes (`lines` is the
/// decompressed JSON-lines text). Entries read before a damaged record are
/// kept; the damage is the index's error, worded with the record's line.
///
/// With more than one worker in the pool, the records are read (inflated,
/// scanned, base64-decoded) on a thread of their own, a few batches ahead
/// of the tar walk; the index is the same either way.
pub fn index<R: Read + Send>(lines: R, limits: &Limits) -> TarIndex {
    run(lines, limits, |mut b| {
        // Bodies are seeked over: the holes are never produced.
        let idx = tar_index::index_seekable(&mut b, limits);
        settle(&mut b, idx)
    })
}

/// Like [`index`], with the headers read by [`plain_walk`]: None when a
/// header is not a plain one, and the caller then reads the stream again
/// with [`index`]. Whenever it is Some, it is the index [`index`] gives.
pub fn index_plain<R: Read + Send>(lines: R, limits: &Limits) -> Option<TarIndex> {
    index_plain_with(lines, limits, &mut |_| {})
}

/// [`index_plain`], handing each entry to `sink` as soon as the next
/// header shows that the entry is whole, on the walk's thread, so that a
/// caller can use entries while the stream is still read. The entries
/// handed over are the first ones of the index (damage only ever drops
/// the last entry, which is never handed over); when the result is None,
/// what was handed over is to be thrown away.
pub fn index_plain_with<R: Read + Send>(
    lines: R,
    limits: &Limits,
    sink: &mut dyn FnMut(&TarEntry),
) -> Option<TarIndex> {
    run(lines, limits, |mut b| {
        plain_walk(&mut b, limits, sink).map(|idx| settle(&mut b, idx))
    })
}

/// Runs `walker` over the rebuilt stream, with the records read on a
/// thread of their own when the pool has more than one worker.
fn run<R: Read + Send, T>(lines: R, limits: &Limits, walker: impl FnOnce(Blanked<R>) -> T) -> T {
    let records = Records {
        lines,
        line: 0,
        buf: Vec::new(),
        pos: 0,
        filled: 0,
        eof: false,
        holes_total: 0,
        limits: limits.clone(),
        done: false,
    };
    if rayon::current_num_threads() < 2 {
        return walker(Blanked::new(Source::Inline(records)));
    }
    let (full_tx, full) = mpsc::sync_channel::<Batch>(2);
    let (empty, empty_rx) = mpsc::sync_channel::<Batch>(4);
    std::thread::scope(|s| {
        let mut records = records;
        s.spawn(move || loop {
            let mut b = empty_rx.try_recv().unwrap_or_default();
            let more = records.fill(&mut b);
            if !more || full_tx.send(b).is_err() {
                break;
            }
        });
        walker(Blanked::<R>::new(Source::Thread { full, empty }))
        // Dropping the walk's receiver stops the reader at its next batch.
    })
}

/// Reads a tar header's octal field the way tar 0.4.46 does when it
/// succeeds there; None for anything else (a base-256 number, a stray
/// byte), which the plain walk leaves to the tar crate.
fn octal(field: &[u8]) -> Option<u64> {
    // As `str::trim` then `u64::from_str_radix(_, 8)` on the field cut at
    // its first NUL.
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let n = field.len();
    let mut i = 0;
    while i < n && ws(field[i]) {
        i += 1;
    }
    let start = i;
    let mut v = 0u64;
    while i < n && (b'0'..=b'7').contains(&field[i]) {
        v = v.checked_mul(8)?.checked_add(u64::from(field[i] - b'0'))?;
        i += 1;
    }
    if i == start {
        return None;
    }
    while i < n && ws(field[i]) {
        i += 1;
    }
    (i == n || field[i] == 0).then_some(v)
}

/// The tar walk for the headers Docker writes for almost every layer:
/// ustar, GNU or v7 headers of the plain types (files, links, directories,
/// devices, FIFOs), no extension headers. It reads them straight from the
/// rebuilt stream, which the `tar` crate parses at several times the cost
/// (#14). On the first header of any other kind it gives up (None), so
/// that [`index`] reads the layer with the tar crate; what it does read is
/// exactly what the tar crate reads.
fn plain_walk<R: Read>(
    b: &mut Blanked<R>,
    limits: &Limits,
    sink: &mut dyn FnMut(&TarEntry),
) -> Option<TarIndex> {
    let mut idx = TarIndex::default();
    let mut h = [0u8; 512];
    loop {
        let at = b.produced;
        let mut got = 0;
        while got < 512 {
            match b.read(&mut h[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(_) => return None,
            }
        }
        if got == 0 {
            return Some(idx); // the end of the stream
        }
        if got < 512 {
            return None; // a cut header: the tar crate words it
        }
        if h.iter().all(|&c| c == 0) {
            return Some(idx); // the end-of-archive marker
        }
        let sum: u32 = h[..148]
            .iter()
            .chain(&h[156..])
            .map(|&c| u32::from(c))
            .sum::<u32>()
            + 8 * 32;
        if octal(&h[148..156]) != Some(u64::from(sum)) {
            return None;
        }
        let kind = match h[156] {
            b'0' | 0 | b'7' => EntryKind::File,
            b'1' => EntryKind::Hardlink,
            b'2' => EntryKind::Symlink,
            b'5' => EntryKind::Dir,
            b'3' | b'4' | b'6' => EntryKind::Other,
            _ => return None,
        };
        let (Some(size), Some(mode), Some(uid), Some(gid)) = (
            octal(&h[124..136]),
            octal(&h[100..108]),
            octal(&h[108..116]),
            octal(&h[116..124]),
        ) else {
            return None;
        };
        let trunc = |f: &[u8]| -> usize { memchr::memchr(0, f).unwrap_or(f.len()) };
        let name = &h[..trunc(&h[..100])];
        let ustar = &h[257..263] == b"ustar\0" && &h[263..265] == b"00";
        let prefix = if ustar {
            &h[345..345 + trunc(&h[345..500])]
        } else {
            &[][..]
        };
        let path = if prefix.is_empty() {
            text(name)
        } else {
            let mut p = Vec::with_capacity(prefix.len() + 1 + name.len());
            p.extend_from_slice(prefix);
            p.push(b'/');
            p.extend_from_slice(name);
            String::from_utf8(p)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        };
        let link = (h[157] != 0).then(|| text(&h[157..157 + trunc(&h[157..257])]));
        let te = TarEntry {
            path,
            kind,
            size,
            mode: mode as u32,
            uid,
            gid,
            link,
            data_offset: at + 512,
        };
        if tar_index::overlong(&te, limits).is_some() {
            return None;
        }
        // This header was read whole: the entry before it is complete.
        if let Some(prev) = idx.entries.last() {
            sink(prev);
        }
        idx.entries.push(te);
        if idx.entries.len() as u64 >= limits.max_entries {
            idx.error = Some(TarError::TooManyEntries {
                limit: limits.max_entries,
            });
            return Some(idx);
        }
        let skip = size.checked_add(511).map(|s| s & !511)?;
        let skip = i64::try_from(skip).ok()?;
        if b.seek(SeekFrom::Current(skip)).is_err() {
            return None;
        }
    }
}

/// What a cut stream does to the last entries of a walk's index.
fn settle<R: Read>(blanked: &mut Blanked<R>, mut idx: TarIndex) -> TarIndex {
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
        let b64 = |b: &[u8]| base64_simd::STANDARD.encode_to_string(b);
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
    fn only_whole_groups_of_zeros_are_passed_over() {
        assert_eq!(zero_groups(b""), 0);
        assert_eq!(zero_groups(b"AAA="), 0);
        assert_eq!(zero_groups(b"AAAAAA=="), 1);
        assert_eq!(zero_groups(b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 8);
        assert_eq!(zero_groups(b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"), 7);
        assert_eq!(zero_groups(b"AAAAAAAAAAAAQUJD"), 3);
        // What is left after the groups decodes to the rest of the bytes,
        // or fails as the whole payload would.
        for (payload, ok) in [(&b"AAAAAAAAQUJD"[..], true), (b"AAAAAAAA!UJD", false)] {
            let rest = &payload[zero_groups(payload) * 4..];
            let whole = base64_simd::STANDARD.decode_to_vec(payload);
            let part = base64_simd::STANDARD.decode_to_vec(rest);
            assert_eq!(whole.is_ok(), ok);
            assert_eq!(part.is_ok(), ok);
            if let (Ok(w), Ok(p)) = (whole, part) {
                assert_eq!(w[..w.len() - p.len()], vec![0u8; w.len() - p.len()][..]);
                assert_eq!(&w[w.len() - p.len()..], &p[..]);
            }
        }
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
    #[test]
    fn the_reader_thread_changes_nothing() {
        // Enough records for many batches; then the same stream cut and
        // damaged at several places.
        let names: Vec<String> = (0..3000).map(|i| format!("d{}/f{i}", i % 7)).collect();
        let bodies: Vec<Vec<u8>> = (0..3000).map(|i| vec![1u8; i % 700]).collect();
        let files: Vec<(&str, &[u8])> = names
            .iter()
            .zip(&bodies)
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let text = split(&tar_of(&files)).into_bytes();
        // A character that is not base64, a few into a segment's payload.
        let mut bad = text.clone();
        let from = bad.len() * 2 / 3;
        let seg =
            memchr::memmem::find(&bad[from..], b"{\"type\":2,\"payload\":\"").expect("a segment");
        bad[from + seg + 25] = b'@';
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .expect("a pool")
        };
        let (one, two) = (pool(1), pool(2));
        let limits = Limits::default();
        for t in [&text[..], &text[..text.len() / 2], &text[..1000], &bad[..]] {
            let a = one.install(|| index(t, &limits));
            let b = two.install(|| index(t, &limits));
            assert_eq!(a.entries, b.entries);
            assert_eq!(a.error, b.error);
        }
        let whole = two.install(|| index(&text[..], &limits));
        assert_eq!((whole.entries.len(), whole.error), (3000, None));
        assert!(one.install(|| index(&bad[..], &limits)).error.is_some());
    }

    #[test]
    fn file_records_are_read_in_the_shapes_go_writes() {
        // What serde reads, `file_size` reads the same, or leaves to serde.
        let lines = [
            r#"{"type":1,"name":"a","size":12,"payload":"AAECAwQFBgc=","position":3}"#,
            r#"{"type":1,"name":"dir/","payload":null,"position":1}"#,
            r#"{"type":1,"name":"q\"uo\\te,\"size\":9","size":5,"payload":null,"position":0}"#,
            r#"{"type":1,"name_raw":"/w==","size":7,"payload":null,"position":2}"#,
            r#"{"type":1,"size":1,"payload":null,"position":2}"#,
        ];
        let sizes = [12, 0, 5, 7, 1];
        for (l, want) in lines.iter().zip(sizes) {
            assert_eq!(file_size(l.as_bytes()), Some(want), "{l}");
            let rec: Record = serde_json::from_str(l).expect("valid json");
            assert_eq!((rec.kind, rec.size), (FILE, want));
        }
        for l in [
            r#"{"type":1,"name":"a","size":-5,"payload":null,"position":0}"#,
            r#"{"type":1,"name":"a","size":5,"payload":null,"position":0"#,
            r#"{"type":1,"name":"a","size":5,"payload":null}"#,
            r#"{"type":1,"name":"a\"#,
            r#"{"type":1,"name":"a","size":99999999999999999999,"payload":null,"position":0}"#,
        ] {
            assert_eq!(file_size(l.as_bytes()), None, "{l}");
        }
    }
}
