//! A header-only index of a tar archive: path, type, size, mode and link
//! target of every entry, plus where its body starts, without holding bodies.
//!
//! Names are kept verbatim (lossily decoded as UTF-8): `../`, absolute and
//! backslash names are indexed as they are and reported by the caller, never
//! resolved against the disk. A damaged archive yields every entry read
//! before the damage plus the error that stopped the walk.

use std::cell::Cell;
use std::io::{self, Cursor, Read, Seek, SeekFrom};

use crate::model::Limits;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TarEntry {
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub link: Option<String>,
    /// Offset of the body from the start of the archive.
    pub data_offset: u64,
}

#[derive(Clone, Debug, Default)]
pub struct TarIndex {
    pub entries: Vec<TarEntry>,
    /// Why the walk stopped early, if it did.
    pub error: Option<TarError>,
}

/// Why a walk over a tar archive stopped early. Every entry read before it
/// is kept; the `Display` text is what reports say. The index of a slice
/// and of a stream word the same damage the same way.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TarError {
    /// The first header could not be read at all.
    #[error("not a readable tar archive: {cause}")]
    Unreadable { cause: String },
    /// The `tar` crate refused a header after `entries` good ones.
    #[error("damaged tar archive after {entries} entries: {cause}")]
    Damaged { entries: usize, cause: String },
    /// An entry's body runs past the end of the archive.
    #[error("archive is truncated: entry {path:?} claims {size} bytes at offset {offset} but the archive has {len} bytes")]
    EntryCut {
        path: String,
        size: u64,
        offset: u64,
        len: u64,
    },
    /// The archive ends inside the last entry's padding, or holds bytes
    /// but no entry.
    #[error("archive is truncated: it ends at byte {len} inside an entry")]
    EndsInsideEntry { len: u64 },
    /// Fewer than two blocks of non-zero bytes follow the last entry.
    #[error("archive is truncated after {entries} entries: a header is cut short")]
    HeaderCut { entries: usize },
    /// An entry path or link target over `--max-path-bytes`; `offset` is
    /// where the entry's body starts.
    #[error("an entry path or link target of {len} bytes exceeds the limit of {limit} (raise with --max-path-bytes)")]
    PathTooLong {
        len: usize,
        limit: usize,
        offset: u64,
    },
    /// An extension header over `--max-header-bytes`, refused before it
    /// was read; `offset` is where its header starts.
    #[error("a {kind} extension header of {size} bytes at offset {offset} exceeds the limit of {limit} (raise with --max-header-bytes)")]
    HeaderTooLarge {
        kind: &'static str,
        size: u64,
        offset: u64,
        limit: u64,
    },
    /// `--max-entries` reached.
    #[error("stopped after {limit} entries (raise the limit with --max-entries)")]
    TooManyEntries { limit: u64 },
    /// A compressed layer whose decoder could not start.
    #[error("cannot start {comp} decompression: {cause}")]
    DecoderStart { comp: &'static str, cause: String },
    /// The stream under the walk failed (a layer read from a streamed
    /// archive).
    #[error("{cause}")]
    Read { cause: String },
    /// A layer's tar-split stream (headers without bodies) is damaged.
    #[error("tar-split {0}")]
    Split(crate::archive::tar_split::TarSplitError),
}

/// True when `head` starts with a plausible tar header (valid checksum).
pub fn looks_like_tar(head: &[u8]) -> bool {
    if head.len() < 512 {
        return false;
    }
    let h = &head[..512];
    if h.iter().all(|&b| b == 0) {
        return false;
    }
    let stored = parse_octal(&h[148..156]);
    // The checksum counts its own field as eight spaces. Summed in slices so
    // the compiler vectorises it: this runs once per header of every archive.
    let bytes = |s: &[u8]| s.iter().map(|&b| b as u64).sum::<u64>();
    let sum = bytes(&h[..148]) + 8 * b' ' as u64 + bytes(&h[156..]);
    match stored {
        Some(s) => s == sum || &h[257..262] == b"ustar" && s > 0,
        None => false,
    }
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    let s: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|b| *b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .collect();
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for c in s {
        v = v.checked_mul(8)?.checked_add((c - b'0') as u64)?;
    }
    Some(v)
}

fn entry_of<R: Read>(e: &tar::Entry<'_, R>) -> TarEntry {
    let h = e.header();
    let kind = match h.entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
            EntryKind::File
        }
        tar::EntryType::Directory => EntryKind::Dir,
        tar::EntryType::Symlink => EntryKind::Symlink,
        tar::EntryType::Link => EntryKind::Hardlink,
        _ => EntryKind::Other,
    };
    let path = String::from_utf8_lossy(&e.path_bytes()).into_owned();
    let link = e
        .link_name_bytes()
        .map(|l| String::from_utf8_lossy(&l).into_owned());
    TarEntry {
        path,
        kind,
        size: e.size(),
        mode: h.mode().unwrap_or(0),
        uid: h.uid().unwrap_or(0),
        gid: h.gid().unwrap_or(0),
        link,
        data_offset: e.raw_file_position(),
    }
}

/// Follows the header chain of a tar stream as its bytes go by, to refuse a
/// PAX (`x`, `g`) or GNU long-name (`L`, `K`) extension header larger than
/// `Limits::max_header_bytes` before the `tar` crate reads it into memory.
/// It applies a PAX `size` record to the next non-extension header, like
/// tar 0.4.46 and GNU tar. On anything it does not understand it stops
/// guarding (the walk itself reports the damage), so it can refuse an
/// archive only for an oversized extension header.
struct ExtGuard {
    limit: u64,
    pos: u64,
    next_hdr: u64,
    hdr: Vec<u8>,
    /// Bytes of the current PAX body still to collect.
    collect: u64,
    pax: Vec<u8>,
    pax_size: Option<u64>,
    done: bool,
}

impl ExtGuard {
    fn new(limit: u64) -> ExtGuard {
        ExtGuard {
            limit,
            pos: 0,
            next_hdr: 0,
            hdr: Vec::with_capacity(512),
            collect: 0,
            pax: Vec::new(),
            pax_size: None,
            done: false,
        }
    }

    fn feed(&mut self, mut buf: &[u8]) -> Result<(), TarError> {
        while !buf.is_empty() && !self.done {
            if self.pos < self.next_hdr {
                let n = (self.next_hdr - self.pos).min(buf.len() as u64) as usize;
                if self.collect > 0 {
                    let c = (self.collect.min(n as u64)) as usize;
                    self.pax.extend_from_slice(&buf[..c]);
                    self.collect -= c as u64;
                    if self.collect == 0 {
                        self.pax_size = pax_size_record(&self.pax);
                    }
                }
                self.pos += n as u64;
                buf = &buf[n..];
                continue;
            }
            let n = (512 - self.hdr.len()).min(buf.len());
            self.hdr.extend_from_slice(&buf[..n]);
            self.pos += n as u64;
            buf = &buf[n..];
            if self.hdr.len() == 512 {
                self.header()?;
                self.hdr.clear();
            }
        }
        Ok(())
    }

    /// The reader moved to `pos` without reading (a seek over a body). A
    /// move that lands past the next header, or back, ends guarding: the
    /// guard cannot follow the chain any more.
    fn skip_to(&mut self, pos: u64) {
        if pos == self.pos {
            return;
        }
        if pos < self.pos || pos > self.next_hdr || self.collect > 0 || !self.hdr.is_empty() {
            self.done = true;
        }
        self.pos = pos;
    }

    fn header(&mut self) -> Result<(), TarError> {
        // The walk checks each header's checksum and stops at a bad one
        // before reading past it, so the guard need not sum it again.
        if self.hdr.iter().all(|&b| b == 0) {
            self.done = true;
            return Ok(());
        }
        let h = tar::Header::from_byte_slice(&self.hdr);
        let Ok(size) = h.entry_size() else {
            self.done = true;
            return Ok(());
        };
        let kind = self.hdr[156];
        let body = if matches!(kind, b'x' | b'g' | b'L' | b'K' | b'X') {
            if size > self.limit {
                return Err(TarError::HeaderTooLarge {
                    kind: if matches!(kind, b'L' | b'K') {
                        "GNU long-name"
                    } else {
                        "PAX"
                    },
                    size,
                    offset: self.pos - 512,
                    limit: self.limit,
                });
            }
            if kind == b'x' {
                self.pax.clear();
                self.collect = size;
                self.pax_size = None;
            }
            size
        } else {
            self.pax_size.take().unwrap_or(size)
        };
        match body
            .div_ceil(512)
            .checked_mul(512)
            .and_then(|b| self.pos.checked_add(b))
        {
            Some(n) => self.next_hdr = n,
            None => self.done = true,
        }
        Ok(())
    }
}

/// The `size` record of a PAX body, if any.
fn pax_size_record(body: &[u8]) -> Option<u64> {
    let mut size = None;
    for rec in body.split(|&b| b == b'\n') {
        let Some(sp) = rec.iter().position(|&b| b == b' ') else {
            continue;
        };
        if let Some(v) = rec[sp + 1..].strip_prefix(b"size=") {
            size = std::str::from_utf8(v).ok().and_then(|v| v.parse().ok());
        }
    }
    size
}

/// Passes bytes through an `ExtGuard`.
struct Guarded<R> {
    inner: R,
    guard: ExtGuard,
}

/// The guard's refusal, if the guard is what stopped a walk (it travels
/// through the `tar` crate as an I/O error).
fn guard_refusal(e: &io::Error) -> Option<TarError> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|r| r as _);
    while let Some(err) = cur {
        if let Some(g) = err.downcast_ref::<TarError>() {
            return Some(g.clone());
        }
        cur = err.source();
    }
    None
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.guard
            .feed(&buf[..n])
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok(n)
    }
}

/// The walk seeks over bodies; the guard only needs to know where it is.
impl<R: Read + Seek> Seek for Guarded<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = self.inner.seek(to)?;
        self.guard.skip_to(pos);
        Ok(pos)
    }
}

/// Why an entry's path or link target is refused, if it is.
pub(crate) fn overlong(te: &TarEntry, limits: &Limits) -> Option<TarError> {
    let long = te.path.len().max(te.link.as_ref().map_or(0, |l| l.len()));
    (long > limits.max_path_bytes).then_some(TarError::PathTooLong {
        len: long,
        limit: limits.max_path_bytes,
        offset: te.data_offset,
    })
}

/// The error of a walk that reached `n` entries and then failed with `e`.
fn walk_error(e: &io::Error, n: usize) -> TarError {
    guard_refusal(e).unwrap_or_else(|| TarError::Damaged {
        entries: n,
        cause: e.to_string(),
    })
}

/// Offset just past an entry's padded body.
fn padded_end(e: &TarEntry) -> u64 {
    e.data_offset.saturating_add(e.size.div_ceil(512) * 512)
}

/// Indexes an uncompressed archive held in memory or mapped. Bodies are
/// skipped by seeking, so the cost follows the entry count, not the bytes.
pub fn index_slice(data: &[u8], limits: &Limits) -> TarIndex {
    index_slice_releasing(data, limits, &|_| {})
}

/// [`index_slice`], handing every 8 MiB walked past to `release` (a mapped
/// archive's pages then stop counting toward RSS once their headers are read).
pub fn index_slice_releasing(
    data: &[u8],
    limits: &Limits,
    release: &(dyn Fn(&[u8]) + Sync),
) -> TarIndex {
    let mut released = 0usize;
    let mut idx = TarIndex::default();
    // The guard sees every header as the walk reads it (bodies are seeked
    // over), so it refuses an oversized extension header before the walk
    // reads its body, without a pass of its own over the mapping.
    let mut ar = tar::Archive::new(Guarded {
        inner: Cursor::new(data),
        guard: ExtGuard::new(limits.max_header_bytes),
    });
    let entries = match ar.entries_with_seek() {
        Ok(e) => e,
        Err(e) => {
            idx.error = Some(TarError::Unreadable {
                cause: e.to_string(),
            });
            return idx;
        }
    };
    for entry in entries {
        match entry {
            Ok(e) => {
                let te = entry_of(&e);
                if let Some(err) = overlong(&te, limits) {
                    idx.error = Some(err);
                    break;
                }
                if te.data_offset.saturating_add(te.size) > data.len() as u64 && te.size > 0 {
                    idx.error = Some(TarError::EntryCut {
                        path: te.path,
                        size: te.size,
                        offset: te.data_offset,
                        len: data.len() as u64,
                    });
                    break;
                }
                let at = (te.data_offset as usize).min(data.len());
                if at - released >= 8 << 20 {
                    release(&data[released..at]);
                    released = at;
                }
                idx.entries.push(te);
                if idx.entries.len() as u64 >= limits.max_entries {
                    idx.error = Some(TarError::TooManyEntries {
                        limit: limits.max_entries,
                    });
                    break;
                }
            }
            Err(e) => {
                idx.error = Some(walk_error(&e, idx.entries.len()));
                break;
            }
        }
    }
    if idx.error.is_none() {
        // tar stops quietly at EOF; a body or header cut short is damage.
        let end = idx.entries.last().map_or(0, padded_end);
        let tail = data.get(end as usize..).unwrap_or_default();
        idx.error = quiet_end_damage(
            &idx.entries,
            data.len() as u64,
            || data.len() >= 512 && !data.iter().all(|&b| b == 0),
            || !tail.iter().all(|&b| b == 0),
        );
    }
    idx
}

/// Indexes an archive read through a reader that seeks (forward is
/// enough): bodies are seeked over, never read, as in [`index_slice`]. For
/// streams rebuilt without their bodies (tar-split); the caller knows where
/// the stream ended and checks the last entry against it.
pub fn index_seekable<R: Read + Seek>(reader: R, limits: &Limits) -> TarIndex {
    let mut idx = TarIndex::default();
    let mut ar = tar::Archive::new(Guarded {
        inner: reader,
        guard: ExtGuard::new(limits.max_header_bytes),
    });
    let entries = match ar.entries_with_seek() {
        Ok(e) => e,
        Err(e) => {
            idx.error = Some(TarError::Unreadable {
                cause: e.to_string(),
            });
            return idx;
        }
    };
    for entry in entries {
        match entry {
            Ok(e) => {
                let te = entry_of(&e);
                if let Some(err) = overlong(&te, limits) {
                    idx.error = Some(err);
                    break;
                }
                idx.entries.push(te);
                if idx.entries.len() as u64 >= limits.max_entries {
                    idx.error = Some(TarError::TooManyEntries {
                        limit: limits.max_entries,
                    });
                    break;
                }
            }
            Err(e) => {
                idx.error = Some(walk_error(&e, idx.entries.len()));
                break;
            }
        }
    }
    idx
}

/// The damage of an archive of `len` bytes whose walk ended without error
/// after `entries`: the last entry's padding runs past the end, bytes but
/// no entry (`nonzero`: the archive holds a non-zero byte and at least a
/// block), or less than the end-of-archive marker's two blocks after the
/// last entry holding a non-zero byte (`tail_nonzero`).
fn quiet_end_damage(
    entries: &[TarEntry],
    len: u64,
    nonzero: impl FnOnce() -> bool,
    tail_nonzero: impl FnOnce() -> bool,
) -> Option<TarError> {
    let end = entries.last().map_or(0, padded_end);
    if end > len || (entries.is_empty() && nonzero()) {
        Some(TarError::EndsInsideEntry { len })
    } else if len > end && len - end < 1024 && tail_nonzero() {
        Some(TarError::HeaderCut {
            entries: entries.len(),
        })
    } else {
        None
    }
}

/// True when the archive closes with the end-of-archive marker (two zero
/// blocks after the last entry). Without it, an archive cut exactly between
/// two members looks complete.
pub fn has_end_marker(data: &[u8], idx: &TarIndex) -> bool {
    let end = idx
        .entries
        .last()
        .map_or(0, |e| e.data_offset + e.size.div_ceil(512) * 512) as usize;
    data.len() >= end.saturating_add(1024) && data[end..end + 1024].iter().all(|&b| b == 0)
}

/// Walks a streamed (e.g. decompressing) archive, handing each entry and a
/// reader over its body to `visit`. Returns the error that stopped the walk.
/// A refused extension header is worded as the damage the walk met, as
/// compressed layers have always been reported.
pub fn walk_stream<R: Read>(
    reader: R,
    limits: &Limits,
    visit: impl FnMut(TarEntry, &mut dyn Read),
) -> Option<TarError> {
    walk(reader, limits, visit, |e, n| TarError::Damaged {
        entries: n,
        cause: e.to_string(),
    })
}

/// [`walk_stream`], with `failed` wording a failure after `n` entries.
fn walk<R: Read>(
    reader: R,
    limits: &Limits,
    mut visit: impl FnMut(TarEntry, &mut dyn Read),
    failed: impl Fn(&io::Error, usize) -> TarError,
) -> Option<TarError> {
    let mut ar = tar::Archive::new(Guarded {
        inner: reader,
        guard: ExtGuard::new(limits.max_header_bytes),
    });
    let entries = match ar.entries() {
        Ok(e) => e,
        Err(e) => {
            return Some(TarError::Unreadable {
                cause: e.to_string(),
            })
        }
    };
    let mut n: u64 = 0;
    for entry in entries {
        match entry {
            Ok(mut e) => {
                let te = entry_of(&e);
                if let Some(err) = overlong(&te, limits) {
                    return Some(err);
                }
                visit(te, &mut e);
                n += 1;
                if n >= limits.max_entries {
                    return Some(TarError::TooManyEntries {
                        limit: limits.max_entries,
                    });
                }
            }
            Err(e) => return Some(failed(&e, n as usize)),
        }
    }
    None
}

/// Counts the bytes of a stream and keeps the 1 KiB that starts at a
/// position set while walking (where the end-of-archive marker should be).
/// Until the first entry it also notes whether a non-zero byte went by (an
/// archive of bytes but no entry is damage).
struct Tap<'c, R> {
    inner: R,
    pos: u64,
    mark: &'c Cell<u64>,
    kept_from: u64,
    kept: Vec<u8>,
    nonzero: bool,
}

impl<R: Read> Read for Tap<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mark = self.mark.get();
        if mark != self.kept_from {
            self.kept_from = mark;
            self.kept.clear();
        }
        if mark == 0 && !self.nonzero {
            self.nonzero = buf[..n].iter().any(|&b| b != 0);
        }
        let (lo, hi) = (self.pos, self.pos + n as u64);
        let (a, b) = (lo.max(mark), hi.min(mark.saturating_add(1024)));
        if a < b {
            self.kept
                .extend_from_slice(&buf[(a - lo) as usize..(b - lo) as usize]);
        }
        self.pos = hi;
        Ok(n)
    }
}

/// Indexes a streamed (e.g. decompressing) archive, reading it to the end,
/// with the damage checks of [`index_slice`] and the same errors: the
/// stream cannot seek, so where it meets the end inside an entry the error
/// is the one the slice walk would have stopped at. Returns the index and
/// whether the archive ends with the end-of-archive marker; an error only
/// when the stream itself fails.
pub fn index_stream<R: Read>(reader: R, limits: &Limits) -> io::Result<(TarIndex, bool)> {
    index_stream_visit(reader, limits, |_, _| {}).map(|(idx, end)| (idx, end.marker))
}

/// How a streamed archive ended.
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamEnd {
    /// The end-of-archive marker follows the last entry.
    pub marker: bool,
    /// Bytes the stream held.
    pub len: u64,
}

/// [`index_stream`], also handing each entry and its body (readable once,
/// unread bytes are skipped) to `visit` as the walk reaches it, so a caller
/// can index and process a stream in one pass. An entry the stream ends
/// inside is visited but, as in [`index_slice`], not indexed: callers keep
/// what they made of the first `entries.len()` visits.
pub fn index_stream_visit<R: Read>(
    reader: R,
    limits: &Limits,
    mut visit: impl FnMut(&TarEntry, &mut dyn Read),
) -> io::Result<(TarIndex, StreamEnd)> {
    let mark = Cell::new(0u64);
    let mut tap = Tap {
        inner: reader,
        pos: 0,
        mark: &mark,
        kept_from: 0,
        kept: Vec::new(),
        nonzero: false,
    };
    let mut idx = TarIndex::default();
    let walked = walk(
        &mut tap,
        limits,
        |e, body| {
            mark.set(padded_end(&e));
            visit(&e, body);
            idx.entries.push(e);
        },
        walk_error,
    );
    io::copy(&mut tap, &mut io::sink())?;
    let len = tap.pos;
    let end = idx.entries.last().map_or(0, padded_end);
    let marker = tap.kept_from == end && tap.kept.len() == 1024 && tap.kept.iter().all(|&b| b == 0);
    // The slice walk checks each entry's claim as it reaches it, and seeks
    // over bodies and padding where the stream reads: an entry whose body
    // the stream ends inside stops the slice walk there, and a stream that
    // ends inside padding only made the stream walk fail (the slice walk
    // then ended quietly and found the cut after).
    idx.error = if let Some(i) = idx
        .entries
        .iter()
        .position(|e| e.size > 0 && e.data_offset.saturating_add(e.size) > len)
    {
        let e = idx.entries.swap_remove(i);
        idx.entries.truncate(i);
        Some(TarError::EntryCut {
            path: e.path,
            size: e.size,
            offset: e.data_offset,
            len,
        })
    } else {
        match walked {
            Some(TarError::Damaged { .. }) if end > len => Some(TarError::EndsInsideEntry { len }),
            Some(err) => Some(err),
            None => quiet_end_damage(
                &idx.entries,
                len,
                || len >= 512 && tap.nonzero,
                || tap.kept.iter().any(|&b| b != 0),
            ),
        }
    };
    Ok((idx, StreamEnd { marker, len }))
}

/// The body of an indexed entry inside the archive bytes.
pub fn body<'a>(data: &'a [u8], e: &TarEntry) -> &'a [u8] {
    let start = (e.data_offset as usize).min(data.len());
    let end = start.saturating_add(e.size as usize).min(data.len());
    &data[start..end]
}

/// Normalises an archive path for lookups: strips `./` and leading `/`.
/// The verbatim path stays in the index.
pub fn normalize(path: &str) -> &str {
    let mut p = path;
    loop {
        if let Some(r) = p.strip_prefix("./") {
            p = r;
        } else if let Some(r) = p.strip_prefix('/') {
            p = r;
        } else {
            break;
        }
    }
    p.trim_end_matches('/')
}

/// True for names that would escape the archive's root if extracted.
///
/// A backslash is a separator where Windows extracts, so `a\..\b` and
/// `\x` escape there; one inside a name is not an escape by itself:
/// systemd spells `-` in unit names as `\x2d`
/// (`system-systemd\x2dcryptsetup.slice`, in every sosreport's `usr/lib`).
pub fn is_unsafe_name(path: &str) -> bool {
    let b = path.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    path.starts_with('/')
        || path.starts_with('\\')
        || drive
        || path.split(['/', '\\']).any(|c| c == "..")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tar of regular files (GNU headers, mode 0644), for tests.
    pub(crate) fn build(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, body) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *body).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn indexes_entries_and_bodies() {
        let t = build(&[("a.txt", b"hello"), ("dir/b.txt", b"world!")]);
        assert!(looks_like_tar(&t));
        let idx = index_slice(&t, &Limits::default());
        assert!(idx.error.is_none());
        assert_eq!(idx.entries.len(), 2);
        assert_eq!(idx.entries[1].path, "dir/b.txt");
        assert_eq!(body(&t, &idx.entries[1]), b"world!");
    }

    #[test]
    fn truncation_keeps_what_came_before() {
        let t = build(&[("a.txt", b"hello"), ("b.txt", &[7u8; 3000])]);
        for cut in [600, 1100, 1600, 2000] {
            let idx = index_slice(&t[..cut], &Limits::default());
            assert_eq!(idx.entries.len(), 1, "cut at {cut}");
            assert!(idx.error.is_some(), "cut at {cut}");
        }
    }

    #[test]
    fn normalizes_and_flags_names() {
        assert_eq!(normalize("./etc/passwd"), "etc/passwd");
        assert_eq!(normalize("/app/"), "app");
        assert!(is_unsafe_name("../../etc/shadow"));
        assert!(is_unsafe_name("/etc/shadow"));
        assert!(is_unsafe_name("a\\..\\..\\b"));
        assert!(is_unsafe_name("\\windows\\system32"));
        assert!(is_unsafe_name("C:/x"));
        assert!(!is_unsafe_name(
            "usr/lib/systemd/system/system-systemd\\x2dcryptsetup.slice"
        ));
        assert!(!is_unsafe_name("a/b..c"));
    }
}
