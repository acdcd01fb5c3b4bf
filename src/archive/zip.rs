//! Zip archives (Docker Desktop diagnostics, hand-zipped folders), read from
//! memory or a mapping, never extracted. The index comes from the central
//! directory alone (names verbatim, sizes, method); a member is decoded only
//! when asked for, through a [`CappedReader`], and never yields more than the
//! size its central-directory record declares. Entries whose compressed data
//! overlaps another's (the overlapping-entry "zip bomb" shape, where many
//! records point at one deflate stream) are set aside, so every compressed
//! byte is decoded at most once.

use std::io::{self, Cursor, Read};

use ::zip::ZipArchive;

use super::compress::CappedReader;

/// True when `head` starts like a zip archive (a local file header, or the
/// end-of-central-directory record of an empty archive).
pub fn looks_like_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// One central-directory record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipEntry {
    /// The name as stored (CP437 or UTF-8 decoded, nothing joined or
    /// normalised).
    pub path: String,
    /// Decompressed size, as the central directory declares it.
    pub size: u64,
    pub compressed_size: u64,
    /// The compression method's name (`Stored`, `Deflated`, ...).
    pub method: String,
    pub is_file: bool,
    pub encrypted: bool,
    /// Position in the central directory.
    index: usize,
}

/// The entries of a zip and what was wrong with its directory.
pub struct ZipIndex<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    /// Entries to read, in central-directory order.
    pub entries: Vec<ZipEntry>,
    /// Entries whose data overlaps an earlier entry's: listed, never read.
    pub overlapping: Vec<ZipEntry>,
    /// Central-directory records past `max_entries`, not indexed.
    pub skipped: usize,
}

/// Why a member's bytes could not all be read.
#[derive(Debug)]
pub enum MemberError {
    /// Decoding failed (damage, an unsupported method, or the cap).
    Io(io::Error),
    /// The zip crate refused the record (e.g. a bad local header).
    Zip(String),
}

impl std::fmt::Display for MemberError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MemberError::Io(e) => write!(f, "{e}"),
            MemberError::Zip(e) => write!(f, "{e}"),
        }
    }
}

/// How a member's decoded length compared with its declared size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeCheck {
    Exact,
    /// The data went on past the declared size; only that much was read.
    Longer,
    /// The data ended before the declared size.
    Shorter(u64),
}

/// A `ZipEntry` from a `ZipFile` or a `ZipFileEntry` (same methods, no
/// common trait).
macro_rules! entry_of {
    ($f:expr, $index:expr) => {{
        let f = &$f;
        ZipEntry {
            path: f
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(f.name_raw()).into_owned()),
            size: f.size(),
            compressed_size: f.compressed_size(),
            method: f.compression().to_string(),
            is_file: f.is_file() && !f.name_raw().ends_with(b"\\"),
            encrypted: f.encrypted(),
            index: $index,
        }
    }};
}

/// Opens the central directory of `data`. Fails only when no directory can
/// be read at all (a cut or damaged archive).
pub fn index(data: &[u8], max_entries: u64) -> Result<ZipIndex<'_>, String> {
    let mut archive = ZipArchive::new(Cursor::new(data)).map_err(|e| e.to_string())?;
    let total = archive.len();
    let take = total.min(usize::try_from(max_entries).unwrap_or(usize::MAX));
    let mut all = Vec::with_capacity(take);
    // (start, end) of each entry's local header and data, where readable.
    let mut ranges: Vec<Option<(u64, u64)>> = Vec::with_capacity(take);
    for i in 0..take {
        let raw = archive.by_index_raw(i).ok().map(|f| {
            let start = f.header_start();
            let end = f
                .data_start()
                .map(|d| d.saturating_add(f.compressed_size()));
            (entry_of!(f, i), end.map(|e| (start, e)))
        });
        let meta = match raw {
            Some((e, range)) => {
                ranges.push(range);
                e
            }
            None => {
                // The record is listed but its local header is unreadable:
                // keep it, reading it later reports the damage.
                match archive.by_index_data(i) {
                    Ok(f) => {
                        ranges.push(None);
                        entry_of!(f, i)
                    }
                    Err(_) => continue,
                }
            }
        };
        all.push(meta);
    }
    // An entry overlaps when it starts before the end of an entry that
    // starts no later than it does (ties: the first in directory order wins).
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by_key(|&k| (ranges[k].map_or(u64::MAX, |r| r.0), k));
    let mut overlaps = vec![false; all.len()];
    let mut furthest = 0u64;
    for &k in &order {
        if let Some((start, end)) = ranges[k] {
            if start < furthest {
                overlaps[k] = true;
            } else {
                furthest = end;
            }
        }
    }
    let mut entries = Vec::new();
    let mut overlapping = Vec::new();
    for (k, e) in all.into_iter().enumerate() {
        if overlaps[k] {
            overlapping.push(e);
        } else {
            entries.push(e);
        }
    }
    Ok(ZipIndex {
        archive,
        entries,
        overlapping,
        skipped: total - take,
    })
}

impl ZipIndex<'_> {
    /// Calls `f` with a reader of `e`'s decoded bytes, at most `e.size` of
    /// them, failing with `InvalidData` past `cap`. Safe to call from many
    /// threads: each call reads through its own view of the archive.
    pub fn with_member<T>(
        &self,
        e: &ZipEntry,
        cap: u64,
        f: impl FnOnce(&mut dyn Read) -> T,
    ) -> Result<(T, SizeCheck), MemberError> {
        if e.encrypted {
            return Err(MemberError::Zip(
                "encrypted; its content cannot be read".into(),
            ));
        }
        let mut archive = self.archive.clone();
        let file = archive
            .by_index(e.index)
            .map_err(|err| MemberError::Zip(err.to_string()))?;
        let mut r = Declared {
            inner: CappedReader::new(file, cap),
            left: e.size,
            read: 0,
            error: None,
        };
        let out = f(&mut r);
        if let Some(err) = r.error.take() {
            return Err(MemberError::Io(err));
        }
        let check = if r.left == 0 {
            let mut one = [0u8; 1];
            match r.inner.read(&mut one) {
                Ok(0) => SizeCheck::Exact,
                Ok(_) => SizeCheck::Longer,
                // Past the declared size a cap or a checksum error only
                // means the rest differs from the record: it was not read.
                Err(_) => SizeCheck::Longer,
            }
        } else {
            SizeCheck::Shorter(r.read)
        };
        Ok((out, check))
    }
}

/// Reads at most the declared size, and remembers a decoding error so the
/// caller can tell it from a short member even if `f` swallowed it.
struct Declared<R> {
    inner: R,
    left: u64,
    read: u64,
    error: Option<io::Error>,
}

impl<R: Read> Read for Declared<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        match self.inner.read(&mut buf[..want]) {
            Ok(n) => {
                self.left -= n as u64;
                self.read += n as u64;
                Ok(n)
            }
            Err(e) => {
                let copy = io::Error::new(e.kind(), e.to_string());
                self.error = Some(e);
                Err(copy)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn build(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = ::zip::write::SimpleFileOptions::default()
            .compression_method(::zip::CompressionMethod::Deflated);
        for (name, body) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn read_all(ix: &ZipIndex, e: &ZipEntry, cap: u64) -> Result<(Vec<u8>, SizeCheck), String> {
        ix.with_member(e, cap, |r| {
            let mut v = Vec::new();
            r.read_to_end(&mut v).map(|_| v)
        })
        .map_err(|e| e.to_string())
        .and_then(|(v, c)| v.map(|v| (v, c)).map_err(|e| e.to_string()))
    }

    #[test]
    fn indexes_names_verbatim_and_reads_members() {
        let z = build(&[
            ("../../etc/passwd", b"root"),
            ("/abs/x", b"y"),
            ("a\\b", b"c"),
        ]);
        assert!(looks_like_zip(&z));
        let ix = index(&z, 100).unwrap();
        let names: Vec<&str> = ix.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(names, ["../../etc/passwd", "/abs/x", "a\\b"]);
        let (body, check) = read_all(&ix, &ix.entries[0], 1 << 20).unwrap();
        assert_eq!((body.as_slice(), check), (&b"root"[..], SizeCheck::Exact));
    }

    #[test]
    fn a_deflate_bomb_stops_at_the_cap() {
        let zeros = vec![0u8; 32 << 20];
        let z = build(&[("zeros", &zeros)]);
        let ix = index(&z, 100).unwrap();
        let err = read_all(&ix, &ix.entries[0], 1 << 20).unwrap_err();
        assert!(err.contains("exceeds the limit"), "{err}");
    }

    #[test]
    fn entries_sharing_one_deflate_stream_are_set_aside() {
        let mut w = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = ::zip::write::SimpleFileOptions::default()
            .compression_method(::zip::CompressionMethod::Deflated);
        w.start_file("a", opts).unwrap();
        w.write_all(&vec![0u8; 1 << 20]).unwrap();
        for i in 0..50 {
            w.shallow_copy_file("a", &format!("copy{i}")).unwrap();
        }
        let z = w.finish().unwrap().into_inner();
        let ix = index(&z, 1000).unwrap();
        assert_eq!(ix.entries.len(), 1);
        assert_eq!(ix.overlapping.len(), 50);
    }

    #[test]
    fn entry_cap_and_garbage() {
        let z = build(&[("a", b"1"), ("b", b"2"), ("c", b"3")]);
        let ix = index(&z, 2).unwrap();
        assert_eq!((ix.entries.len(), ix.skipped), (2, 1));
        assert!(index(&z[..z.len() / 2], 10).is_err());
        assert!(index(b"PK\x03\x04garbage", 10).is_err());
    }
}
