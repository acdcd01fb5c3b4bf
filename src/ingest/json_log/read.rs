//! The drivers of the json-file log scan: a buffer in one pass, [`Chunked`]
//! batches scanned in parallel and merged in order, a reader split into
//! chunks at newlines, and a file read through windows of mappings.

use std::io::{self, Read};

use rayon::prelude::*;

use super::acc::{self, Acc};
use super::{LogFile, TextGrammar};
use crate::model::Limits;

/// Why a json-file log could not be read to its end: the cause, the file
/// and where. It displays as its cause alone, so a diagnostic worded from
/// it reads as before.
#[derive(Debug, thiserror::Error)]
pub enum LogReadError {
    /// The file's size could not be read.
    #[error("{source}")]
    Metadata { path: String, source: io::Error },
    /// The window of `len` bytes at `offset` could not be mapped.
    #[error("{source}")]
    Map {
        path: String,
        offset: u64,
        len: u64,
        source: io::Error,
    },
    /// Reading failed after `offset` bytes of the (decoded) stream.
    #[error("{source}")]
    Read {
        path: String,
        offset: u64,
        source: io::Error,
    },
}

impl LogReadError {
    /// The kind of the underlying I/O error.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            LogReadError::Metadata { source, .. }
            | LogReadError::Map { source, .. }
            | LogReadError::Read { source, .. } => source.kind(),
        }
    }
}

/// `parse_reader` and `parse_file` keep returning `io::Error` (their
/// callers word diagnostics from it); the typed error rides inside, where
/// `get_ref` and `downcast_ref` find it.
impl From<LogReadError> for io::Error {
    fn from(e: LogReadError) -> io::Error {
        io::Error::new(e.kind(), e)
    }
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
    /// Set for a text log: how its lines read.
    grammar: Option<&'p TextGrammar>,
}

impl<'p> Chunked<'p> {
    pub fn new(path: &'p str, limits: &Limits) -> Chunked<'p> {
        Chunked {
            path,
            limits: limits.clone(),
            acc: Acc::default(),
            started: false,
            grammar: None,
        }
    }

    /// A text log read by `grammar` instead of json-file records; the
    /// scan, its parallel batches and its summary are the same.
    pub(crate) fn text(path: &'p str, limits: &Limits, grammar: &'p TextGrammar) -> Chunked<'p> {
        Chunked {
            grammar: Some(grammar),
            ..Chunked::new(path, limits)
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
        acc::scan(&mut self.acc, self.path, data, &self.limits, self.grammar);
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
        let (path, limits, grammar) = (self.path, &self.limits, self.grammar);
        let acc = &mut self.acc;
        let (_, speculative) = rayon::join(
            || acc::scan(acc, path, first, limits, grammar),
            || {
                rest.par_iter()
                    .map(|c| {
                        let mut a = Acc::default();
                        acc::scan(&mut a, path, c.as_ref(), limits, grammar);
                        a
                    })
                    .collect::<Vec<Acc>>()
            },
        );
        for (c, spec) in rest.iter().zip(speculative) {
            if self.acc.pending_any() || spec.refused_template() {
                acc::scan(&mut self.acc, self.path, c.as_ref(), &self.limits, grammar);
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
        acc::finish(path, &limits, &mut acc)
    }
}

/// Parses a log read from `reader` (e.g. a capped decompressor) in chunks
/// of about `chunk` bytes split at newlines; memory stays a few chunks
/// whatever the size of the log. `progress` is told the bytes consumed.
/// An error is a [`LogReadError`] inside the `io::Error` (its words are the
/// cause's, as before).
pub fn parse_reader(
    path: &str,
    reader: &mut dyn Read,
    limits: &Limits,
    chunk: usize,
    progress: &mut dyn FnMut(u64),
) -> io::Result<LogFile> {
    read_stream(path, reader, limits, chunk, progress).map_err(io::Error::from)
}

fn read_stream(
    path: &str,
    reader: &mut dyn Read,
    limits: &Limits,
    chunk: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<LogFile, LogReadError> {
    let chunk = chunk.max(1);
    let batch = rayon::current_num_threads().clamp(1, 8) * 2;
    let mut parser = Chunked::new(path, limits);
    let mut carry: Vec<u8> = Vec::new();
    let mut eof = false;
    let mut offset = 0u64;
    while !eof {
        let mut chunks: Vec<Vec<u8>> = Vec::with_capacity(batch);
        while chunks.len() < batch && !eof {
            let mut buf = std::mem::take(&mut carry);
            let mut scanned = 0;
            loop {
                let want = (chunk.max(buf.len() + 1)).saturating_sub(buf.len());
                let old = buf.len();
                buf.resize(old + want, 0);
                let n = crate::ingest::read_full(reader, &mut buf[old..]).map_err(|source| {
                    LogReadError::Read {
                        path: path.to_string(),
                        offset,
                        source,
                    }
                })?;
                offset += n as u64;
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
/// consumed. An error is a [`LogReadError`] inside the `io::Error`.
pub fn parse_file(
    path: &str,
    file: &std::fs::File,
    limits: &Limits,
    chunk: usize,
    progress: &mut dyn FnMut(u64),
) -> io::Result<LogFile> {
    read_windows(path, file, limits, chunk, progress).map_err(io::Error::from)
}

fn read_windows(
    path: &str,
    file: &std::fs::File,
    limits: &Limits,
    chunk: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<LogFile, LogReadError> {
    let len = file
        .metadata()
        .map_err(|source| LogReadError::Metadata {
            path: path.to_string(),
            source,
        })?
        .len();
    let chunk = chunk.max(1);
    let batch = rayon::current_num_threads().clamp(1, 8) * 2;
    let mut parser = Chunked::new(path, limits);
    let mut off = 0u64;
    while off < len {
        let windows = next_windows(path, file, len, &mut off, chunk, batch)?;
        parser.push_batch(&windows);
        progress(windows.iter().map(|w| w.end as u64).sum());
    }
    Ok(parser.finish())
}

/// Reads a text log that is not json-file (`docker logs` text, podman's
/// k8s-file) through the same mapped windows as [`parse_file`], each window
/// scanned where it lies by `grammar` (no re-encoding, no copy), in
/// parallel batches, into one [`Chunked`] parser, which the caller
/// finishes. A UTF-8 BOM at the start of the file is dropped. `progress` is
/// told the bytes read.
pub(crate) fn parse_text<'p>(
    path: &'p str,
    file: &std::fs::File,
    len: u64,
    limits: &Limits,
    chunk: usize,
    progress: &mut dyn FnMut(u64),
    grammar: &'p TextGrammar,
) -> io::Result<Chunked<'p>> {
    let chunk = chunk.max(1);
    let batch = rayon::current_num_threads().clamp(1, 8) * 2;
    let mut parser = Chunked::text(path, limits, grammar);
    let mut off = 0u64;
    while off < len {
        let windows = next_windows(path, file, len, &mut off, chunk, batch)?;
        parser.push_batch(&windows);
        progress(windows.iter().map(|w| w.end as u64).sum());
    }
    Ok(parser)
}

/// The next `batch` windows of a log file from `*off`, each about `chunk`
/// bytes and ending after a newline (a window grows until it holds one, and
/// the last ends at the end of the file); advances `*off` past them. Shared
/// by every reader of line-oriented logs in mapped windows.
pub(crate) fn next_windows(
    path: &str,
    file: &std::fs::File,
    len: u64,
    off: &mut u64,
    chunk: usize,
    batch: usize,
) -> Result<Vec<Window>, LogReadError> {
    let mut windows: Vec<Window> = Vec::with_capacity(batch);
    while windows.len() < batch && *off < len {
        let mut want = chunk.max(1) as u64;
        loop {
            let l = want.min(len - *off);
            // SAFETY: read-only mapping of a collected artifact, as in
            // `ingest::ingest_file`; a concurrent truncation would be a
            // SIGBUS, which is documented.
            let map = unsafe {
                memmap2::MmapOptions::new()
                    .offset(*off)
                    .len(l as usize)
                    .map(file)
                    .map_err(|source| LogReadError::Map {
                        path: path.to_string(),
                        offset: *off,
                        len: l,
                        source,
                    })?
            };
            if *off + l == len {
                *off = len;
                windows.push(Window {
                    end: map.len(),
                    map,
                });
                break;
            }
            if let Some(nl) = memchr::memrchr(b'\n', &map) {
                *off += nl as u64 + 1;
                windows.push(Window { end: nl + 1, map });
                break;
            }
            want = want.saturating_mul(2);
        }
    }
    Ok(windows)
}

/// A mapped window of a log file, cut after its last whole line.
pub(crate) struct Window {
    map: memmap2::Mmap,
    end: usize,
}

impl AsRef<[u8]> for Window {
    fn as_ref(&self) -> &[u8] {
        &self.map[..self.end]
    }
}
