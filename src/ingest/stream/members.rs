//! The members of a streamed bundle, ingested as the walk reaches them:
//! json-file logs parsed as they stream, large archives walked and large
//! compressed members decoded as they stream, the rest buffered and
//! ingested in parallel batches, in order.

use std::io::Read;

use rayon::prelude::*;

use super::compressed::{stream_compressed, Streamed};
use super::ingest_tar_reader;
use crate::archive::compress::Compression;
use crate::archive::tar_index;
use crate::ingest::bundle::oversized;
use crate::ingest::dispatch::cannot_decompress;
use crate::ingest::dispatch::{is_log_head, log_from_reader};
use crate::ingest::{ingest_bytes, read_full, Ingested};
use crate::model::Limits;

/// Buffered members of a streamed bundle are ingested in parallel once this
/// many bytes are waiting.
pub(super) const STREAM_BATCH_BYTES: usize = 64 << 20;

/// A member of a streamed bundle whose body could not be read: the stream
/// under the walk failed there.
#[derive(Debug, thiserror::Error)]
#[error("cannot read member {member} (its body starts at byte {offset} of the archive): {source}")]
pub(crate) struct MemberError {
    /// Position of the member's entry in the archive.
    seq: usize,
    member: String,
    offset: u64,
    #[source]
    source: std::io::Error,
}

/// A member's body that remembers whether a read of it failed (the stream
/// under the walk), to tell that apart from a failure of what decodes it.
struct Watched<'r> {
    inner: &'r mut dyn Read,
    failed: bool,
}

impl Read for Watched<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let r = self.inner.read(buf);
        self.failed |= r.is_err();
        r
    }
}

/// The members of a streamed bundle, ingested as the walk reaches them.
/// Each result carries the position of its entry in the archive, so that
/// an entry the index does not keep (the stream ended inside it) is
/// dropped, as the in-memory walk never reaches it.
pub(super) struct MemberPass<'a> {
    path: &'a str,
    depth: u32,
    limits: &'a Limits,
    results: Vec<(usize, Ingested)>,
    batch: Vec<(usize, String, u64, Vec<u8>)>,
    batch_bytes: usize,
    /// The first member that could not be read; no member after it is.
    failed: Option<MemberError>,
}

impl<'a> MemberPass<'a> {
    pub(super) fn new(path: &'a str, depth: u32, limits: &'a Limits) -> MemberPass<'a> {
        MemberPass {
            path,
            depth,
            limits,
            results: Vec::new(),
            batch: Vec::new(),
            batch_bytes: 0,
            failed: None,
        }
    }

    /// Drops what was ingested so far (speculative work no longer needed).
    pub(super) fn reset(&mut self) {
        self.failed = None;
        self.results.clear();
        self.batch.clear();
        self.batch_bytes = 0;
    }

    fn flush(&mut self) {
        let (depth, limits) = (self.depth, self.limits);
        let parts: Vec<(usize, Ingested)> = self
            .batch
            .par_iter()
            .map(|(seq, m, size, body)| (*seq, ingest_bytes(m, body, depth + 1, *size, limits)))
            .collect();
        self.batch.clear();
        self.batch_bytes = 0;
        self.results.extend(parts);
    }

    /// Ingests entry number `seq` of the archive, `e`, from its body.
    pub(super) fn visit(&mut self, seq: usize, e: &tar_index::TarEntry, body: &mut dyn Read) {
        let (depth, limits) = (self.depth, self.limits);
        if self.failed.is_some() {
            return;
        }
        let member = format!("{}!/{}", self.path, tar_index::normalize(&e.path));
        if let Some(p) = crate::ingest::data_root::piece_from_entry(&member, e) {
            // A data root's volume data or upper layer: the header says
            // all that is kept; the body is never read.
            let mut part = Ingested::default();
            part.items
                .push(crate::ingest::Parsed::DataRootPiece(Box::new(p)));
            self.results.push((seq, part));
            return;
        }
        if e.kind != tar_index::EntryKind::File {
            return;
        }
        if e.size > limits.max_member_bytes {
            self.flush();
            self.results.push((seq, oversized(member, e.size)));
            return;
        }
        let body = &mut Watched {
            inner: body,
            failed: false,
        };
        let fail = |member: String, source| MemberError {
            seq,
            member,
            offset: e.data_offset,
            source,
        };
        let mut head = vec![0u8; (e.size as usize).min(64 * 1024)];
        let n = match read_full(body, &mut head) {
            Ok(n) => n,
            Err(err) => {
                self.failed = Some(fail(member, err));
                return;
            }
        };
        head.truncate(n);
        if depth < limits.max_nesting && is_log_head(&head) {
            self.flush();
            let mut r = std::io::Cursor::new(head).chain(&mut *body);
            match log_from_reader(&member, &mut r, e.size, limits) {
                Ok(part) => self.results.push((seq, part)),
                Err(err) => self.failed = Some(fail(member, err)),
            }
            return;
        }
        if depth < limits.max_nesting
            && e.size > STREAM_BATCH_BYTES as u64
            && tar_index::looks_like_tar(&head)
        {
            // A large uncompressed archive (a docker save or export in a
            // compressed bundle) is walked as it streams, not held whole.
            self.flush();
            let mut r = std::io::Cursor::new(head).chain(&mut *body);
            match ingest_tar_reader(&member, &mut r, depth + 1, e.size, limits) {
                Ok(part) => self.results.push((seq, part)),
                Err(err) => self.failed = Some(fail(member, err)),
            }
            return;
        }
        let comp = Compression::sniff(&head);
        let head = if depth + 1 < limits.max_nesting
            && e.size > STREAM_BATCH_BYTES as u64
            && comp != Compression::None
        {
            // A large compressed member (a `docker save | gzip`, a rotated
            // log) is decoded as it streams when it holds a tar or a
            // json-file log, as the same bytes on their own would be.
            self.flush();
            match stream_compressed(&member, e.size, comp, head, body, depth + 1, limits) {
                Ok(Streamed::Done(part)) => {
                    self.results.push((seq, part));
                    return;
                }
                Ok(Streamed::Read(bytes)) => bytes,
                // Its own decoder failed, not the archive around it: the
                // member is damaged, as it would be read whole.
                Err(err) if !body.failed => {
                    self.results
                        .push((seq, cannot_decompress(&member, e.size, comp, &err)));
                    return;
                }
                Err(err) => {
                    self.failed = Some(fail(member, err));
                    return;
                }
            }
        } else {
            head
        };
        let mut buf = head;
        // The size is bounded by --max-member-bytes; reserving it exactly
        // avoids doubling (untouched capacity of a lying header costs no RSS).
        let _ = buf.try_reserve_exact((e.size as usize).saturating_sub(buf.len()));
        if let Err(err) = body.read_to_end(&mut buf) {
            self.failed = Some(fail(member, err));
            return;
        }
        self.batch_bytes += buf.len();
        self.batch.push((seq, member, e.size, buf));
        if self.batch_bytes >= STREAM_BATCH_BYTES || self.batch.len() >= 4096 {
            self.flush();
        }
    }

    /// The results of the first `kept` entries, in archive order; the
    /// error of the first of them that could not be read, if one could not.
    pub(super) fn finish(mut self, kept: usize) -> Result<Vec<Ingested>, MemberError> {
        if let Some(err) = self.failed.take().filter(|err| err.seq < kept) {
            return Err(err);
        }
        self.flush();
        Ok(self
            .results
            .into_iter()
            .filter(|(seq, _)| *seq < kept)
            .map(|(_, part)| part)
            .collect())
    }
}
